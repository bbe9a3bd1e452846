// The access store on SQLite: noi_tokens, noi_accounts and noi_admin_log in the server's
// database (their schema is in server_schema.cpp).
#pragma once

#include <noi/sync/access_store.hpp>
#include <noi/sync/replica.hpp>

namespace noi {

class sqlite_access_store final : public access_store {
public:
    explicit sqlite_access_store(replica& rep);

    void add_token(const std::string& hash, token_kind kind, const std::string& owner) override;
    std::optional<std::string> token_owner(const std::string& hash, token_kind kind) override;
    void drop_device_tokens(const std::string& device_id) override;
    void add_account(const account& a) override;
    std::optional<account> find_account(const std::string& name) override;
    std::vector<account> accounts() override;
    bool disable_account(const std::string& name) override;
    bool set_password_hash(const std::string& name, const std::string& hash) override;
    std::optional<std::string> password_hash(const std::string& name) override;
    std::vector<admin_log_entry> admin_log(std::int64_t offset, std::int64_t limit) override;
    std::int64_t admin_log_size() override;
    void record(const std::string& account, const std::string& action, const std::string& target,
                const std::string& detail) override;
    bool is_commune(const std::string& code) override;

private:
    replica& rep_;
    database& db_;
};

} // namespace noi
