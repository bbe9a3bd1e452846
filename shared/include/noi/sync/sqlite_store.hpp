// The server's store on SQLite: the sync service (sync_service.hpp) over the SQLite port, one
// database file with the replica's tables and the server's own (docs/architecture.md names
// which part owns which). It is the server_store Nối ships.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/sync_service.hpp>

#include <memory>

namespace noi {

// Marks the database copy `file` as a snapshot taken at `at_ms` (noi-server backup).
void mark_snapshot(const std::string& file, std::int64_t at_ms);

class sqlite_store final : public sync_service {
public:
    // Creates a server replica with the default schema, the reference communes and an epoch.
    // Refuses (errc::refused) a province that is not on the map of the day asked for.
    static std::unique_ptr<sqlite_store> create(const std::string& path, const wall_clock& wall,
                                                replica_options opt = {}, server_options so = {},
                                                const map_choice& map = {});
    static std::unique_ptr<sqlite_store> open(const std::string& path, const wall_clock& wall,
                                              replica_options opt = {}, server_options so = {});
    // What SQLite's integrity check (quick_check) finds wrong in the database file `path`,
    // before anything opens it as a store; nullopt when nothing is.
    static std::optional<std::string> damage(const std::string& path);
    sqlite_store(std::unique_ptr<replica> r, server_options so);

    // The replica beneath, for tests, the simulation and tools that look at its tables.
    replica& rep();

    // A restore (noi-server restore): this store, a snapshot, takes from `current`, the database
    // at `current_path` that it replaces, what only the server holds and was decided since: the
    // devices, tokens, accounts, admin log, conflicts and quarantine as they stand, the sites,
    // the server's own writes and its clock (sync_service's carry_*). One transaction; throws
    // when it cannot be done.
    carry_report take_over(sqlite_store& current, const std::string& current_path);
    // When backup took this snapshot (mark_snapshot); 0 for snapshots of older releases.
    std::int64_t snapshot_at_ms() { return rep().meta_int("snapshot_at_ms"); }
    // After a restore without the database it replaced: quarantine ids start at `floor`.
    void start_quarantine_ids_at(std::int64_t floor) {
        rep().set_meta_int("quarantine_id_floor", floor);
    }
};

} // namespace noi
