// The server's store on PostgreSQL: the sync service (sync_service.hpp) over the PostgreSQL
// port. `conninfo` is a libpq connection string or URI; a password belongs in a libpq password
// file or service file, never in it (docs/operations.md).
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/sync_service.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace noi {

// Makes the store's tables in the database (which must have none of Nối's yet), the default
// schema, the province's map and an epoch, and runs `also` on it (the first account), all in
// one transaction: a failure anywhere leaves the database as it was. Refuses (errc::refused) a
// province not on the map of the day asked for, or a database that holds a store already.
std::unique_ptr<sync_service> create_pg_store(const std::string& conninfo, const wall_clock& wall,
                                              replica_options opt = {}, server_options so = {},
                                              const map_choice& map = {},
                                              const std::function<void(server_store&)>& also = {});
// Whether the database holds a store made by create_pg_store.
bool pg_store_exists(const std::string& conninfo);
// Throws sync_error(refused) for a connection string libpq cannot read, or one that holds a
// password: a configuration file or a log line must never show it.
void check_pg_conninfo(const std::string& conninfo);
// Another instance on a store made by create_pg_store (several may serve one database).
std::unique_ptr<sync_service> open_pg_store(const std::string& conninfo, const wall_clock& wall,
                                            replica_options opt = {}, server_options so = {});

// What migrate_to_pg copied: each table and its rows, in the order copied.
using migration_report = std::vector<std::pair<std::string, std::uint64_t>>;
using migration_progress = std::function<void(const std::string& table, std::uint64_t rows)>;

// Copies the SQLite server store at `sqlite_path` (its server stopped; a store of an earlier
// release is brought to the current format first) into the PostgreSQL database `conninfo`
// names, which must hold no store, in one transaction: nothing is copied unless all is. The
// site id, epoch and feed sequences stay, so tablets go on syncing without noticing. The
// SQLite file is left as it was. `progress` hears of each table once it is copied.
migration_report migrate_to_pg(const std::string& sqlite_path, const std::string& conninfo,
                               const migration_progress& progress = {});

// Calls `on_commit`, on a thread of its own, soon after any instance of the store commits a
// write (PostgreSQL's LISTEN/NOTIFY on the channel noi_feed): how one noi-server process
// learns of another's pushes to NOTIFY its tablets of. Also once after each connection is made,
// since what was committed while it had none went unheard. A lost connection is made again
// every second. Destroying it stops the thread.
class pg_feed_watch {
public:
    pg_feed_watch(std::string conninfo, std::function<void()> on_commit);
    ~pg_feed_watch();
    pg_feed_watch(const pg_feed_watch&) = delete;
    pg_feed_watch& operator=(const pg_feed_watch&) = delete;

private:
    void run();
    // Listens on one connection until it fails or the watch stops.
    void listen();

    std::string conninfo_;
    std::function<void()> on_commit_;
    int wake_fd_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

} // namespace noi
