#include "sqlite_conflict_book.hpp"

#include "conflict_where.hpp"
#include "site_bytes.hpp"

#include <string>

namespace noi {

void sqlite_conflict_book::record(const conflict_record& c) {
    // A side without its device is looked up by its site now, when the conflict is recorded:
    // who wrote a value is fixed when it is written.
    auto& cq = rep_.db().cached(
        "INSERT INTO noi_conflicts(kind, tbl, row_id, col, scope, created_at, w_value, w_site, "
        "w_hlc, w_deleted, l_value, l_site, l_hlc, l_deleted, device_id, w_device, l_device) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
        "coalesce(?16, (SELECT device_id FROM noi_sites WHERE site = ?8)), "
        "coalesce(?17, (SELECT device_id FROM noi_sites WHERE site = ?12)))");
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
    auto text_or_null = [&](int i, const std::string& t) {
        if (t.empty())
            cq.bind_null(i);
        else
            cq.bind(i, t);
    };
    text_or_null(15, c.device_id);
    text_or_null(16, c.winner.device_id);
    text_or_null(17, c.loser.device_id);
    cq.run();
}

namespace {

void bind_all(statement& st, const std::vector<value>& params) {
    for (std::size_t i = 0; i < params.size(); ++i)
        st.bind(static_cast<int>(i + 1), params[i]);
}

} // namespace

std::vector<conflict_record> sqlite_conflict_book::find(const conflict_filter& f) {
    std::vector<conflict_record> out;
    const conflict_where q(f, '?');
    auto st = rep_.db().prepare(
        "SELECT c.id, c.kind, c.tbl, c.row_id, c.col, coalesce(c.scope, ''), c.status, "
        "c.created_at, c.w_value, c.w_site, c.w_hlc, c.w_deleted, "
        "coalesce(c.w_device, ws.device_id, ''), c.l_value, c.l_site, c.l_hlc, c.l_deleted, "
        "coalesce(c.l_device, ls.device_id, ''), c.resolved_by, c.resolved_at, c.resolution, "
        "coalesce(c.device_id, '') FROM noi_conflicts c "
        "LEFT JOIN noi_sites ws ON ws.site = c.w_site "
        "LEFT JOIN noi_sites ls ON ls.site = c.l_site" +
        q.sql + " ORDER BY c.id LIMIT " + (f.limit ? std::to_string(f.limit) : std::string("-1")) +
        " OFFSET " + std::to_string(f.offset));
    bind_all(st, q.params);
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
        c.device_id = st.column_text(21);
        out.push_back(std::move(c));
    }
    return out;
}

void sqlite_conflict_book::mark_resolved(std::uint64_t id, const std::string& by,
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

std::uint64_t sqlite_conflict_book::resolve_open_of(const std::string& device_id,
                                                    const std::string& by,
                                                    const std::string& resolution) {
    auto& u = rep_.db().cached(
        "UPDATE noi_conflicts SET status = 'resolved', resolved_by = ?2, resolved_at = ?3, "
        "resolution = ?4 WHERE device_id = ?1 AND status = 'open'");
    u.bind(1, device_id).bind(2, by).bind(3, rep_.clock().wall_ms()).bind(4, resolution);
    u.run();
    return static_cast<std::uint64_t>(rep_.db().changes());
}

void sqlite_conflict_book::restamp(std::uint64_t id, bool winner, const version& v) {
    const auto site = site_bytes(v.site);
    auto& u =
        rep_.db().cached(winner ? "UPDATE noi_conflicts SET w_hlc = ?2, w_site = ?3 WHERE id = ?1"
                                : "UPDATE noi_conflicts SET l_hlc = ?2, l_site = ?3 WHERE id = ?1");
    u.bind(1, static_cast<std::int64_t>(id)).bind(2, static_cast<std::int64_t>(v.hlc));
    u.bind_blob(3, site.data(), site.size());
    u.run();
}

std::uint64_t sqlite_conflict_book::count(const conflict_filter& f) {
    const conflict_where q(f, '?');
    auto st = rep_.db().prepare("SELECT count(*) FROM noi_conflicts c" + q.sql);
    bind_all(st, q.params);
    return st.step() ? static_cast<std::uint64_t>(st.column_int(0)) : 0;
}

std::uint64_t sqlite_conflict_book::newest_id() {
    auto& st = rep_.db().cached("SELECT coalesce(max(id), 0) FROM noi_conflicts");
    st.step();
    const auto id = static_cast<std::uint64_t>(st.column_int(0));
    st.reset();
    return id;
}

sqlite_conflict_book::totals sqlite_conflict_book::count() {
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
