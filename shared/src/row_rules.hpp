// The rules a pushed row must meet before it is merged, with no storage (docs/design.md §6a,
// §11): the same for every store, which gives them what they read under its write lock.
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/schema.hpp>
#include <noi/sync/server_records.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace noi {

// What the checks read beyond the row: the schema of the transaction (invariant 5), the
// server's own site (whose writes alone move a row and write reference data) and, asked only
// for an edit outside the device's units, the units a row was moved away from.
struct row_rules {
    const schema& tables;
    const site_id& server_site;
    std::function<std::vector<std::string>(const std::string& table, const std::string& id)>
        moved_from;
};

// What a check found besides its verdict: the row's table, why it was refused, and each
// cell's column index in the row's order.
struct row_check {
    const table_def* def = nullptr;
    std::string why;
    std::vector<std::size_t> columns;
};

// Whether a checked row (row_check::columns) carries a cell of `column`.
bool carries_column(const std::vector<std::size_t>& columns, std::size_t column);

// A row's first version: its insert, the change that carries the scope it is placed by.
bool inserts(const proto::row_change& r);

// Whether a version of the row (of site `by` only, when given) is beyond `limit`.
bool stamped_beyond(const proto::row_change& r, std::uint64_t limit, const site_id* by);

// Checks row `r` pushed by device `d`'s replica `s` (or written by the server, whose site is
// rules.server_site); nullopt when it may be merged. `out` is filled as far as the check went.
std::optional<proto::reject_reason> check_row(const row_rules& rules, const device& d,
                                              const site_id& s, const proto::row_change& r,
                                              row_check& out);

} // namespace noi
