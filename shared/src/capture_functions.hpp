// The SQL functions the capture triggers call (docs/design.md §3). Registered on every connection
// a replica opens; a connection without them cannot write a synced table.
#pragma once

#include <string>
#include <vector>

#include <noi/sync/replica.hpp>

namespace noi {

struct replica::capture_context {
    replica* owner = nullptr;
    bool capture_on = true;
    bool floor_fresh = false; // the clock's floor was read in the current transaction
    std::string scope;        // empty until the server has told the tablet its scope
    // The units whose rows it writes: the scope's and those merged into it (replica::set_scope).
    std::vector<std::string> units;
};

void register_capture_functions(database& db, replica::capture_context& ctx);

} // namespace noi
