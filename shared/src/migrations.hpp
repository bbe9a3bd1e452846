// One runner for the format changes of a replica's own tables, on the server and the tablet
// alike: numbered steps, each run once and in order, a whole run in one transaction together
// with the new number, which noi_meta keeps under `format` (every replica was made at 1).
// Releases before the runner changed tables without a number, so a replica at 1 may hold a
// step's change already: each step checks before it changes (has_column).
#pragma once

#include <noi/sync/database.hpp>

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace noi {

struct migration {
    std::int64_t version;
    std::function<void(database&)> apply;
};

// Runs the steps above the replica's format; refuses (errc::schema) a replica of a format
// newer than the last step, which a newer release made. Returns whether any step ran.
bool migrate(database& db, const std::vector<migration>& steps);

bool has_column(database& db, std::string_view table, std::string_view column);
// `declaration`: the column's type and constraints, as ALTER TABLE ADD COLUMN takes them.
void add_column_if_missing(database& db, std::string_view table, std::string_view column,
                           std::string_view declaration);

} // namespace noi
