// The handlers of the admin API's route table (admin_routes.cpp), by the file that holds them.
// A handler of a scoped route sees the reader's communes (admin_request::scope) and no account;
// one of an admin route sees the admin's account (admin_request::admin).
#pragma once

#include "admin_request.hpp"
#include "api_reply.hpp"

namespace noi::server {

// devices_api.cpp
api_response devices_list(admin_request& r);
api_response device_show(admin_request& r);
api_response device_add(admin_request& r);
api_response device_token(admin_request& r);
api_response device_revoke(admin_request& r);
api_response device_move(admin_request& r);
api_response device_delete(admin_request& r);

// accounts_api.cpp
api_response accounts_list(admin_request& r);
api_response account_add(admin_request& r);
api_response account_disable(admin_request& r);
api_response account_token(admin_request& r);
api_response account_password(admin_request& r);

// admin_log_api.cpp
api_response admin_log(admin_request& r);

// conflicts_api.cpp
api_response conflicts_list(admin_request& r);
api_response conflict_show(admin_request& r);
api_response conflicts_resolve_device(admin_request& r);
api_response conflict_resolve(admin_request& r);

// quarantine_api.cpp
api_response quarantine_list(admin_request& r);
api_response quarantine_show(admin_request& r);
api_response quarantine_discard_many(admin_request& r);
api_response quarantine_discard(admin_request& r);
api_response quarantine_release(admin_request& r);

// fleet_api.cpp
api_response fleet_status(admin_request& r);
api_response fleet_by_commune(admin_request& r);
api_response attention_summary(admin_request& r);

// rows_api.cpp
api_response row_history(admin_request& r);
api_response rows_too_large(admin_request& r);

// reports_api.cpp
api_response report_json(admin_request& r);
api_response report_csv(admin_request& r);
api_response report_xlsx(admin_request& r);

} // namespace noi::server
