// Where a data directory's store is: SQLite inside it (DIR/noi.db, the default), or a
// PostgreSQL database that DIR/store.json names by its connection string (noi-server init
// --store). Several data directories may name one PostgreSQL database: each is one noi-server
// process of the province (docs/operations.md).
#pragma once

#include <noi/sync/hlc.hpp>
#include <noi/sync/replica.hpp>
#include <noi/sync/server_store.hpp>

#include <memory>
#include <optional>
#include <string>

namespace noi::server {

struct store_location {
    std::string postgresql; // the libpq connection string; empty: SQLite in the directory
    bool on_postgresql() const { return !postgresql.empty(); }
};

// The store dir's server uses; nullopt when dir holds no server. Throws sync_error(refused)
// for a store.json it cannot read, saying what is wrong in it.
std::optional<store_location> find_store(const std::string& dir);

// Writes DIR/store.json naming a PostgreSQL store (the connection string holds no password:
// check_pg_conninfo), readable by the owner only, replacing the file at once.
void record_postgresql_store(const std::string& dir, const std::string& conninfo);
// Removes what record_postgresql_store wrote, for an init whose store did not commit.
void forget_store(const std::string& dir);

// Opens the store of a data directory that holds one.
std::unique_ptr<server_store> open_store(const std::string& dir, const store_location& where,
                                         const wall_clock& wall, replica_options opt = {},
                                         server_options so = {});

std::string database_path(const std::string& dir);

} // namespace noi::server
