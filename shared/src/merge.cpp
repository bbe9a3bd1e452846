// The merge rule (docs/design.md §6a). Kept free of storage so it can be tested exhaustively.
#include <noi/sync/merge.hpp>

#include <algorithm>

namespace noi::merge {

cell_decision decide_cell(const std::optional<cell_view>& cur, const value& inc_val,
                          const version& inc_ver, const std::optional<version>& inc_base) {
    if (!cur) return {action::apply, false};
    if (inc_ver == cur->ver) return {action::duplicate, false};
    bool concurrent = inc_base != cur->ver && !is_resend(inc_ver, inc_base) &&
                      cur->ver.site != inc_ver.site && !same_value(inc_val, cur->val);
    return {inc_ver > cur->ver ? action::apply : action::keep, concurrent};
}

std::optional<proto::existence_change> implied_existence(const incoming_row& inc) {
    if (inc.exists || inc.cells.empty()) return std::nullopt;
    const auto top = std::max_element(inc.cells.begin(), inc.cells.end(),
                                      [](const auto& a, const auto& b) { return a.ver < b.ver; });
    return proto::existence_change{true, top->ver, std::nullopt};
}

namespace {

bool any_pending(const row_view& cur) {
    if (cur.exists && cur.exists->pending) return true;
    return std::any_of(cur.cells.begin(), cur.cells.end(),
                       [](const auto& c) { return c && c->pending; });
}

} // namespace

row_decision decide_row(const row_view& cur, const incoming_row& inc, role r) {
    row_decision d;
    d.alive_after = !cur.exists || std::get<std::int64_t>(cur.exists->val) != 0;
    version existence_after = cur.exists ? cur.exists->ver : version{};
    bool row_conflict = false;

    if (inc.exists) {
        const auto& e = *inc.exists;
        // A tablet takes no pulled existence while it has any pending cell of the row: a delete
        // would drop the values its pending writes still have to push.
        if (r == role::tablet && any_pending(cur)) {
            d.exists = action::skip;
        } else {
            // Named, not a temporary: GCC 12 at -O2 takes the temporary's destruction for a
            // free of a non-heap pointer (-Wfree-nonheap-object), a false warning.
            const value incoming = existence_value(e.alive);
            auto cd = decide_cell(cur.exists, incoming, e.ver, e.base);
            d.exists = cd.act;
            if (cd.act == action::apply) {
                d.alive_after = e.alive;
                existence_after = e.ver;
            }
            if (cd.act == action::keep) d.reemit_existence = true;
            if (r == role::server && cd.concurrent) {
                bool inc_deletes = !e.alive;
                conflict c{conflict_kind::delete_update,
                           std::nullopt,
                           cd.act == action::apply ? e.ver : cur.exists->ver,
                           cd.act == action::apply ? cur.exists->ver : e.ver,
                           inc_deletes ? e.ver : cur.exists->ver,
                           inc_deletes ? cur.exists->ver : e.ver};
                d.conflicts.push_back(c);
                row_conflict = true;
            }
            // A delete meets cells of the row written elsewhere that it had not seen.
            if (r == role::server && !e.alive && !row_conflict && !is_resend(e.ver, e.base)) {
                std::optional<version> unseen;
                for (const auto& c : cur.cells) {
                    if (!c || c->ver.site == e.ver.site) continue;
                    if (std::find(inc.seen.begin(), inc.seen.end(), c->ver) != inc.seen.end())
                        continue;
                    if (!unseen || c->ver > *unseen) unseen = c->ver;
                }
                if (unseen) {
                    bool del_wins = d.alive_after == false;
                    d.conflicts.push_back({conflict_kind::delete_update, std::nullopt,
                                           del_wins ? e.ver : *unseen, del_wins ? *unseen : e.ver,
                                           e.ver, *unseen});
                    row_conflict = true;
                }
            }
        }
    }

    d.cells.reserve(inc.cells.size());
    for (const auto& ic : inc.cells) {
        const auto& cur_cell = ic.column < cur.cells.size() ? cur.cells[ic.column] : std::nullopt;
        if (r == role::tablet && cur_cell && cur_cell->pending) {
            d.cells.push_back(action::skip);
            continue;
        }
        auto cd = decide_cell(cur_cell, ic.val, ic.ver, ic.base);
        d.cells.push_back(cd.act);
        if (r != role::server) continue;
        if (cd.concurrent)
            d.conflicts.push_back({conflict_kind::update,
                                   ic.column,
                                   cd.act == action::apply ? ic.ver : cur_cell->ver,
                                   cd.act == action::apply ? cur_cell->ver : ic.ver,
                                   {},
                                   {}});
        // An update lands in a row deleted elsewhere by a delete it had not seen: the cell goes
        // into the tombstone, the row stays deleted, and the updater must learn of the delete.
        bool carries_own_existence = inc.exists && inc.exists->ver == existence_after;
        if (!d.alive_after && !carries_own_existence && cd.act != action::duplicate &&
            existence_after.site != ic.ver.site && inc.existence_base != existence_after) {
            d.reemit_existence = true;
            if (!row_conflict && !is_resend(ic.ver, ic.base)) {
                d.conflicts.push_back({conflict_kind::delete_update, std::nullopt, existence_after,
                                       ic.ver, existence_after, ic.ver});
                row_conflict = true;
            }
        }
    }
    return d;
}

} // namespace noi::merge
