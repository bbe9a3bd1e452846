// A consistent copy of an SQLite database, read while another process may write it.
#pragma once

#include <string>

namespace noi::server {

// Copies `from` to the new file `to` with SQLite's online backup, in small steps that let a
// running server's writer in between them. The copy is owner-only (0600).
void copy_database(const std::string& from, const std::string& to);

} // namespace noi::server
