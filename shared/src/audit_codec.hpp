// Packing of the server's audit records (docs/design.md §3: one appended record per accepted row
// change). A record stores each changed cell's column, its value before the change and its
// version and base; the value after is not stored, because it is the value before of the
// row's next record that changes the cell, or the row's current value when none does
// (history as reverse deltas). An insert, most of the audit, names every column of its table
// with one version and no values; such a record names a stored list of those columns by
// number instead (noi_audit_columns), which makes it a fifth of the size. Records of the
// first format, which also stored the value after, and of the second, which always named its
// columns, still read.
#pragma once

#include <noi/sync/schema.hpp>
#include <noi/sync/server_records.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace noi {

// A list of audit column names stored under a number (noi_audit_columns), which an insert's
// record names instead of its columns.
struct audit_column_list {
    std::uint64_t id = 0;
    std::vector<std::string> names;
};

// A cell of a change as its record stores it: the value after is not stored.
struct audit_change {
    std::string_view column; // a name the schema holds, or "*exists"
    value old_value;
    version ver;
    std::optional<version> base;
};

// `creation`: the list of a table's columns that an insert's record may name instead of its
// columns, when the record is exactly that (no values before, one version); null for none.
std::string pack_audit(const std::vector<audit_change>& cells, const audit_column_list* creation);

// The column list an insert's record of `t` names: the existence cell, then every column.
std::vector<std::string> creation_names(const table_def& t);

// The names of a column list by its number (throws when there is none).
using audit_column_lookup = std::function<std::vector<std::string>(std::uint64_t)>;

struct unpacked_audit_cell {
    audit_cell cell;
    bool has_new = false; // records of the first format carry the value after
};
std::vector<unpacked_audit_cell> unpack_audit(const std::string& bytes,
                                              const audit_column_lookup& lists);

// A column list as noi_audit_columns keeps it (packed by pack_values: an array of strings).
std::vector<std::string> unpack_column_names(const std::string& bytes);

// Fills in the values after of a row's records, oldest first, walking back from the row's
// current values by column name ("*exists" for the existence cell).
std::vector<std::vector<audit_cell>>
complete_audit(std::vector<std::vector<unpacked_audit_cell>> records,
               std::map<std::string, value> current);

} // namespace noi
