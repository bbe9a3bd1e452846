// noi-server restore: puts a snapshot back in place of a data directory's database, carrying
// over from the database it replaces what was decided after the snapshot (docs/operations.md).
// Tablets re-push their own writes at the new epoch; what only the server holds comes across
// here: enrolments, revocations, tokens, accounts and their log, the conflicts and quarantine
// as they stand, and the server's own writes. The replaced database is kept beside, renamed.
#include <noi/server/server.hpp>
#include <noi/sync/sqlite_store.hpp>

#include "auth_store.hpp"
#include "data_dir_lock.hpp"
#include "database_copy.hpp"
#include "server_state.hpp"
#include "store_location.hpp"

#include <noi/sync/error.hpp>

#include <chrono>
#include <filesystem>

namespace noi::server {
namespace {

namespace fs = std::filesystem;

std::string timestamp_now() {
    auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

void move_with_wal(const std::string& from, const std::string& to) {
    fs::rename(from, to);
    for (const auto* suffix : {"-wal", "-shm"})
        if (fs::exists(from + suffix)) fs::rename(from + suffix, to + suffix);
}

void remove_with_wal(const std::string& path) {
    for (const auto* suffix : {"", "-wal", "-shm", "-journal"})
        fs::remove(path + suffix);
}

} // namespace

restore_report restore(const std::string& dir, const std::string& snapshot, bool without_carry) {
    if (!fs::is_regular_file(snapshot))
        throw sync_error(errc::not_a_replica,
                         snapshot + " is not a file; give a snapshot noi-server backup wrote");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw sync_error(errc::refused, "cannot create " + dir + ": " + ec.message());
    restrict_dir_to_owner(dir);
    data_dir_lock lock(dir);
    if (const auto where = find_store(dir); where && where->on_postgresql())
        throw sync_error(errc::refused, dir +
                                            " keeps its data in PostgreSQL, which is restored with "
                                            "PostgreSQL's own tools, then noi-server new-epoch "
                                            "(docs/operations.md)");
    const auto target = database_path(dir);
    const auto staging = target + ".restoring";
    remove_with_wal(staging); // left by a restore that stopped half-way
    copy_database(snapshot, staging);
    if (const auto damage = sqlite_store::damage(staging)) {
        remove_with_wal(staging);
        throw sync_error(errc::corrupt_state,
                         snapshot + " is damaged (" + *damage + "); restore an earlier snapshot");
    }
    restore_report report;
    system_clock wall;
    try {
        auto restored = sqlite_store::open(staging, wall);
        auth_store restored_auth(*restored);
        report.snapshot_at_ms = restored->snapshot_at_ms();
        if (fs::exists(target) && !without_carry) {
            // A database that cannot be opened is what a restore is for: the snapshot goes in
            // alone, and the report says so. One that opens must carry over whole, or nothing
            // changes: revocations made since must not be undone quietly.
            std::unique_ptr<sqlite_store> current;
            try {
                current = sqlite_store::open(target, wall);
                auth_store current_auth(*current);
            } catch (const std::exception& e) {
                report.carry_failure = e.what();
                current.reset();
            }
            if (current) {
                try {
                    const auto carried = restored->take_over(*current, target);
                    report.devices_enrolled_since = carried.devices_enrolled_since;
                    report.devices_revoked_since = carried.devices_revoked_since;
                    report.conflicts_carried = carried.conflicts_carried;
                    report.quarantine_carried = carried.quarantine_carried;
                    report.server_writes_carried = carried.server_writes_carried;
                    report.carried = true;
                } catch (const std::exception& e) {
                    throw sync_error(errc::refused,
                                     "nothing was restored: what was decided since the snapshot "
                                     "cannot be carried over from " +
                                         target + " (" + e.what() +
                                         "); fix that, or add --without-carry to install the "
                                         "snapshot alone and lose it");
                }
            }
        }
        auto tx = restored->begin();
        // Without the replaced database, the ids its quarantine reached are unknown, and
        // tablets hold some of them: new entries start above any it could have made (fewer
        // than one rejection per millisecond since the snapshot), so no id names two rows.
        if (!report.carried) restored->start_quarantine_ids_at(system_clock{}.now_ms());
        restored->new_epoch();
        restored->set_instance("");
        tx->commit();
    } catch (...) {
        remove_with_wal(staging);
        throw;
    }
    if (fs::exists(target)) {
        report.replaced_kept_as = target + ".replaced-" + timestamp_now();
        move_with_wal(target, report.replaced_kept_as);
    }
    move_with_wal(staging, target);
    fs::remove(dir + "/instance");
    return report;
}

} // namespace noi::server
