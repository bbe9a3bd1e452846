// A lost tablet's wipe (docs/protocol.md, "A lost tablet's wipe"): said in an HTTP header of the
// /sync upgrade, not in a message, since a revoked device never gets a WebSocket.
#pragma once

namespace noi::proto {

// The server's 410 answer to a revoked device ordered wiped carries it as "order", or as
// "done" once the tablet reported; the tablet reports with it as "done" on its request.
inline constexpr const char* wipe_header = "X-Noi-Wipe";

} // namespace noi::proto
