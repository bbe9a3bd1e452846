// The published schema versions on SQLite: the owner of noi_schema_history.
#pragma once

#include <noi/sync/database.hpp>
#include <noi/sync/store_books.hpp>

namespace noi {

class sqlite_schema_log final : public schema_log {
public:
    explicit sqlite_schema_log(database& db) : db_(db) {}
    void record(const schema_version_record& rec) override;
    std::vector<schema_version_record> all() override;
    std::optional<std::uint64_t> head_after(std::uint32_t version) override;

private:
    database& db_;
};

} // namespace noi
