// The fleet as the admin API shows it: one row per device with its alerts (GET
// /admin/v1/status), the same by commune (/admin/v1/status/communes), and the counts that need
// an admin's attention (/admin/v1/summary, the console's home page).
#pragma once

#include "api_query.hpp"

#include <noi/sync/access_store.hpp>
#include <noi/sync/server_store.hpp>

namespace noi::server {

// ?silent_days=N (default 7), ?commune=CODE, ?flag=ALERT|piling_up|revoked, ?name=PART,
// ?sort=FIELD or -FIELD, and a page.
api_response fleet_status(server_store& store, const account& who, const query& q);
api_response fleet_by_commune(server_store& store, const account& who, const query& q);
api_response attention_summary(server_store& store, const account& who, const query& q);

} // namespace noi::server
