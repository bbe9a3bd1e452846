// A lost or stolen tablet's synced data deleted at the province office's order
// (docs/android.md, "A lost or stolen tablet"; docs/protocol.md, "A lost tablet's wipe").
#include <noi/sync/tablet.hpp>

#include "table_io.hpp"
#include "tablet_rows.hpp"

namespace noi {

void tablet::wipe() {
    auto& db = rep_->db();
    // SQLite leaves deleted rows in free pages and in the WAL until overwritten: secure_delete
    // writes zeros over them, and the checkpoint below empties the WAL.
    db.exec("PRAGMA secure_delete = ON");
    {
        transaction tx(db);
        capture_off off(*rep_);
        for (const auto& def : rep_->tables().tables)
            db.exec("DELETE FROM " + quote_ident(def.name));
        db.exec("DELETE FROM noi_rows; DELETE FROM noi_pending; DELETE FROM noi_capture; "
                "DELETE FROM noi_departed; DELETE FROM noi_rejected");
        rep_->set_meta_int("wiped_at", rep_->clock().wall_ms());
        rep_->fault_point("tablet.wipe.before_commit");
        tx.commit();
    }
    db.exec("PRAGMA secure_delete = OFF");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    if (wipe_listener_) wipe_listener_(*wiped_at_ms());
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
