// Answering a PULL: the feed read by cursor in the device's scope, each row sent with the
// cells whose newest emission is the entry read (docs/design.md §4).
#include <noi/sync/error.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/sqlite_store.hpp>

#include "pull_rules.hpp"
#include "site_bytes.hpp"

#include <algorithm>

namespace noi {

proto::changes sqlite_store::pull(const device& d, const proto::pull& p,
                                  const std::optional<site_id>& puller) {
    auto& db = rep_->db();
    // Emissions of the puller's own pushes are left out unless it asks: it holds every version
    // in them (docs/design.md §4). They cost no bytes but are bounded too, so one PULL never scans
    // a whole backlog.
    const std::string skip = !p.own && puller ? site_bytes(*puller) : std::string();
    pull_page page(p, opt_.max_pull_rows, opt_.max_pull_bytes, !skip.empty());
    const bool all = d.scope == "*";
    // Index ranges merged in seq order: with an OR, SQLite reads every later row of the commune
    // and sorts them before the LIMIT, which made a bootstrap quadratic. Dead entries and
    // others' answers are outside the ranges (partial indexes), so no pull pages through them.
    // A unit merged into the device's reads its own range (docs/design.md §11).
    const auto units = d.read_units();
    std::string sql;
    if (all) {
        sql = "SELECT seq, tbl, id, site, 0 FROM noi_feed WHERE seq > ?1 AND dead IS NULL AND "
              "only_site IS NULL UNION ALL ";
    } else {
        for (std::size_t i = 0; i < units.size(); ++i)
            sql += "SELECT seq, tbl, id, site, 0 FROM noi_feed WHERE scope = ?" +
                   std::to_string(4 + i) +
                   " AND seq > ?1 AND dead IS NULL AND only_site IS NULL UNION ALL ";
        sql += "SELECT seq, tbl, id, site, 0 FROM noi_feed WHERE scope IS NULL AND seq > ?1 AND "
               "dead IS NULL AND only_site IS NULL UNION ALL ";
    }
    sql += "SELECT seq, tbl, id, site, 1 FROM noi_feed WHERE only_site = ?3 AND dead IS NULL AND "
           "seq > ?1 ORDER BY seq LIMIT ?2";
    auto& q = db.cached(sql);
    q.bind(1, static_cast<std::int64_t>(p.cursor))
        .bind(2, static_cast<std::int64_t>(page.entries_to_read()));
    if (!all)
        for (std::size_t i = 0; i < units.size(); ++i)
            q.bind(static_cast<int>(4 + i), units[i]);
    if (puller)
        q.bind_blob(3, puller->data(), puller->size());
    else
        q.bind_null(3);
    // Stepped while the rows are read, so the feed and the rows are one snapshot.
    struct reset_after {
        statement& st;
        ~reset_after() { st.reset(); }
    } feed_done{q};
    row_state_store store(db);
    bool stepped = q.step();
    // The schema of the snapshot the feed is read in: a reader's connection read it before a
    // version may have been published, and would leave the new tables and columns out.
    rep_->refresh_schema();
    for (; stepped && page.room(); stepped = q.step()) {
        const auto seq = static_cast<std::uint64_t>(q.column_int(0));
        if (!skip.empty() && q.column_blob(3) == skip) {
            page.pass(seq);
            continue;
        }
        const auto table = q.column_text(1);
        const auto* def = rep_->tables().find(table);
        if (!def)
            throw sync_error(errc::corrupt_state,
                             "the feed names table " + table + ", which the server's schema lacks");
        const auto id = q.column_text(2);
        auto st = store.load(table, id, def->columns.size());
        std::optional<proto::row_change> r;
        if (st) {
            auto values = row_values(*def, id, &*st);
            r = row_for_puller(d, *def, id, std::move(*st), std::move(values), seq,
                               q.column_int(4) != 0);
        }
        if (!r)
            page.pass(seq);
        else if (!page.offer(std::move(*r), seq))
            break;
    }
    return page.done();
}

} // namespace noi
