// Answering a PULL: the feed read by cursor in the device's scope, each row sent with the
// cells whose newest emission is the entry read (docs/design.md §4).
#include <noi/protocol/row_size.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/row_change.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/sqlite_store.hpp>

#include "feed.hpp"
#include "site_bytes.hpp"

#include <algorithm>

namespace noi {
namespace {

proto::row_change departure(const table_def& def, const std::string& id, const std::string& unit,
                            const version& ver) {
    proto::row_change r;
    r.table = def.name;
    r.id = id;
    r.scope = unit;
    r.cells.push_back({def.columns[*def.scope].name, unit, ver, std::nullopt});
    return r;
}

} // namespace

proto::changes sqlite_store::pull(const device& d, const proto::pull& p,
                                  const std::optional<site_id>& puller) {
    auto& db = rep_->db();
    proto::changes out;
    out.cursor = p.cursor;
    const std::size_t limit = std::clamp<std::size_t>(p.max_rows ? p.max_rows : opt_.max_pull_rows,
                                                      1, opt_.max_pull_rows);
    // Emissions of the puller's own pushes are left out unless it asks: it holds every version
    // in them (docs/design.md §4). They cost no bytes but are bounded too, so one PULL never scans
    // a whole backlog.
    const std::string skip = !p.own && puller ? site_bytes(*puller) : std::string();
    const std::size_t scan_limit = skip.empty() ? limit : limit * 8;
    const bool all = d.scope == "*";
    const proto::limits lim; // what every replica decodes
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
        .bind(2, static_cast<std::int64_t>(scan_limit + 1));
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
    std::size_t bytes = 0, sent = 0, scanned = 0;
    bool stepped = q.step();
    // The schema of the snapshot the feed is read in: a reader's connection read it before a
    // version may have been published, and would leave the new tables and columns out.
    rep_->refresh_schema();
    for (; stepped; stepped = q.step()) {
        if (sent == limit || scanned == scan_limit) {
            out.more = true;
            break;
        }
        ++scanned;
        const auto seq = static_cast<std::uint64_t>(q.column_int(0));
        if (!skip.empty() && q.column_blob(3) == skip) {
            out.cursor = seq;
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
            // The feed's scope decides what is read; the row's own scope decides what is sent.
            const auto* scope =
                def->scope ? std::get_if<std::string>(&values[*def->scope]) : nullptr;
            if (all || !def->scope || (scope && d.reads(*scope))) {
                // An answer sends the row whole, as the server holds it.
                if (q.column_int(4)) stamp_all(*st, seq);
                r = change_at(*def, id, *st, std::move(values), seq, false);
            } else if (scope && st->cells[*def->scope]) {
                // The row moved to another unit (noi-admin rows move): its scope cell alone
                // tells the tablet to let it go, and nothing else of it is sent.
                r = departure(*def, id, *scope, st->cells[*def->scope]->ver);
            }
        }
        if (!r) {
            out.cursor = seq;
            continue;
        }
        // A row no replica could decode (stored before rows were bounded) is passed over, so
        // it cannot stop every pull of its scope; noi-admin rows too-large names it. Only a
        // row over a MiB, or of very many cells, can be one.
        const auto size = proto::encoded_bound(*r);
        if ((size > lim.max_string_bytes || r->cells.size() > lim.max_cells_per_row) &&
            !proto::fits_alone(*r, lim)) {
            out.cursor = seq;
            continue;
        }
        // The batch ends before a row that would take it past its size; a row larger than the
        // batch's size travels alone, and every row fits a message alone (above).
        if (sent > 0 && bytes + size > opt_.max_pull_bytes) {
            out.more = true;
            break;
        }
        bytes += size;
        out.cursor = seq;
        out.rows.push_back(std::move(*r));
        ++sent;
    }
    return out;
}

} // namespace noi
