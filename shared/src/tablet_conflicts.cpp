// The conflicts the server tells a tablet of (docs/protocol.md, Conflicts), kept for the app to
// show its officer: a value that went to the province for review, and the admin's decision.
#include <noi/sync/row_state.hpp>
#include <noi/sync/tablet.hpp>

namespace noi {
namespace {

// A decided conflict stays this long after the tablet heard of the decision.
constexpr std::int64_t decided_kept_ms = 30LL * 24 * 3600 * 1000;

} // namespace

void tablet::conflicts_held(proto::hello& h) {
    h.confirmed_conflict = static_cast<std::uint64_t>(rep_->meta_int("confirmed_conflict", 0));
    auto& st = rep_->db().cached("SELECT conflict_id FROM noi_conflict_notices WHERE decided = 0 "
                                 "ORDER BY conflict_id DESC LIMIT ?1");
    st.bind(1, static_cast<std::int64_t>(proto::max_rejected_listed));
    while (st.step())
        h.conflicts_open.push_back(static_cast<std::uint64_t>(st.column_int(0)));
    st.reset();
}

// In the WELCOME's transaction.
void tablet::record_conflicts(const proto::welcome& w) {
    auto& db = rep_->db();
    const auto now = rep_->clock().wall_ms();
    auto& put = db.cached(
        "INSERT INTO noi_conflict_notices(conflict_id, tbl, row_id, col, decided, kept, "
        "noticed_at, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?5 THEN ?7 END) "
        "ON CONFLICT (conflict_id) DO UPDATE SET decided = excluded.decided, kept = excluded.kept, "
        "decided_at = coalesce(decided_at, excluded.decided_at)");
    for (const auto& c : w.conflicts) {
        const auto kept = pack_values({c.kept});
        put.bind(1, static_cast<std::int64_t>(c.conflict_id)).bind(2, c.table).bind(3, c.id);
        if (c.column)
            put.bind(4, *c.column);
        else
            put.bind_null(4);
        put.bind(5, std::int64_t{c.decided}).bind_blob(6, kept.data(), kept.size()).bind(7, now);
        put.run();
    }
    if (w.conflict_head > static_cast<std::uint64_t>(rep_->meta_int("confirmed_conflict", 0)))
        rep_->set_meta_int("confirmed_conflict", static_cast<std::int64_t>(w.conflict_head));
    auto& prune = db.cached("DELETE FROM noi_conflict_notices WHERE decided_at < ?1");
    prune.bind(1, now - decided_kept_ms);
    prune.run();
}

std::vector<conflict_row> tablet::conflicts() {
    std::vector<conflict_row> out;
    auto st = rep_->db().prepare("SELECT conflict_id, tbl, row_id, col, decided, kept, noticed_at, "
                                 "decided_at FROM noi_conflict_notices ORDER BY decided, "
                                 "conflict_id");
    while (st.step()) {
        conflict_row c{static_cast<std::uint64_t>(st.column_int(0)), st.column_text(1),
                       st.column_text(2)};
        if (!st.column_is_null(3)) c.column = st.column_text(3);
        c.decided = st.column_int(4) != 0;
        if (const auto kept = unpack_values(st.column_blob(5)); !kept.empty()) c.kept = kept[0];
        c.noticed_at_ms = st.column_int(6);
        if (!st.column_is_null(7)) c.decided_at_ms = st.column_int(7);
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace noi
