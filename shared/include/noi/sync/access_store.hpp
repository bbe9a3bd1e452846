// Who may sync and who may administer, as the server's store keeps it: token hashes (a token
// itself is never stored), named accounts, and the log of admin actions. The server makes and
// hashes tokens (server/src/auth_store.cpp); this only stores and finds them. A server_store
// gives its own (server_store::access()).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace noi {

// A named person or program with admin tokens. `admin` may do everything; `viewer` only reads,
// and when `communes` is not empty, only those communes' rows.
struct account {
    std::string name, role;
    std::vector<std::string> communes;
    bool disabled = false;
    std::int64_t created_at_ms = 0;
    bool has_password = false; // may sign in to the web console
    bool is_admin() const { return role == "admin"; }
    // Whether the account may read rows of `scope` ("" or "*": rows of no one commune).
    bool reads(const std::string& scope) const {
        return communes.empty() ||
               std::find(communes.begin(), communes.end(), scope) != communes.end();
    }
};

// One action an account took (noi_admin_log).
struct admin_log_entry {
    std::int64_t id = 0, at_ms = 0;
    std::string account, action, target, detail;
};

enum class token_kind { device, admin };

class access_store {
public:
    virtual ~access_store() = default;

    // `owner`: the device id of a device token, the account name of an admin one.
    virtual void add_token(const std::string& hash, token_kind kind, const std::string& owner) = 0;
    // The owner of a token of that kind, if the hash is known.
    virtual std::optional<std::string> token_owner(const std::string& hash, token_kind kind) = 0;
    virtual void drop_device_tokens(const std::string& device_id) = 0;

    virtual void add_account(const account& a) = 0;
    virtual std::optional<account> find_account(const std::string& name) = 0;
    virtual std::vector<account> accounts() = 0;
    // False for an unknown account.
    virtual bool disable_account(const std::string& name) = 0;
    // `hash`: an Argon2id string (server/src/password_hash.hpp). False for an unknown account.
    virtual bool set_password_hash(const std::string& name, const std::string& hash) = 0;
    // The stored hash of an enabled account with a password.
    virtual std::optional<std::string> password_hash(const std::string& name) = 0;

    virtual void record(const std::string& account, const std::string& action,
                        const std::string& target, const std::string& detail) = 0;
    // The newest entries first, `limit` of them from `offset`, and how many there are in all.
    virtual std::vector<admin_log_entry> admin_log(std::int64_t offset, std::int64_t limit) = 0;
    virtual std::int64_t admin_log_size() = 0;
    // Whether `code` is a commune of the reference data.
    virtual bool is_commune(const std::string& code) = 0;
};

} // namespace noi
