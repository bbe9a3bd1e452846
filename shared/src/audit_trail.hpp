// The audit history (docs/design.md §3): each accepted change's record lives on its feed
// entry, chained to the row's previous one; databases from before kept them in noi_audit.
// Owns noi_audit_columns, the column lists an insert's record names by number.
#pragma once

#include <noi/sync/database.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema.hpp>
#include <noi/sync/server_records.hpp>

#include "audit_codec.hpp"

#include <map>
#include <string>
#include <vector>

namespace noi {

inline const std::string exists_column = "*exists";

class audit_trail {
public:
    // Stores the column list of each table that lacks one, before any push (see the .cpp).
    audit_trail(database& db, const schema& tables);

    // The column list an insert's audit record of this table may name, if it has one.
    const audit_column_list* creation_list(const std::string& table) const {
        auto it = lists_.find(table);
        return it == lists_.end() ? nullptr : &it->second;
    }
    // The row's records, oldest first. `state` and `current` (by column name, "*exists" too)
    // are the row as it is now: the values after each change are read back from them.
    std::vector<audit_record> read(const std::string& table, const std::string& row_id,
                                   const row_state* state, std::map<std::string, value> current);

private:
    database& db_;
    std::map<std::string, audit_column_list, std::less<>> lists_;
};

} // namespace noi
