// A lost tablet's wipe (docs/protocol.md, "A lost tablet's wipe"): said in an HTTP header of the
// /sync upgrade, not in a message, since a revoked device never gets a WebSocket.
#pragma once

namespace noi::proto {

// A client that can carry out a wipe says "able" on every upgrade request, and "done" on the
// one that reports it did. Only to such a request does the server answer a revoked device
// ordered wiped with 410 and the header "order" (or "done" once the report is recorded); a
// client of an earlier release gets 401, as for any revoked device, and stops.
inline constexpr const char* wipe_header = "X-Noi-Wipe";

} // namespace noi::proto
