// The admin API under /admin/v1/ (JSON over HTTP, accounts' tokens only). Runs on the database
// thread; returns the HTTP status and body. A viewer may only read, and a viewer limited to
// some communes sees only their rows; every change is recorded with the account that made it.
#pragma once

#include "server_state.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace noi::server {

struct api_response {
    unsigned status = 200;
    std::string body;
    // A page of a list: how many items the whole list holds (sent as X-Total-Count).
    std::optional<std::int64_t> total = std::nullopt;
    std::string content_type = "application/json";
    std::string filename = ""; // a download, sent as an attachment of this name
};

// `refused_early`: a refusal the HTTP session decided before it queued the request to the
// database thread (schema_refusal), answered once the account may make the change.
api_response handle_admin(server_state& state, server_store& store, auth_store& auth,
                          const account& who, const std::string& method, const std::string& target,
                          const std::string& body, const std::optional<std::string>& refused_early);

} // namespace noi::server
