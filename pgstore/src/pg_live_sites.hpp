// Live sessions' claims on PostgreSQL: the owner of noi_holders and noi_live_sites.
#pragma once

#include "pg_connection.hpp"

#include <noi/sync/store_books.hpp>

namespace noi {

class pg_live_sites final : public live_sites {
public:
    explicit pg_live_sites(pg::connection& c) : c_(c) {}
    void beat(const std::string& holder, const std::string& host, std::int64_t pid,
              std::int64_t now, bool first) override;
    std::optional<holder> find_holder(const std::string& holder) override;
    std::optional<std::string> claimant(const site_id& s) override;
    void claim(const site_id& s, const std::string& holder, std::int64_t now) override;
    void release(const site_id& s, const std::string& holder) override;
    void leave(const std::string& holder) override;

private:
    pg::connection& c_;
};

} // namespace noi
