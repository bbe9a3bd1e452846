// The admin API under /admin/v1/ (JSON over HTTP, accounts' tokens only). Runs on the database
// thread; returns the HTTP status and body. A viewer may only read, and a viewer limited to
// some communes sees only their rows; every change is recorded with the account that made it.
#pragma once

#include "server_state.hpp"

#include <string>

namespace noi::server {

struct api_response {
    unsigned status = 200;
    std::string body;
};

api_response handle_admin(server_state& state, server_store& store, auth_store& auth,
                          const account& who, const std::string& method, const std::string& target,
                          const std::string& body);

} // namespace noi::server
