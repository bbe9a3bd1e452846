// Repairing a server whose clock a hostile device poisoned before stamps were bounded: every
// stored version beyond the server's clock is given a fresh stamp of the server's own, in the
// old stamps' order, and the rows are emitted again; a new epoch makes every tablet pull all
// again and forget the stamps it took from the poisoned server (tablet::forget_stamps_beyond).
#include <noi/sync/row_state.hpp>
#include <noi/sync/sync_service.hpp>

#include <map>

namespace noi {

bool sync_service::holds_stamps_beyond_clock() {
    return port_->clock().floor() > stamp_limit();
}

clock_repair sync_service::repair_clock() {
    auto tx = port_->begin();
    clock_repair out;
    out.floor_before = port_->clock().floor();
    const auto limit = stamp_limit();
    auto& store = port_->states();
    auto rows = store.all(port_->tables());

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
    for (const auto& c : port_->conflicts().find())
        for (const auto* s : {&c.winner, &c.loser}) {
            const version v{s->hlc, s->site};
            if (v.hlc <= limit) continue;
            sides.push_back({c.id, s == &c.winner, v});
            restamped[v] = {};
        }

    port_->clock().reset_floor(sane);
    for (auto& [old_ver, new_ver] : restamped)
        new_ver = version{port_->clock().next(), port_->site()};
    out.versions = restamped.size();

    for (auto& [table, id, st] : rows) {
        const auto* def = port_->tables().find(table);
        std::optional<std::uint64_t> seq;
        auto fix = [&](std::optional<cell_state>& c) {
            if (!c || c->ver.hlc <= limit) return;
            if (!seq) seq = port_->changes().next();
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
            port_->changes().record(*seq, table, id, def->scope ? values[*def->scope] : value{},
                                    nullptr, nullptr);
        }
    }
    for (const auto& s : sides) {
        port_->conflicts().restamp(s.id, s.winner, restamped.at(s.ver));
        ++out.conflicts;
    }
    out.floor_after = port_->clock().floor();
    port_->save_clock();
    save_wall_high();
    new_epoch();
    tx->commit();
    return out;
}

} // namespace noi
