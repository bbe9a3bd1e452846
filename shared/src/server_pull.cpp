// Answering a PULL: the feed read by cursor in the device's scope, each row sent with the
// cells whose newest emission is the entry read (docs/design.md §4).
#include <noi/sync/error.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/sync_service.hpp>

#include "pull_rules.hpp"

#include <algorithm>

namespace noi {

proto::changes sync_service::pull(const device& d, const proto::pull& p,
                                  const std::optional<site_id>& puller) {
    // Emissions of the puller's own pushes are left out unless it asks: it holds every version
    // in them (docs/design.md §4). They cost no bytes but are bounded too, so one PULL never scans
    // a whole backlog.
    const auto skip = !p.own ? puller : std::nullopt;
    pull_page page(p, opt_.max_pull_rows, opt_.max_pull_bytes, skip.has_value());
    // A unit merged into the device's reads its own range (docs/design.md §11).
    const auto units = d.read_units();
    feed_query q;
    q.after = p.cursor;
    q.limit = page.entries_to_read();
    if (d.scope != "*") q.units = &units;
    if (puller) q.answers_for = &*puller;
    q.ahead = [&](const std::vector<feed_entry>& entries) {
        std::vector<row_ahead> rows;
        for (const auto& e : entries)
            if (!skip || e.pusher != skip) rows.push_back({e.table, e.id, true});
        port_->read_ahead(rows);
    };
    port_->changes().read(q, [&](const feed_entry& e) {
        if (!page.room()) return false;
        if (skip && e.pusher == skip) {
            page.pass(e.seq);
            return true;
        }
        const auto* def = port_->tables().find(e.table);
        if (!def)
            throw sync_error(errc::corrupt_state, "the feed names table " + e.table +
                                                      ", which the server's schema lacks");
        auto st = port_->states().load(e.table, e.id, def->columns.size());
        std::optional<proto::row_change> r;
        if (st) {
            auto values = row_values(*def, e.id, &*st);
            r = row_for_puller(d, *def, e.id, std::move(*st), std::move(values), e.seq, e.answer);
        }
        if (!r) {
            page.pass(e.seq);
            return true;
        }
        return page.offer(std::move(*r), e.seq);
    });
    return page.done();
}

} // namespace noi
