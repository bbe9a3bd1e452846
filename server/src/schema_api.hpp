// The application schema over the admin API: GET and POST /admin/v1/schema (docs/admin.md,
// "Changing the forms"). The JSON shape is the one `noi-admin schema show --json` prints.
#pragma once

#include "admin_api.hpp"

namespace noi::server {

api_response schema_show(server_store& store);
// Publishes the version the body describes; 400 with the change refused and what to do.
api_response schema_apply(server_store& store, auth_store& auth, const account& who,
                          const std::string& body);

} // namespace noi::server
