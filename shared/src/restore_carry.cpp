// A restore's carry-over (noi-server restore, docs/operations.md): a snapshot put back takes
// from the database it replaces what only the server holds and was decided since. Tablets
// re-push their own writes at the new epoch; enrolments, revocations, tokens, accounts and
// their log, the conflicts and quarantine as they stand, and the server's own writes come
// across here.
#include <noi/sync/sqlite_store.hpp>

#include <set>

namespace noi {
namespace {

std::uint64_t count(database& db, const std::string& sql) {
    auto st = db.prepare(sql);
    return st.step() ? static_cast<std::uint64_t>(st.column_int(0)) : 0;
}

// Entries of cur's `table` (conflicts, quarantine) that main lacks or holds in another status:
// made or decided since the snapshot.
std::uint64_t new_or_decided_since(database& db, const std::string& table) {
    return count(db, "SELECT count(*) FROM cur." + table +
                         " c WHERE NOT EXISTS (SELECT 1 FROM main." + table +
                         " m WHERE m.id = c.id AND m.status = c.status)");
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

} // namespace

carry_report sqlite_store::take_over(sqlite_store& current, const std::string& current_path) {
    carry_report report;
    auto& db = rep().db();
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
    report.server_writes_carried = carry_releases(current);
    take_table(db, "noi_quarantine");
    // Ids a database lost in an earlier restore gave out stay unsettled (sync_service::hello).
    rep().set_meta_int("quarantine_id_floor",
                       std::max(rep().meta_int("quarantine_id_floor"),
                                current.rep().meta_int("quarantine_id_floor")));
    // A site bound since the snapshot is bound here too, with nothing acknowledged: its tablet
    // sees the new epoch and pushes from zero. Rejections confirmed are the replaced
    // database's, whose quarantine this one now holds.
    db.exec("INSERT OR IGNORE INTO main.noi_sites(site, device_id, acked_seq) SELECT site, "
            "device_id, 0 FROM cur.noi_sites");
    db.exec("UPDATE main.noi_sites SET (device_id, confirmed_rejection) = (SELECT device_id, "
            "confirmed_rejection FROM cur.noi_sites c WHERE c.site = main.noi_sites.site) WHERE "
            "site IN (SELECT site FROM cur.noi_sites)");
    carry_clock(current);
    report.server_writes_carried += carry_own_writes(current);
    tx.commit();
    return report;
}

} // namespace noi
