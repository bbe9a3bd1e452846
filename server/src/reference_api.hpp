// Reference data over the admin API: /admin/v1/reference/TABLE[/ID] (docs/admin-api.md §12).
// The global tables (the communes) are read by every device and account, and changed by no
// device: only an admin changes a row, by a server write whose audit record names the account
// ("admin:NAME") and whose admin-log entry names each column's old and new value.
#pragma once

#include "admin_api.hpp"
#include "api_query.hpp"

namespace noi::server {

// The table's live rows, by id (paged); any account.
api_response reference_list(server_store& store, const std::string& table, const query& q);
// One live row.
api_response reference_show(server_store& store, const std::string& table, const std::string& id);
// Creates the row, changes its cells or brings it back, from a JSON object of column → value.
api_response reference_set(server_state& state, server_store& store, auth_store& auth,
                           const account& who, const std::string& table, const std::string& id,
                           const std::string& body);
api_response reference_delete(server_state& state, server_store& store, auth_store& auth,
                              const account& who, const std::string& table, const std::string& id);

} // namespace noi::server
