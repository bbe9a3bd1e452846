#include "pg_feed.hpp"

#include <algorithm>

namespace noi {

pg::param site_param(const site_id& s) {
    return pg::param::blob(std::string_view(reinterpret_cast<const char*>(s.data()), s.size()));
}

site_id site_from(const std::string& bytes) {
    site_id s{};
    std::copy_n(bytes.begin(), std::min(bytes.size(), s.size()), s.begin());
    return s;
}

pg::param scope_param(const value& scope) {
    if (const auto* s = std::get_if<std::string>(&scope)) return pg::param{*s};
    return pg::param{};
}

pg_feed::pg_feed(pg::connection& c, std::function<void()> refresh_schema)
    : c_(c), refresh_schema_(std::move(refresh_schema)), seq_(committed_head()) {}

std::uint64_t pg_feed::committed_head() {
    return static_cast<std::uint64_t>(
        c_.run("SELECT coalesce(max(seq), 0) FROM noi_feed").integer(0, 0));
}

void pg_feed::record(std::uint64_t seq, const std::string& table, const std::string& id,
                     const value& scope, const site_id* pusher, const feed_audit* audit) {
    std::vector<pg::param> p{seq, table, id, scope_param(scope)};
    p.push_back(pusher ? site_param(*pusher) : pg::param{});
    if (audit) {
        p.push_back(audit->at);
        p.push_back(audit->device_id);
        p.push_back(!pusher || *pusher != audit->writer ? site_param(audit->writer) : pg::param{});
        p.push_back(pg::param::blob(audit->cells));
        p.push_back(audit->prev ? pg::param(audit->prev) : pg::param{});
    } else {
        p.resize(10);
    }
    c_.insert("INSERT INTO noi_feed(seq, tbl, id, scope, site, at, device_id, writer, cells, prev)",
              std::move(p));
}

void pg_feed::for_everyone(std::uint64_t seq) {
    c_.send("UPDATE noi_feed SET writer = coalesce(writer, site), site = NULL WHERE seq = $1",
            {seq});
}

void pg_feed::answer(std::uint64_t seq, const std::string& table, const std::string& id,
                     const value& scope, const site_id& site) {
    c_.send("UPDATE noi_feed SET dead = true WHERE only_site = $1 AND tbl = $2 AND id = $3 AND "
            "dead IS NULL",
            {site_param(site), table, id});
    c_.send("INSERT INTO noi_feed(seq, tbl, id, scope, only_site) VALUES ($1, $2, $3, $4, $5)",
            {seq, table, id, scope_param(scope), site_param(site)});
}

void pg_feed::supersede(const std::vector<std::uint64_t>& held, const row_state& after) {
    const auto kept = sequences_of(after);
    for (auto seq : held)
        if (!std::binary_search(kept.begin(), kept.end(), seq))
            c_.send("UPDATE noi_feed SET dead = true WHERE seq = $1", {seq});
}

void pg_feed::read(const feed_query& q, const std::function<bool(const feed_entry&)>& fn) {
    std::optional<pg::snapshot> one_snapshot;
    if (!c_.in_transaction()) one_snapshot.emplace(c_);
    std::vector<pg::param> p{q.after, std::uint64_t{q.limit}};
    p.push_back(q.answers_for ? site_param(*q.answers_for) : pg::param{});
    std::string sql;
    if (q.units) {
        // One index range per unit, global tables and answers, merged by sequence: a single
        // condition joining them with OR is planned as a scan of every unit's entries since the
        // cursor, so a pull in a province of many communes read all of theirs.
        sql = "SELECT seq, tbl, id, site, answer FROM (SELECT f.*, false AS answer FROM (SELECT "
              "DISTINCT unnest($4::text[]) AS scope) u CROSS JOIN LATERAL (SELECT seq, tbl, id, "
              "site FROM noi_feed WHERE scope = u.scope AND seq > $1 AND dead IS NULL AND "
              "only_site IS NULL ORDER BY seq LIMIT $2) f UNION ALL (SELECT seq, tbl, id, site, "
              "false FROM noi_feed WHERE scope IS NULL AND seq > $1 AND dead IS NULL AND "
              "only_site IS NULL ORDER BY seq LIMIT $2) UNION ALL (SELECT seq, tbl, id, site, "
              "true FROM noi_feed WHERE only_site = $3 AND seq > $1 AND dead IS NULL ORDER BY seq "
              "LIMIT $2)) e ORDER BY seq LIMIT $2";
        p.push_back(pg::param::texts(*q.units));
    } else {
        sql = "SELECT seq, tbl, id, site, only_site IS NOT NULL FROM noi_feed WHERE seq > $1 AND "
              "dead IS NULL AND (only_site IS NULL OR only_site = $3) ORDER BY seq LIMIT $2";
    }
    auto r = c_.run(sql, p);
    if (refresh_schema_) refresh_schema_();
    std::vector<feed_entry> entries(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        auto& e = entries[static_cast<std::size_t>(i)];
        e.seq = static_cast<std::uint64_t>(r.integer(i, 0));
        e.table = r.bytes(i, 1);
        e.id = r.bytes(i, 2);
        if (!r.is_null(i, 3)) e.pusher = site_from(r.bytes(i, 3));
        e.answer = r.integer(i, 4) != 0;
    }
    if (q.ahead) q.ahead(entries);
    for (const auto& e : entries)
        if (!fn(e)) return;
}

std::vector<std::pair<value, std::uint64_t>> pg_feed::newest_after(std::uint64_t after) {
    auto r = c_.run("SELECT scope, max(seq) FROM noi_feed WHERE seq > $1 AND dead IS NULL AND "
                    "only_site IS NULL GROUP BY scope",
                    {after});
    std::vector<std::pair<value, std::uint64_t>> out;
    for (int i = 0; i < r.rows(); ++i)
        out.emplace_back(r.is_null(i, 0) ? value{} : value{r.bytes(i, 0)},
                         static_cast<std::uint64_t>(r.integer(i, 1)));
    return out;
}

} // namespace noi
