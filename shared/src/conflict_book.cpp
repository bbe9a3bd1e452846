#include "conflict_book.hpp"

#include "site_bytes.hpp"

#include <string>

namespace noi {

std::string_view to_string(conflict_status s) {
    return s == conflict_status::open ? "open" : "resolved";
}

std::string_view to_string(merge::conflict_kind k) {
    return k == merge::conflict_kind::update ? "update" : "delete_update";
}

void conflict_book::record(const conflict_record& c) {
    auto& cq = rep_.db().cached(
        "INSERT INTO noi_conflicts(kind, tbl, row_id, col, scope, created_at, w_value, w_site, "
        "w_hlc, w_deleted, l_value, l_site, l_hlc, l_deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
        "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    const auto ws = site_bytes(c.winner.site), ls = site_bytes(c.loser.site);
    cq.bind(1, to_string(c.kind)).bind(2, c.table).bind(3, c.row_id);
    if (c.column)
        cq.bind(4, *c.column);
    else
        cq.bind_null(4);
    // A conflict of a global table has no scope: NULL, as the feed files it.
    if (c.scope.empty())
        cq.bind_null(5);
    else
        cq.bind(5, c.scope);
    cq.bind(6, c.created_at_ms).bind(7, c.winner.val).bind_blob(8, ws.data(), ws.size());
    cq.bind(9, static_cast<std::int64_t>(c.winner.hlc)).bind(10, std::int64_t{c.winner.deleted});
    cq.bind(11, c.loser.val).bind_blob(12, ls.data(), ls.size());
    cq.bind(13, static_cast<std::int64_t>(c.loser.hlc)).bind(14, std::int64_t{c.loser.deleted});
    cq.run();
}

std::vector<conflict_record> conflict_book::find(const conflict_filter& f) {
    std::vector<conflict_record> out;
    // Only the fields the filter sets become terms: a term that may be void ("?1 IS NULL OR
    // c.id = ?1") keeps SQLite from using the primary key, so a look-up by id read every row.
    std::string where;
    auto term = [&](bool set, const char* sql) {
        if (set) where += (where.empty() ? " WHERE " : " AND ") + std::string(sql);
    };
    term(f.id.has_value(), "c.id = ?1");
    term(f.status.has_value(), "c.status = ?2");
    term(f.table.has_value(), "c.tbl = ?3");
    term(f.row_id.has_value(), "c.row_id = ?4");
    auto st = rep_.db().prepare(
        "SELECT c.id, c.kind, c.tbl, c.row_id, c.col, coalesce(c.scope, ''), c.status, "
        "c.created_at, c.w_value, c.w_site, c.w_hlc, c.w_deleted, coalesce(ws.device_id, ''), "
        "c.l_value, c.l_site, c.l_hlc, c.l_deleted, coalesce(ls.device_id, ''), c.resolved_by, "
        "c.resolved_at, c.resolution FROM noi_conflicts c "
        "LEFT JOIN noi_sites ws ON ws.site = c.w_site "
        "LEFT JOIN noi_sites ls ON ls.site = c.l_site" +
        where + " ORDER BY c.id");
    if (f.id) st.bind(1, static_cast<std::int64_t>(*f.id));
    if (f.status) st.bind(2, to_string(*f.status));
    if (f.table) st.bind(3, *f.table);
    if (f.row_id) st.bind(4, *f.row_id);
    while (st.step()) {
        conflict_record c;
        c.id = static_cast<std::uint64_t>(st.column_int(0));
        c.kind = st.column_text(1) == "update" ? merge::conflict_kind::update
                                               : merge::conflict_kind::delete_update;
        c.table = st.column_text(2);
        c.row_id = st.column_text(3);
        if (!st.column_is_null(4)) c.column = st.column_text(4);
        c.scope = st.column_text(5);
        c.status = st.column_text(6) == "open" ? conflict_status::open : conflict_status::resolved;
        c.created_at_ms = st.column_int(7);
        c.winner = {st.column(8), to_site(st.column_blob(9)), st.column_text(12),
                    static_cast<std::uint64_t>(st.column_int(10)), st.column_int(11) != 0};
        c.loser = {st.column(13), to_site(st.column_blob(14)), st.column_text(17),
                   static_cast<std::uint64_t>(st.column_int(15)), st.column_int(16) != 0};
        if (!st.column_is_null(18)) c.resolved_by = st.column_text(18);
        if (!st.column_is_null(19)) c.resolved_at_ms = st.column_int(19);
        if (!st.column_is_null(20)) c.resolution = st.column_text(20);
        out.push_back(std::move(c));
    }
    return out;
}

void conflict_book::mark_resolved(std::uint64_t id, const std::string& by,
                                  const std::string& resolution) {
    auto& u = rep_.db().cached(
        "UPDATE noi_conflicts SET status = 'resolved', resolved_by = ?2, resolved_at = ?3, "
        "resolution = ?4 WHERE id = ?1");
    u.bind(1, static_cast<std::int64_t>(id))
        .bind(2, by)
        .bind(3, rep_.clock().wall_ms())
        .bind(4, resolution);
    u.run();
}

void conflict_book::restamp(std::uint64_t id, bool winner, const version& v) {
    const auto site = site_bytes(v.site);
    auto& u =
        rep_.db().cached(winner ? "UPDATE noi_conflicts SET w_hlc = ?2, w_site = ?3 WHERE id = ?1"
                                : "UPDATE noi_conflicts SET l_hlc = ?2, l_site = ?3 WHERE id = ?1");
    u.bind(1, static_cast<std::int64_t>(id)).bind(2, static_cast<std::int64_t>(v.hlc));
    u.bind_blob(3, site.data(), site.size());
    u.run();
}

conflict_book::totals conflict_book::count() {
    auto& st =
        rep_.db().cached("SELECT count(*), coalesce(sum(status = 'open'), 0) FROM noi_conflicts");
    totals t;
    if (st.step()) {
        t.all = static_cast<std::uint64_t>(st.column_int(0));
        t.open = static_cast<std::uint64_t>(st.column_int(1));
    }
    st.reset();
    return t;
}

} // namespace noi
