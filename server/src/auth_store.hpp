// Tokens for devices and admins. Tokens are 192 random bits shown once; only their SHA-256
// is stored, so a copy of the database does not let anyone sync or administer.
#pragma once

#include <noi/sync/server_store.hpp>

#include <optional>
#include <string>

namespace noi::server {

struct enrolment {
    device dev;
    std::string token;
};

class auth_store {
public:
    explicit auth_store(server_store& store);

    std::string new_admin_token();
    bool is_admin(const std::string& token);
    // scope: a commune code of the reference data, or "*". Throws sync_error(refused) for an
    // unknown commune.
    enrolment enrol(const std::string& scope, const std::string& name);
    // The device a token belongs to, if the token is known and the device not revoked.
    std::optional<device> device_for(const std::string& token);
    // Returns false for an unknown device.
    bool revoke(const std::string& device_id);

private:
    server_store& store_;
};

std::string random_token();

} // namespace noi::server
