// The audit history on SQLite (docs/design.md §3): records live on noi_feed entries;
// databases from before kept them in noi_audit. Owns noi_audit_columns, the column lists an
// insert's record names by number.
#pragma once

#include <noi/sync/database.hpp>
#include <noi/sync/store_books.hpp>

#include "audit_codec.hpp"

#include <map>

namespace noi {

class sqlite_audit_trail final : public audit_trail {
public:
    // Stores the column list of each table that lacks one, before any push (see the .cpp).
    sqlite_audit_trail(database& db, const schema& tables);
    const audit_column_list* creation_list(const std::string& table) const override {
        auto it = lists_.find(table);
        return it == lists_.end() ? nullptr : &it->second;
    }
    std::vector<std::string> column_list(std::uint64_t id) override;
    std::optional<stored> on_entry(std::uint64_t seq) override;
    std::vector<stored> before_feed(const std::string& table, const std::string& row_id) override;

private:
    database& db_;
    std::map<std::string, audit_column_list, std::less<>> lists_;
};

} // namespace noi
