// The server's own tables and their format history (migrations.hpp).
#pragma once

#include "migrations.hpp"

namespace noi {

// `now_ms`: the time a step that records one (the account made for older admin tokens) gives.
std::vector<migration> server_migrations(std::int64_t now_ms);

} // namespace noi
