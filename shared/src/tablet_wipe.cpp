// A lost or stolen tablet's synced data deleted at the province office's order
// (docs/android.md, "A lost or stolen tablet"; docs/protocol.md, "A lost tablet's wipe").
#include <noi/sync/tablet.hpp>

#include "table_io.hpp"
#include "tablet_rows.hpp"

#include <chrono>
#include <thread>

namespace noi {

namespace {

// SQLite leaves deleted rows in free pages and in the WAL until overwritten: secure_delete
// writes zeros over them while it is on (for this connection only, whatever happens).
struct secure_delete_on {
    database& db;
    explicit secure_delete_on(database& d) : db(d) { db.exec("PRAGMA secure_delete = ON"); }
    ~secure_delete_on() {
        try {
            db.exec("PRAGMA secure_delete = OFF");
        } catch (...) {
        }
    }
};

} // namespace

void tablet::wipe() {
    auto& db = rep_->db();
    {
        secure_delete_on zeros(db);
        transaction tx(db);
        capture_off off(*rep_);
        for (const auto& def : rep_->tables().tables)
            db.exec("DELETE FROM " + quote_ident(def.name));
        db.exec("DELETE FROM noi_rows; DELETE FROM noi_pending; DELETE FROM noi_capture; "
                "DELETE FROM noi_departed; DELETE FROM noi_rejected; DELETE FROM "
                "noi_conflict_notices");
        rep_->set_meta_int("wiped_at", rep_->clock().wall_ms());
        rep_->fault_point("tablet.wipe.before_commit");
        tx.commit();
    }
    empty_wal();
    if (wipe_listener_) wipe_listener_(*wiped_at_ms());
}

bool tablet::empty_wal() {
    // The old rows' pages stay in the WAL until a checkpoint copies them out and truncates it;
    // another connection's open read holds it back, so it is tried for a second, and again at
    // every later sync of the wiped replica (replicator::wiped).
    auto& db = rep_->db();
    for (int attempt = 0; attempt < 50; ++attempt) {
        auto st = db.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
        if (st.step() && st.column_int(0) == 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::optional<std::int64_t> tablet::wiped_at_ms() {
    const auto at = rep_->meta_int("wiped_at", -1);
    if (at < 0) return std::nullopt;
    return at;
}

bool tablet::wipe_reported() {
    return rep_->meta_int("wipe_reported", 0) != 0;
}

void tablet::set_wipe_reported() {
    rep_->set_meta_int("wipe_reported", 1);
}

} // namespace noi
