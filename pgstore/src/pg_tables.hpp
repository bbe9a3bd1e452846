// The server's own tables on PostgreSQL, as the SQLite store's are at format 12
// (shared/src/server_schema.cpp), with PostgreSQL's types: integers are bigint, times are
// milliseconds since the epoch in bigint, site ids and packed states are bytea. Values of
// any type (a conflict's sides) are kept packed (row_state.hpp's pack_values).
#pragma once

#include "pg_connection.hpp"

namespace noi::pg {

// The advisory lock every instance of a store takes for its writes (invariant 1): one writer
// at a time, held to the end of its transaction.
inline constexpr std::int64_t write_lock_key = 0x4e6f69; // "Noi"

// The format of the tables below; a later release adds numbered steps after it.
inline constexpr std::int64_t store_format = 1;

// Creates the tables a new store lacks and records the format, in the caller's transaction.
// Throws sync_error(refused) for a database of a later format, saying to update the server.
void create_tables(connection& c);

// Whether the database holds a store (its tables and a site id).
bool holds_store(connection& c);

// In the caller's transaction: takes the write lock, refuses (sync_error refused, naming
// `command`) a database that holds a store already, and makes the tables.
void make_tables_of_new_store(connection& c, const char* command);

} // namespace noi::pg
