#include "sqlite_quarantine_book.hpp"

#include <noi/sync/server_store.hpp>

#include "quarantine_payload.hpp"
#include "site_bytes.hpp"

namespace noi {
std::uint64_t sqlite_quarantine_book::repeats(const new_entry& e) {
    const auto site = site_bytes(e.site);
    auto& st = rep_.db().cached("SELECT coalesce(sum(repeats), 0) FROM noi_quarantine WHERE "
                                "device_id = ?1 AND tbl = ?2 AND row_id = ?3 AND reason = ?4 AND "
                                "status = 'open' AND site = ?5");
    st.bind(1, e.device_id).bind(2, e.table).bind(3, e.row_id);
    st.bind(4, static_cast<std::int64_t>(e.reason)).bind_blob(5, site.data(), site.size());
    const auto n = st.step() ? static_cast<std::uint64_t>(st.column_int(0)) : 0;
    st.reset();
    return n;
}

std::uint64_t sqlite_quarantine_book::add(const new_entry& e) {
    auto& db = rep_.db();
    const auto site = site_bytes(e.site);
    // Written before the entries it collapses are dropped: it takes a number above theirs,
    // never one of theirs (SQLite would reuse the greatest id once deleted).
    auto& q = db.cached(
        "INSERT INTO noi_quarantine(id, device_id, site, tbl, row_id, seq, reason, message, "
        "payload, received_at, repeats) VALUES (max(coalesce((SELECT max(id) FROM "
        "noi_quarantine), 0) + 1, coalesce((SELECT value FROM noi_meta WHERE key = "
        "'quarantine_id_floor'), 0)), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    q.bind(1, e.device_id).bind_blob(2, site.data(), site.size()).bind(3, e.table);
    q.bind(4, e.row_id)
        .bind(5, static_cast<std::int64_t>(e.seq))
        .bind(6, static_cast<std::int64_t>(e.reason))
        .bind(7, e.message);
    if (e.payload)
        q.bind_blob(8, e.payload->data(), e.payload->size());
    else
        q.bind_null(8);
    q.bind(9, e.at).bind(10, static_cast<std::int64_t>(e.repeats));
    q.run();
    const auto id = db.last_insert_rowid();
    if (e.repeats > 1) {
        auto& drop = db.cached("DELETE FROM noi_quarantine WHERE device_id = ?1 AND tbl = ?2 "
                               "AND row_id = ?3 AND reason = ?4 AND status = 'open' AND id != ?5 "
                               "AND site = ?6");
        drop.bind(1, e.device_id).bind(2, e.table).bind(3, e.row_id);
        drop.bind(4, static_cast<std::int64_t>(e.reason)).bind(5, id);
        drop.bind_blob(6, site.data(), site.size());
        drop.run();
    }
    return static_cast<std::uint64_t>(id);
}

quarantine_book::held sqlite_quarantine_book::open_of(const std::string& device_id) {
    auto& st = rep_.db().cached(
        "SELECT coalesce(sum(repeats), 0), coalesce(sum(coalesce(length(payload), 0) + "
        "length(CAST(tbl AS BLOB)) + length(CAST(row_id AS BLOB)) + length(CAST(message AS "
        "BLOB))), 0) FROM noi_quarantine WHERE device_id = ?1 AND status = 'open'");
    st.bind(1, device_id);
    st.step();
    held h{static_cast<std::uint64_t>(st.column_int(0)),
           static_cast<std::uint64_t>(st.column_int(1))};
    st.reset();
    return h;
}

std::vector<proto::rejection> sqlite_quarantine_book::after(const site_id& s,
                                                            std::uint64_t confirmed) {
    const auto site = site_bytes(s);
    std::vector<proto::rejection> out;
    // A discarded or released rejection is not sent: the admin has decided, and a tablet that
    // never heard of it keeps its row as the officer entered it.
    auto& rej = rep_.db().cached("SELECT id, tbl, row_id, seq, reason, message FROM noi_quarantine "
                                 "WHERE site = ?1 AND id > ?2 AND status = 'open' ORDER BY id "
                                 "LIMIT 1000");
    rej.bind_blob(1, site.data(), site.size()).bind(2, static_cast<std::int64_t>(confirmed));
    while (rej.step())
        out.push_back({static_cast<std::uint64_t>(rej.column_int(0)), rej.column_text(1),
                       rej.column_text(2), static_cast<std::uint64_t>(rej.column_int(3)),
                       static_cast<proto::reject_reason>(rej.column_int(4)), rej.column_text(5)});
    rej.reset();
    return out;
}

std::optional<bool> sqlite_quarantine_book::closed(std::uint64_t id, const site_id& s) {
    const auto site = site_bytes(s);
    auto& st =
        rep_.db().cached("SELECT site = ?2 AND status != 'open' FROM noi_quarantine WHERE id = ?1");
    st.bind(1, static_cast<std::int64_t>(id)).bind_blob(2, site.data(), site.size());
    std::optional<bool> done;
    if (st.step()) done = st.column_int(0) != 0;
    st.reset();
    return done;
}

std::uint64_t sqlite_quarantine_book::newest_id() {
    auto& st = rep_.db().cached("SELECT coalesce(max(id), 0) FROM noi_quarantine");
    const auto top = st.step() ? static_cast<std::uint64_t>(st.column_int(0)) : 0;
    st.reset();
    return top;
}

std::optional<quarantine_book::entry> sqlite_quarantine_book::find(std::uint64_t id) {
    auto& q = rep_.db().cached(
        "SELECT device_id, status, payload, site FROM noi_quarantine WHERE id = ?1");
    q.bind(1, static_cast<std::int64_t>(id));
    std::optional<entry> e;
    if (q.step()) {
        e.emplace();
        e->device_id = q.column_text(0);
        e->status = quarantine_state_of(q.column_text(1));
        e->kept = !q.column_is_null(2) && !q.column_blob(2).empty();
        if (e->kept) e->row = decode_quarantined(q.column_blob(2));
        e->pusher = to_site(q.column_blob(3));
    }
    q.reset();
    return e;
}

std::optional<quarantine_state> sqlite_quarantine_book::status(std::uint64_t id) {
    auto& q = rep_.db().cached("SELECT status FROM noi_quarantine WHERE id = ?1");
    q.bind(1, static_cast<std::int64_t>(id));
    std::optional<quarantine_state> s;
    if (q.step()) s = quarantine_state_of(q.column_text(0));
    q.reset();
    return s;
}

bool sqlite_quarantine_book::discard(std::uint64_t id) {
    auto& st = rep_.db().cached(
        "UPDATE noi_quarantine SET status = 'discarded', payload = NULL WHERE id = ?1 AND "
        "status = 'open'");
    st.bind(1, static_cast<std::int64_t>(id));
    st.run();
    return rep_.db().changes() > 0;
}

void sqlite_quarantine_book::mark_released(std::uint64_t id) {
    auto& u = rep_.db().cached("UPDATE noi_quarantine SET status = 'released' WHERE id = ?1");
    u.bind(1, static_cast<std::int64_t>(id));
    u.run();
}

std::vector<quarantine_record> sqlite_quarantine_book::all() {
    std::vector<quarantine_record> out;
    auto st = rep_.db().prepare(
        "SELECT id, device_id, tbl, row_id, reason, message, status, received_at, repeats "
        "FROM noi_quarantine ORDER BY id");
    while (st.step())
        out.push_back({static_cast<std::uint64_t>(st.column_int(0)), st.column_text(1),
                       st.column_text(2), st.column_text(3),
                       static_cast<proto::reject_reason>(st.column_int(4)), st.column_text(5),
                       quarantine_state_of(st.column_text(6)), st.column_int(7),
                       static_cast<std::uint64_t>(st.column_int(8))});
    return out;
}

std::uint64_t sqlite_quarantine_book::open_count() {
    auto& st = rep_.db().cached("SELECT count(*) FROM noi_quarantine WHERE status = 'open'");
    const auto n = st.step() ? static_cast<std::uint64_t>(st.column_int(0)) : 0;
    st.reset();
    return n;
}

std::vector<std::pair<std::uint64_t, quarantine_book::entry>> sqlite_quarantine_book::released() {
    std::vector<std::pair<std::uint64_t, entry>> out;
    auto st = rep_.db().prepare("SELECT id, device_id, site, payload FROM noi_quarantine "
                                "WHERE status = 'released' AND payload IS NOT NULL");
    while (st.step()) {
        entry e;
        e.device_id = st.column_text(1);
        e.pusher = to_site(st.column_blob(2));
        e.status = quarantine_state::released;
        e.kept = true;
        e.row = decode_quarantined(st.column_blob(3));
        out.emplace_back(static_cast<std::uint64_t>(st.column_int(0)), std::move(e));
    }
    return out;
}

} // namespace noi
