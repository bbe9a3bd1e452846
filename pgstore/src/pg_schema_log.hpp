// The published schema versions on PostgreSQL: the owner of noi_schema_history.
#pragma once

#include "pg_connection.hpp"

#include <noi/sync/store_books.hpp>

namespace noi {

class pg_schema_log final : public schema_log {
public:
    explicit pg_schema_log(pg::connection& c) : c_(c) {}
    void record(const schema_version_record& rec) override;
    std::vector<schema_version_record> all() override;
    std::optional<std::uint64_t> head_after(std::uint32_t version) override;

private:
    pg::connection& c_;
};

} // namespace noi
