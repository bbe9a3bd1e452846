// The permessage-deflate settings both ends ask for (docs/design.md §8). Beast's defaults (window
// bits 15, memory level 8) keep about 168 KiB per connection once a message has passed; the
// messages here are small and repetitive, so small windows lose little compression and keep
// thousands of idle tablets cheap. docs/performance.md shows the trade.
#pragma once

namespace noi::proto {

struct deflate_settings {
    int window_bits = 10; // 9..15, both directions
    int mem_level = 3;    // 1..9
    int comp_level = 6;   // 0..9
};

} // namespace noi::proto
