#include "row_apply.hpp"

#include <noi/sync/store_books.hpp>

#include <algorithm>

namespace noi {

row_outcome apply_decision(const table_def& def, row_state& st, std::vector<value>& values,
                           const row_before& before, merge::incoming_row& inc,
                           const merge::row_decision& dec, merge::role role, std::uint64_t stamp) {
    const bool server = role == merge::role::server;
    row_outcome out;
    auto emit = [&](std::optional<cell_state>& c) {
        out.emits = true;
        if (c) c->seq = stamp;
    };
    // The server re-emits what it keeps, so the sender learns it; a tablet has no one to tell.
    auto reemit = [&](std::optional<cell_state>& c) {
        if (!server) return;
        out.only_pushed = false;
        emit(c);
    };
    if (server) out.audit.reserve(inc.cells.size() + 1);

    // Read before the cells below take their new values.
    out.conflicts.resize(dec.conflicts.size());
    for (std::size_t k = 0; k < dec.conflicts.size(); ++k) {
        const auto& c = dec.conflicts[k];
        if (c.kind != merge::conflict_kind::update) continue;
        const auto& ic = *std::find_if(inc.cells.begin(), inc.cells.end(),
                                       [&](const auto& x) { return x.column == *c.column; });
        const auto& cur = values[*c.column];
        const bool incoming_won = c.winner == ic.ver;
        out.conflicts[k] = {incoming_won ? ic.val : cur, incoming_won ? cur : ic.val};
    }

    if (const auto& exists = inc.exists) {
        out.newest_hlc = std::max(out.newest_hlc, exists->ver.hlc);
        if (dec.exists == merge::action::apply) {
            if (server)
                out.audit.push_back({exists_column,
                                     st.exists ? merge::existence_value(st.alive) : value{},
                                     exists->ver, exists->base});
            st.exists = cell_state{exists->ver, std::nullopt, 0};
            emit(st.exists);
            st.alive = exists->alive;
            st.seen = exists->alive ? std::vector<version>{} : inc.seen;
        } else if (dec.exists == merge::action::keep) {
            reemit(st.exists);
        }
    }
    out.revived = st.alive && !before.was_alive;
    for (std::size_t k = 0; k < inc.cells.size(); ++k) {
        auto& ic = inc.cells[k];
        out.newest_hlc = std::max(out.newest_hlc, ic.ver.hlc);
        auto& cell = st.cells[ic.column];
        const auto act = dec.cells[k];
        if (act == merge::action::apply) {
            // A new row had no values before, though its scope column may be filled in already.
            if (server)
                out.audit.push_back({def.columns[ic.column].name,
                                     before.known ? std::move(values[ic.column]) : value{}, ic.ver,
                                     ic.base});
            cell = cell_state{ic.ver, std::nullopt, 0};
            emit(cell);
            values[ic.column] = std::move(ic.val);
        } else if (act == merge::action::keep) {
            reemit(cell);
        }
        // A tablet's row coming back to life is sent whole: it takes every value not pending.
        if (!server && out.revived && act != merge::action::apply && act != merge::action::skip)
            values[ic.column] = std::move(ic.val);
    }
    if (dec.reemit_existence) reemit(st.exists);
    if (server && merge::sent_whole(before.was_alive, st.alive, inc, dec)) {
        reemit(st.exists);
        for (auto& c : st.cells)
            reemit(c);
    }

    // A live row enters its table once its scope value has arrived too (a tablet can get a
    // row's cells in several pulls; the server fills the scope in before it merges).
    out.in_table = st.alive && (!def.scope || !is_null(values[*def.scope]));
    if (out.in_table)
        st.tomb.clear();
    else
        st.tomb = values;
    return out;
}

} // namespace noi
