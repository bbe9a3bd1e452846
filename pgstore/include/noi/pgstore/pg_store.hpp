// The server's store on PostgreSQL: the sync service (sync_service.hpp) over the PostgreSQL
// port. `conninfo` is a libpq connection string or URI; a password belongs in a libpq password
// file or service file, never in it (docs/operations.md).
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/sync_service.hpp>

#include <memory>
#include <string>

namespace noi {

// Makes the store's tables in the database (which must have none of Nối's yet), the default
// schema, the province's map and an epoch. Refuses (errc::refused) a province not on the map
// of the day asked for, or a database that holds a store already.
std::unique_ptr<sync_service> create_pg_store(const std::string& conninfo, const wall_clock& wall,
                                              replica_options opt = {}, server_options so = {},
                                              const map_choice& map = {});
// Another instance on a store made by create_pg_store (several may serve one database).
std::unique_ptr<sync_service> open_pg_store(const std::string& conninfo, const wall_clock& wall,
                                            replica_options opt = {}, server_options so = {});

} // namespace noi
