// The WHERE clause a conflict filter (server_records.hpp) makes over noi_conflicts aliased `c`,
// the same in every store: its values numbered from 1 behind `mark` (`?` for SQLite, `$` for
// PostgreSQL). Only the fields the filter sets become terms: a term that may be void ("?1 IS
// NULL OR c.id = ?1") keeps SQLite from using the primary key, so a look-up by id read every
// row.
#pragma once

#include <noi/sync/server_records.hpp>

#include <string>
#include <vector>

namespace noi {

struct conflict_where {
    std::string sql; // empty, or " WHERE …"
    std::vector<value> params;

    conflict_where(const conflict_filter& f, char mark);
};

} // namespace noi
