// Tokens for devices and admins. Tokens are 192 random bits shown once; only their SHA-256
// is stored, so a copy of the database does not let anyone sync or administer.
#pragma once

#include <noi/sync/access_store.hpp>
#include <noi/sync/server_store.hpp>

#include <optional>
#include <string>
#include <vector>

namespace noi::server {

struct enrolment {
    device dev;
    std::string token;
};

class auth_store {
public:
    explicit auth_store(server_store& store);

    // Throws sync_error(refused) for a bad name, role, commune or password, already_exists for
    // a taken name; returns the account's first token. An empty password sets none.
    std::string add_account(const std::string& name, const std::string& role,
                            const std::vector<std::string>& communes,
                            const std::string& password = "");
    // The console password; throws sync_error(refused) for one that may not be set. False for
    // an unknown account.
    bool set_password(const std::string& name, const std::string& password);
    // The stored hash of an enabled account's password, for a sign-in to check (the check takes
    // a fraction of a second, so it runs off the database thread).
    std::optional<std::string> password_hash(const std::string& name);
    std::vector<account> accounts();
    // False for an unknown account. Its tokens stop working at once.
    bool disable_account(const std::string& name);
    // A new token for an enabled account (rotation: its older tokens keep working until it is
    // disabled); nullopt for an unknown or disabled one.
    std::optional<std::string> new_token(const std::string& name);
    // An enabled account by name (a console session's).
    std::optional<account> enabled_account(const std::string& name);
    // The enabled account a token belongs to.
    std::optional<account> account_for(const std::string& token);
    // What an account changed, for the record (noi_admin_log).
    void record(const std::string& account, const std::string& action, const std::string& target,
                const std::string& detail = "");
    // scope: a commune code of the reference data, or "*". Throws sync_error(refused) for an
    // unknown commune.
    enrolment enrol(const std::string& scope, const std::string& name);
    // The device a token belongs to, if the token is known and the device not revoked.
    std::optional<device> device_for(const std::string& token);
    // Returns false for an unknown device. With `wipe`, its tablet deletes its synced data at
    // its next contact.
    bool revoke(const std::string& device_id, bool wipe = false);
    // The revoked device a token belongs to when its tablet was ordered to delete its synced
    // data: the one token a revoked device can still show.
    std::optional<device> wipe_ordered_for(const std::string& token);
    // A new token for an enrolled, unrevoked device, in place of every one it had (a token lost
    // or seen by others); nullopt for an unknown or revoked device.
    std::optional<std::string> replace_device_token(const std::string& device_id);

private:
    // Throws sync_error(refused) for a code that is not a reference commune.
    void check_commune(const std::string& code);
    std::string add_token(const std::string& account);
    std::string add_device_token(const std::string& device_id);
    // The device a token belongs to, revoked or not.
    std::optional<device> token_device(const std::string& token);
    server_store& store_;
    access_store& access_;
};

std::string random_token();

} // namespace noi::server
