#include "pg_conflict_book.hpp"

#include "conflict_where.hpp"
#include "pg_feed.hpp"

namespace noi {
namespace {

pg::param packed(const value& v) {
    return pg::param::blob(pack_values({v}));
}

value unpacked(const pg::result& r, int row, int col) {
    if (r.is_null(row, col)) return {};
    auto values = unpack_values(r.bytes(row, col));
    return values.empty() ? value{} : values.front();
}

pg::param text_or_null(const std::string& t) {
    return t.empty() ? pg::param{} : pg::param{t};
}

// The filter's values (numbers and texts).
std::vector<pg::param> params_of(const conflict_where& q) {
    std::vector<pg::param> out;
    for (const auto& v : q.params) {
        if (const auto* n = std::get_if<std::int64_t>(&v))
            out.emplace_back(*n);
        else
            out.emplace_back(std::get<std::string>(v));
    }
    return out;
}

// The filter's values, then its page: the same statement serves every page (no limit: NULL).
std::vector<pg::param> paged(const conflict_where& q, const conflict_filter& f) {
    auto params = params_of(q);
    params.push_back(f.limit ? pg::param{f.limit} : pg::param{});
    params.push_back(f.offset);
    return params;
}

} // namespace

void pg_conflict_book::record(const conflict_record& c) {
    // A side without its device is looked up by its site now, when the conflict is recorded:
    // who wrote a value is fixed when it is written. The id is read under the write lock.
    c_.send("INSERT INTO noi_conflicts(id, kind, tbl, row_id, col, scope, created_at, w_value, "
            "w_site, w_hlc, w_deleted, l_value, l_site, l_hlc, l_deleted, device_id, w_device, "
            "l_device) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM noi_conflicts), $1, $2, $3, "
            "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
            "coalesce($16, (SELECT device_id FROM noi_sites WHERE site = $8)), "
            "coalesce($17, (SELECT device_id FROM noi_sites WHERE site = $12)))",
            {std::string(to_string(c.kind)), c.table, c.row_id,
             c.column ? pg::param{*c.column} : pg::param{}, text_or_null(c.scope), c.created_at_ms,
             packed(c.winner.val), site_param(c.winner.site), c.winner.hlc,
             pg::param::parsed(c.winner.deleted ? "true" : "false"), packed(c.loser.val),
             site_param(c.loser.site), c.loser.hlc,
             pg::param::parsed(c.loser.deleted ? "true" : "false"), text_or_null(c.device_id),
             text_or_null(c.winner.device_id), text_or_null(c.loser.device_id)});
}

std::vector<conflict_record> pg_conflict_book::find(const conflict_filter& f) {
    const conflict_where q(f, '$');
    auto r = c_.run(
        "SELECT c.id, c.kind, c.tbl, c.row_id, c.col, coalesce(c.scope, ''), c.status, "
        "c.created_at, c.w_value, c.w_site, c.w_hlc, c.w_deleted, "
        "coalesce(c.w_device, ws.device_id, ''), c.l_value, c.l_site, c.l_hlc, c.l_deleted, "
        "coalesce(c.l_device, ls.device_id, ''), c.resolved_by, c.resolved_at, c.resolution, "
        "coalesce(c.device_id, '') FROM noi_conflicts c "
        "LEFT JOIN noi_sites ws ON ws.site = c.w_site "
        "LEFT JOIN noi_sites ls ON ls.site = c.l_site" +
            q.sql + " ORDER BY c.id LIMIT $" + std::to_string(q.params.size() + 1) + " OFFSET $" +
            std::to_string(q.params.size() + 2),
        paged(q, f));
    std::vector<conflict_record> out;
    for (int i = 0; i < r.rows(); ++i) {
        conflict_record c;
        c.id = static_cast<std::uint64_t>(r.integer(i, 0));
        c.kind = r.bytes(i, 1) == "update" ? merge::conflict_kind::update
                                           : merge::conflict_kind::delete_update;
        c.table = r.bytes(i, 2);
        c.row_id = r.bytes(i, 3);
        if (!r.is_null(i, 4)) c.column = r.bytes(i, 4);
        c.scope = r.bytes(i, 5);
        c.status = r.bytes(i, 6) == "open" ? conflict_status::open : conflict_status::resolved;
        c.created_at_ms = r.integer(i, 7);
        c.winner = {unpacked(r, i, 8), site_from(r.bytes(i, 9)), r.bytes(i, 12),
                    static_cast<std::uint64_t>(r.integer(i, 10)), r.integer(i, 11) != 0};
        c.loser = {unpacked(r, i, 13), site_from(r.bytes(i, 14)), r.bytes(i, 17),
                   static_cast<std::uint64_t>(r.integer(i, 15)), r.integer(i, 16) != 0};
        if (!r.is_null(i, 18)) c.resolved_by = r.bytes(i, 18);
        if (!r.is_null(i, 19)) c.resolved_at_ms = r.integer(i, 19);
        if (!r.is_null(i, 20)) c.resolution = r.bytes(i, 20);
        c.device_id = r.bytes(i, 21);
        out.push_back(std::move(c));
    }
    return out;
}

void pg_conflict_book::mark_resolved(std::uint64_t id, const std::string& by,
                                     const std::string& resolution) {
    c_.run("UPDATE noi_conflicts SET status = 'resolved', resolved_by = $2, resolved_at = $3, "
           "resolution = $4 WHERE id = $1",
           {id, by, wall_.now_ms(), resolution});
}

std::uint64_t pg_conflict_book::resolve_open_of(const std::string& device_id, const std::string& by,
                                                const std::string& resolution) {
    return c_
        .run("UPDATE noi_conflicts SET status = 'resolved', resolved_by = $2, resolved_at = $3, "
             "resolution = $4 WHERE device_id = $1 AND status = 'open'",
             {device_id, by, wall_.now_ms(), resolution})
        .changed();
}

void pg_conflict_book::restamp(std::uint64_t id, bool winner, const version& v) {
    c_.run(winner ? "UPDATE noi_conflicts SET w_hlc = $2, w_site = $3 WHERE id = $1"
                  : "UPDATE noi_conflicts SET l_hlc = $2, l_site = $3 WHERE id = $1",
           {id, v.hlc, site_param(v.site)});
}

std::uint64_t pg_conflict_book::count(const conflict_filter& f) {
    const conflict_where q(f, '$');
    return static_cast<std::uint64_t>(
        c_.run("SELECT count(*) FROM noi_conflicts c" + q.sql, params_of(q)).integer(0, 0));
}

std::uint64_t pg_conflict_book::newest_id() {
    return static_cast<std::uint64_t>(
        c_.run("SELECT coalesce(max(id), 0) FROM noi_conflicts").integer(0, 0));
}

conflict_book::totals pg_conflict_book::count() {
    auto r = c_.run("SELECT count(*), count(*) FILTER (WHERE status = 'open') FROM noi_conflicts");
    return {static_cast<std::uint64_t>(r.integer(0, 0)),
            static_cast<std::uint64_t>(r.integer(0, 1))};
}

} // namespace noi
