// The tablet after a clock refusal or a repaired server (docs/design.md §5): lowering the
// floor, re-stamping what the server has not accepted, forgetting stamps from beyond a sane clock.
#include <noi/sync/row_state.hpp>
#include <noi/sync/tablet.hpp>

#include "tablet_checkpoint.hpp"

#include <algorithm>
#include <map>

namespace noi {

void tablet::on_clock_refused() {
    transaction tx(rep_->db());
    const auto was = read_checkpoint(rep_->db());
    auto cp = was;
    fold(cp);
    restamp_unacked(cp, hlc_max);
    write_checkpoint(rep_->db(), was, cp);
    tx.commit();
}

void tablet::restamp_unacked(const tablet_checkpoint& cp, std::uint64_t ceiling) {
    const auto acked_seq = cp.acked;
    const auto me = rep_->site();
    // The floor falls back to the greatest HLC this replica received from others or had
    // accepted, so the corrected wall clock takes over again.
    std::uint64_t floor = cp.hlc_received;
    if (floor > ceiling) floor = 0;
    row_state_store store(rep_->db());
    auto rows = store.all(rep_->tables());
    auto accepted = [&](const std::optional<cell_state>& c) {
        if (c && c->ver.site == me && c->seq <= acked_seq && c->ver.hlc <= ceiling)
            floor = std::max(floor, c->ver.hlc);
    };
    for (const auto& [table, id, st] : rows) {
        accepted(st.exists);
        for (const auto& c : st.cells)
            accepted(c);
    }
    rep_->clock().reset_floor(floor);
    // New stamps keep the old ones' order and grouping: the cells of one change share one new
    // stamp, and a later change stays later (an insert's cells before its row's delete).
    auto pending_own = [&](const std::optional<cell_state>& c) {
        return c && c->ver.site == me && c->seq > acked_seq;
    };
    std::map<std::uint64_t, std::uint64_t> restamped;
    for (const auto& [table, id, st] : rows) {
        if (pending_own(st.exists)) restamped[st.exists->ver.hlc] = 0;
        for (const auto& c : st.cells)
            if (pending_own(c)) restamped[c->ver.hlc] = 0;
    }
    for (auto& [old_hlc, new_hlc] : restamped)
        new_hlc = rep_->clock().next();
    for (auto& [table, id, st] : rows) {
        bool changed = false;
        auto restamp = [&](std::optional<cell_state>& c) {
            if (!pending_own(c)) return;
            c->ver.hlc = restamped[c->ver.hlc];
            changed = true;
        };
        restamp(st.exists);
        for (auto& c : st.cells)
            restamp(c);
        if (changed) store.save(table, id, st);
    }
    rep_->set_meta_int("hlc_floor", static_cast<std::int64_t>(rep_->clock().floor()));
}

void tablet::forget_stamps_beyond(tablet_checkpoint& cp, std::uint64_t limit) {
    const auto acked_seq = cp.acked;
    row_state_store store(rep_->db());
    bool forgot = false;
    for (auto& [table, id, st] : store.all(rep_->tables())) {
        bool changed = false;
        auto forget = [&](std::optional<cell_state>& c) {
            if (!c || c->ver.hlc <= limit || c->seq > acked_seq) return;
            c.reset();
            changed = true;
        };
        // A pending delete's base is what it still has to push, whatever its stamps.
        if (!st.exists || st.exists->seq <= acked_seq)
            changed |= std::erase_if(st.seen, [&](const version& v) { return v.hlc > limit; }) > 0;
        forget(st.exists);
        for (auto& c : st.cells)
            forget(c);
        if (changed) store.save(table, id, st);
        forgot |= changed;
    }
    // A tablet whose own clock runs fast holds only pending stamps beyond the limit: the
    // server refuses them, and it re-stamps then (on_clock_refused).
    if (!forgot) return;
    if (cp.hlc_received > limit) cp.hlc_received = 0;
    cp.cursor = 0;
    restamp_unacked(cp, limit);
}

} // namespace noi
