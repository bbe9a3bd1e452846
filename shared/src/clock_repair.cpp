// Repairing a server whose clock a hostile device poisoned before stamps were bounded: every
// stored version beyond the server's clock is given a fresh stamp of the server's own, in the
// old stamps' order, and the rows are emitted again; a new epoch makes every tablet pull all
// again and forget the stamps it took from the poisoned server (tablet::forget_stamps_beyond).
#include <noi/sync/row_state.hpp>
#include <noi/sync/sqlite_store.hpp>

#include "conflict_book.hpp"
#include "feed.hpp"

#include <map>

namespace noi {

bool sqlite_store::holds_stamps_beyond_clock() {
    return rep_->clock().floor() > stamp_limit();
}

clock_repair sqlite_store::repair_clock() {
    auto& db = rep_->db();
    transaction tx(db);
    clock_repair out;
    out.floor_before = rep_->clock().floor();
    const auto limit = stamp_limit();
    row_state_store store(db);
    auto rows = store.all(rep_->tables());

    // Every stamp beyond the limit, in order, and the greatest one within it.
    std::map<version, version> restamped;
    std::uint64_t sane = 0;
    auto look = [&](const std::optional<cell_state>& c) {
        if (!c) return;
        if (c->ver.hlc > limit)
            restamped[c->ver] = {};
        else
            sane = std::max(sane, c->ver.hlc);
    };
    for (const auto& [table, id, st] : rows) {
        look(st.exists);
        for (const auto& c : st.cells)
            look(c);
    }
    struct side {
        std::uint64_t id;
        bool winner;
        version ver;
    };
    std::vector<side> sides;
    for (const auto& c : conflicts_->find())
        for (const auto* s : {&c.winner, &c.loser}) {
            const version v{s->hlc, s->site};
            if (v.hlc <= limit) continue;
            sides.push_back({c.id, s == &c.winner, v});
            restamped[v] = {};
        }

    rep_->clock().reset_floor(sane);
    for (auto& [old_ver, new_ver] : restamped)
        new_ver = version{rep_->clock().next(), rep_->site()};
    out.versions = restamped.size();

    for (auto& [table, id, st] : rows) {
        const auto* def = rep_->tables().find(table);
        std::optional<std::uint64_t> seq;
        auto fix = [&](std::optional<cell_state>& c) {
            if (!c || c->ver.hlc <= limit) return;
            if (!seq) seq = feed_->next();
            c->ver = restamped.at(c->ver);
            c->seq = *seq;
        };
        fix(st.exists);
        for (auto& c : st.cells)
            fix(c);
        const auto dropped =
            std::erase_if(st.seen, [&](const version& v) { return v.hlc > limit; });
        if (!seq && !dropped) continue;
        ++out.rows;
        store.save(table, id, st);
        if (seq) {
            auto values = row_values(*def, id, &st);
            feed_->record(*seq, table, id, def->scope ? values[*def->scope] : value{}, nullptr,
                          nullptr);
        }
    }
    for (const auto& s : sides) {
        conflicts_->restamp(s.id, s.winner, restamped.at(s.ver));
        ++out.conflicts;
    }
    out.floor_after = rep_->clock().floor();
    rep_->save_clock();
    save_wall_high();
    new_epoch();
    tx.commit();
    return out;
}

} // namespace noi
