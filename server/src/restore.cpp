// noi-server restore: puts a snapshot back in place of a data directory's database, carrying
// over from the database it replaces what was decided after the snapshot (docs/operations.md).
// Tablets re-push their own writes at the new epoch; what only the server holds comes across
// here: enrolments, revocations, tokens, accounts and their log, the conflicts and quarantine
// as they stand, and the server's own writes. The replaced database is kept beside, renamed.
#include <noi/server/server.hpp>

#include "auth_store.hpp"
#include "data_dir_lock.hpp"
#include "database_copy.hpp"
#include "server_state.hpp"

#include <noi/sync/error.hpp>

#include <chrono>
#include <filesystem>
#include <set>

namespace noi::server {
namespace {

namespace fs = std::filesystem;

std::uint64_t count(database& db, const std::string& sql) {
    auto st = db.prepare(sql);
    return st.step() ? static_cast<std::uint64_t>(st.column_int(0)) : 0;
}

// Entries of cur's `table` (conflicts, quarantine) that main lacks or holds in another status:
// made or decided since the snapshot.
std::uint64_t new_or_decided_since(database& db, const std::string& table) {
    return count(db, "SELECT count(*) FROM cur." + table + " c WHERE NOT EXISTS (SELECT 1 FROM main." +
                         table + " m WHERE m.id = c.id AND m.status = c.status)");
}

// The columns `table` has in both databases (an older snapshot migrated at open has them all,
// but a newer release may have added some the snapshot's code did not know).
std::string shared_columns(database& db, const std::string& table) {
    std::set<std::string> theirs;
    auto cur = db.prepare("SELECT name FROM pragma_table_info(?1, 'cur')");
    cur.bind(1, table);
    while (cur.step())
        theirs.insert(cur.column_text(0));
    std::string list;
    auto main = db.prepare("SELECT name FROM pragma_table_info(?1, 'main')");
    main.bind(1, table);
    while (main.step())
        if (theirs.count(main.column_text(0)))
            list += (list.empty() ? "\"" : ", \"") + main.column_text(0) + "\"";
    return list;
}

// Makes main's `table` what cur's holds: the replaced database is the truth for it.
void take_table(database& db, const std::string& table) {
    const auto cols = shared_columns(db, table);
    db.exec("DELETE FROM main." + table);
    db.exec("INSERT INTO main." + table + " (" + cols + ") SELECT " + cols + " FROM cur." + table);
}

void carry_over(server_store& restored, server_store& current, const std::string& current_path,
                restore_report& report) {
    auto& db = restored.rep().db();
    auto attach = db.prepare("ATTACH DATABASE ?1 AS cur");
    attach.bind(1, current_path);
    attach.run();
    struct detach {
        database& db;
        ~detach() {
            try {
                db.exec("DETACH DATABASE cur");
            } catch (...) {
            }
        }
    } detach_after{db};
    transaction tx(db);
    report.devices_enrolled_since =
        count(db, "SELECT count(*) FROM cur.noi_devices WHERE device_id NOT IN (SELECT "
                  "device_id FROM main.noi_devices)");
    report.devices_revoked_since =
        count(db, "SELECT count(*) FROM cur.noi_devices c JOIN main.noi_devices m USING "
                  "(device_id) WHERE c.revoked != 0 AND m.revoked = 0");
    report.conflicts_carried = new_or_decided_since(db, "noi_conflicts");
    report.quarantine_carried = new_or_decided_since(db, "noi_quarantine");
    for (const auto* t :
         {"noi_devices", "noi_tokens", "noi_accounts", "noi_admin_log", "noi_conflicts"})
        take_table(db, t);
    report.server_writes_carried = restored.carry_releases(current);
    take_table(db, "noi_quarantine");
    // Ids a database lost in an earlier restore gave out stay unsettled (server_store::hello).
    restored.rep().set_meta_int("quarantine_id_floor",
                                std::max(restored.rep().meta_int("quarantine_id_floor"),
                                         current.rep().meta_int("quarantine_id_floor")));
    // A site bound since the snapshot is bound here too, with nothing acknowledged: its tablet
    // sees the new epoch and pushes from zero. Rejections confirmed are the replaced
    // database's, whose quarantine this one now holds.
    db.exec("INSERT OR IGNORE INTO main.noi_sites(site, device_id, acked_seq) SELECT site, "
            "device_id, 0 FROM cur.noi_sites");
    db.exec("UPDATE main.noi_sites SET (device_id, confirmed_rejection) = (SELECT device_id, "
            "confirmed_rejection FROM cur.noi_sites c WHERE c.site = main.noi_sites.site) WHERE "
            "site IN (SELECT site FROM cur.noi_sites)");
    auto wall_high = std::max(restored.rep().meta_int("wall_high_ms"),
                              current.rep().meta_int("wall_high_ms"));
    restored.rep().set_meta_int("wall_high_ms", wall_high);
    report.server_writes_carried += restored.carry_own_writes(current);
    // Stamps the server takes from now on stay above every one it took before the restore.
    restored.rep().clock().observe(current.rep().clock().floor());
    restored.rep().save_clock();
    tx.commit();
    report.carried = true;
}

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
    const auto target = database_path(dir);
    const auto staging = target + ".restoring";
    remove_with_wal(staging); // left by a restore that stopped half-way
    copy_database(snapshot, staging);
    {
        database check(staging, false);
        auto st = check.prepare("PRAGMA quick_check");
        const auto verdict = st.step() ? st.column_text(0) : std::string("no answer");
        if (verdict != "ok") {
            st.reset();
            remove_with_wal(staging);
            throw sync_error(errc::corrupt_state, snapshot + " is damaged (" + verdict +
                                                      "); restore an earlier snapshot");
        }
    }
    restore_report report;
    system_clock wall;
    try {
        auto restored = server_store::open(staging, wall);
        auth_store restored_auth(*restored);
        report.snapshot_at_ms = restored->rep().meta_int("snapshot_at_ms");
        if (fs::exists(target) && !without_carry) {
            // A database that cannot be opened is what a restore is for: the snapshot goes in
            // alone, and the report says so. One that opens must carry over whole, or nothing
            // changes: revocations made since must not be undone quietly.
            std::unique_ptr<server_store> current;
            try {
                current = server_store::open(target, wall);
                auth_store current_auth(*current);
            } catch (const std::exception& e) {
                report.carry_failure = e.what();
                current.reset();
            }
            if (current) {
                try {
                    carry_over(*restored, *current, target, report);
                } catch (const std::exception& e) {
                    throw sync_error(errc::refused,
                                     "nothing was restored: what was decided since the snapshot "
                                     "cannot be carried over from " + target + " (" + e.what() +
                                     "); fix that, or add --without-carry to install the "
                                     "snapshot alone and lose it");
                }
            }
        }
        transaction tx(restored->rep().db());
        // Without the replaced database, the ids its quarantine reached are unknown, and
        // tablets hold some of them: new entries start above any it could have made (fewer
        // than one rejection per millisecond since the snapshot), so no id names two rows.
        if (!report.carried)
            restored->rep().set_meta_int("quarantine_id_floor", system_clock{}.now_ms());
        restored->new_epoch();
        restored->rep().set_meta_text("instance", "");
        tx.commit();
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
