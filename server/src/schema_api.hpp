// The application schema over the admin API: GET and POST /admin/v1/schema (docs/admin.md,
// "Changing the forms"). The JSON shape is the one `noi-admin schema show --json` prints.
#pragma once

#include "admin_api.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace noi::server {

// What a published schema may hold. Every tablet's decoder takes at most 10,000 tables, 256
// columns a table and a 4 MiB message (docs/protocol.md, Decoding limits): a schema of 10,100
// tables was published and every tablet refused the WELCOME that carried it (issue 28, item
// 6). These stay well under, since that WELCOME also carries up to 1,000 rejections; names
// (63 bytes) and columns (63 besides id) are bounded by schema_of.
inline constexpr std::size_t max_schema_tables = 200;
inline constexpr std::size_t max_schema_welcome_bytes = 256 * 1024;
// Labels a schema carries, all versions' together: well within what a tablet decodes (10,000
// entries), a label for every column and a few dozen values of each table's enumerations.
inline constexpr std::size_t max_schema_labels = 5000;

api_response schema_show(server_store& store);

// Why a body POSTed to /admin/v1/schema is refused whatever the store holds (its shape, names,
// types and the limits above), or nullopt. Needs no store: the HTTP session asks it before it
// queues the request, so such a schema never waits for the database thread nor holds it.
std::optional<std::string> schema_refusal(const std::string& body);

// Publishes the version the body describes; 400 with the change refused and what to do.
// `refused_early` is what schema_refusal said of the body, when the session asked it.
api_response schema_apply(server_store& store, auth_store& auth, const account& who,
                          const std::string& body, const std::optional<std::string>& refused_early);

} // namespace noi::server
