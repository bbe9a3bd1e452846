// What the tablet tells about itself: its cursor, its pending and rejected rows, its last sync.
#include <noi/sync/row_state.hpp>
#include <noi/sync/tablet.hpp>

#include "tablet_checkpoint.hpp"

#include <algorithm>

namespace noi {

std::uint64_t tablet::cursor() {
    return read_checkpoint(rep_->db()).cursor;
}

bool tablet::pulls_own() {
    return read_checkpoint(rep_->db()).pulls_own;
}

std::int64_t tablet::others_commits() {
    auto& st = rep_->db().cached("PRAGMA data_version");
    st.step();
    const auto v = st.column_int(0);
    st.reset();
    return v;
}

tablet_status tablet::status() {
    auto& db = rep_->db();
    const auto cp = read_checkpoint(db);
    tablet_status s;
    auto& pending =
        db.cached("SELECT (SELECT count(*) FROM noi_pending WHERE lseq > ?1) + (SELECT count(*) "
                  "FROM noi_capture), "
                  "(SELECT min(hlc) FROM noi_capture), (SELECT count(*) FROM noi_rejected)");
    pending.bind(1, static_cast<std::int64_t>(cp.acked));
    if (pending.step()) {
        s.pending = static_cast<std::uint64_t>(pending.column_int(0));
        if (!pending.column_is_null(1))
            s.oldest_pending_ms = hlc_to_ms(static_cast<std::uint64_t>(pending.column_int(1)));
        s.rejected = static_cast<std::uint64_t>(pending.column_int(2));
    }
    pending.reset();
    if (s.pending && !s.oldest_pending_ms) {
        // Folded but unacknowledged: the oldest pending row change's HLC is in its state.
        auto& first = db.cached("SELECT p.tbl, p.id, p.lseq FROM noi_pending p WHERE p.lseq > ?1 "
                                "ORDER BY p.lseq LIMIT 1");
        first.bind(1, static_cast<std::int64_t>(cp.acked));
        if (first.step()) {
            auto table = first.column_text(0), id = first.column_text(1);
            auto l = static_cast<std::uint64_t>(first.column_int(2));
            first.reset();
            if (const auto* def = rep_->tables().find(table))
                if (auto st = row_state_store(db).load(table, id, def->columns.size())) {
                    std::uint64_t h = 0;
                    if (st->exists && st->exists->seq == l) h = st->exists->ver.hlc;
                    for (const auto& c : st->cells)
                        if (c && c->seq == l) h = h ? std::min(h, c->ver.hlc) : c->ver.hlc;
                    if (h) s.oldest_pending_ms = hlc_to_ms(h);
                }
        }
        first.reset();
    }
    s.last_sync_at_ms = cp.last_sync_at_ms;
    s.server_seq = cp.cursor;
    s.scope = rep_->meta_text("scope").value_or("");
    return s;
}

} // namespace noi
