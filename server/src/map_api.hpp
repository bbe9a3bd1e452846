// The administrative map over the admin API: /admin/v1/map/units, /admin/v1/map/changes
// (docs/admin-api.md, "The map").
#pragma once

#include "admin_api.hpp"
#include "api_query.hpp"

namespace noi::server {

// The units valid today (?all=1: retired ones too; ?on=YYYY-MM-DD: those valid that day), each
// with the units it went into and was made from; any account.
api_response map_units(server_store& store, const query& q);
// The changes applied, oldest first, each with its lineage; any account.
api_response map_changes(server_store& store);
// A merge or a reorganisation, or its dry run ("dry_run": true), which changes nothing.
api_response map_change(server_state& state, server_store& store, auth_store& auth,
                        const account& who, const std::string& body);

// Rows of a commune's table moved to another commune (a household that moved), or the dry run.
api_response rows_move(server_state& state, server_store& store, auth_store& auth,
                       const account& who, const std::string& body);

} // namespace noi::server
