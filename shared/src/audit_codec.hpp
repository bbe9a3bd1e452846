// Packing of the server's audit records (DESIGN.md §3: one appended record per accepted row
// change). A record stores each changed cell's column, its value before the change and its
// version and base; the value after is not stored, because it is the value before of the
// row's next record that changes the cell, or the row's current value when none does
// (history as reverse deltas). An insert, most of the audit, then costs its column names
// and one version. Records of the first format, which also stored the value after, still read.
#pragma once

#include <noi/sync/server_store.hpp>

#include <map>
#include <string>
#include <vector>

namespace noi {

std::string pack_audit(const std::vector<audit_cell>& cells);

struct unpacked_audit_cell {
    audit_cell cell;
    bool has_new = false; // records of the first format carry the value after
};
std::vector<unpacked_audit_cell> unpack_audit(const std::string& bytes);

// Fills in the values after of a row's records, oldest first, walking back from the row's
// current values by column name ("*exists" for the existence cell).
std::vector<std::vector<audit_cell>>
complete_audit(std::vector<std::vector<unpacked_audit_cell>> records,
               std::map<std::string, value> current);

} // namespace noi
