// Tokens (their hashes), console accounts and the admin log on PostgreSQL: the owner of
// noi_tokens, noi_accounts and noi_admin_log.
#pragma once

#include "pg_connection.hpp"
#include "pg_unit_registry.hpp"

#include <noi/sync/access_store.hpp>
#include <noi/sync/hlc.hpp>

namespace noi {

class pg_access_store final : public access_store {
public:
    pg_access_store(pg::connection& c, const wall_clock& wall) : c_(c), wall_(wall), units_(c) {}
    void add_token(const std::string& hash, token_kind kind, const std::string& owner) override;
    std::optional<std::string> token_owner(const std::string& hash, token_kind kind) override;
    void drop_device_tokens(const std::string& device_id) override;
    void add_account(const account& a) override;
    std::optional<account> find_account(const std::string& name) override;
    std::vector<account> accounts() override;
    bool disable_account(const std::string& name) override;
    bool set_password_hash(const std::string& name, const std::string& hash) override;
    std::optional<std::string> password_hash(const std::string& name) override;
    void record(const std::string& account, const std::string& action, const std::string& target,
                const std::string& detail) override;
    std::vector<admin_log_entry> admin_log(std::int64_t offset, std::int64_t limit) override;
    std::int64_t admin_log_size() override;
    bool is_commune(const std::string& code) override;

private:
    pg::connection& c_;
    const wall_clock& wall_;
    pg_unit_registry units_;
};

} // namespace noi
