// The audit history on PostgreSQL (docs/design.md §3): records on noi_feed entries, and
// noi_audit_columns, the column lists an insert's record names by number.
#pragma once

#include "audit_codec.hpp"
#include "pg_connection.hpp"

#include <noi/sync/store_books.hpp>

#include <map>

namespace noi {

class pg_audit_trail final : public audit_trail {
public:
    // Stores the column list of each table that lacks one, in a transaction of its own (under
    // the write lock), before any push: a list stored inside a push that rolled back would be
    // one the cache holds and the database does not.
    pg_audit_trail(pg::connection& c, const schema& tables);
    const audit_column_list* creation_list(const std::string& table) const override {
        auto it = lists_.find(table);
        return it == lists_.end() ? nullptr : &it->second;
    }
    std::vector<std::string> column_list(std::uint64_t id) override;
    std::optional<stored> on_entry(std::uint64_t seq) override;
    std::vector<stored> before_feed(const std::string& table, const std::string& row_id) override;

private:
    pg::connection& c_;
    std::map<std::string, audit_column_list, std::less<>> lists_;
};

} // namespace noi
