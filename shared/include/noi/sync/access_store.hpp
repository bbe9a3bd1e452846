// Who may sync and who may administer, as the server's store keeps it: token hashes (a token
// itself is never stored), named accounts, and the log of admin actions. The server makes and
// hashes tokens (server/src/auth_store.cpp); this only stores and finds them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace noi {

class server_store;
class database;

// A named person or program with admin tokens. `admin` may do everything; `viewer` only reads,
// and when `communes` is not empty, only those communes' rows.
struct account {
    std::string name, role;
    std::vector<std::string> communes;
    bool disabled = false;
    std::int64_t created_at_ms = 0;
    bool is_admin() const { return role == "admin"; }
    // Whether the account may read rows of `scope` ("" or "*": rows of no one commune).
    bool reads(const std::string& scope) const;
};

enum class token_kind { device, admin };

class access_store {
public:
    explicit access_store(server_store& store);

    // `owner`: the device id of a device token, the account name of an admin one.
    void add_token(const std::string& hash, token_kind kind, const std::string& owner);
    // The owner of a token of that kind, if the hash is known.
    std::optional<std::string> token_owner(const std::string& hash, token_kind kind);
    void drop_device_tokens(const std::string& device_id);

    void add_account(const account& a);
    std::optional<account> find_account(const std::string& name);
    std::vector<account> accounts();
    // False for an unknown account.
    bool disable_account(const std::string& name);

    void record(const std::string& account, const std::string& action, const std::string& target,
                const std::string& detail);
    // Whether `code` is a commune of the reference data.
    bool is_commune(const std::string& code);

private:
    server_store& store_;
    database& db_;
};

} // namespace noi
