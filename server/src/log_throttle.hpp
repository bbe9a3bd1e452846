// Lines about one key (a device) are written for the first `per_minute` of each minute; the rest
// are only counted, and told in one summary line once their minute is over. A device that
// reconnects in a loop wrote a line per session: 21 MB of log in 11 minutes (issue 28, item 8).
// Each key's minute starts at its first line; a key whose minute is over is forgotten once its
// summary is taken, so memory follows the devices heard from within the last minute.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace noi::server {

class log_throttle {
public:
    using clock = std::chrono::steady_clock;
    explicit log_throttle(std::size_t per_minute) : per_minute_(per_minute) {}

    struct verdict {
        bool write;            // write this line
        std::size_t held_back; // lines of this key's previous minute not written: tell them first
    };
    // Thread-safe.
    verdict allow(const std::string& key, clock::time_point now = clock::now());

    struct summary {
        std::string key;
        std::size_t held_back;
    };
    // The keys whose minute is over with lines held back, each told once; a key heard from
    // again before this is called gets its count from allow() instead. Thread-safe.
    std::vector<summary> ended(clock::time_point now = clock::now());

private:
    struct minute {
        clock::time_point started;
        std::size_t written = 0, held_back = 0;
    };

    const std::size_t per_minute_;
    std::mutex mu_;
    std::map<std::string, minute> keys_;
};

} // namespace noi::server
