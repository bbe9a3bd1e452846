#include <noi/protocol/row_size.hpp>
#include <noi/sync/row_change.hpp>

#include <algorithm>

namespace noi {

std::optional<proto::row_change> change_at(const table_def& def, const std::string& id,
                                           const row_state& st, std::vector<value> values,
                                           std::uint64_t seq, bool with_bases) {
    proto::row_change r;
    r.table = def.name;
    r.id = id;
    r.seq = seq;
    if (def.scope) r.scope = values[*def.scope];
    if (st.exists && st.exists->seq == seq) {
        r.exists = proto::existence_change{st.alive, st.exists->ver,
                                           with_bases ? st.exists->base : std::nullopt};
        if (with_bases && !st.alive) r.seen = st.seen;
    } else if (st.exists && with_bases) {
        r.existence_base = st.exists->ver;
    }
    for (std::size_t i = 0; i < def.columns.size(); ++i) {
        const auto& c = st.cells[i];
        if (c && c->seq == seq)
            r.cells.push_back({def.columns[i].name, std::move(values[i]), c->ver,
                               with_bases ? c->base : std::nullopt});
    }
    if (!r.exists && r.cells.empty()) return std::nullopt;
    return r;
}

std::size_t pulled_bound(const table_def& def, const std::string& id,
                         const std::vector<value>& values) {
    proto::row_change empty;
    empty.table = def.name;
    empty.id = id;
    if (def.scope) empty.scope = values[*def.scope];
    auto n = proto::encoded_bound(empty);
    for (std::size_t i = 0; i < def.columns.size(); ++i)
        n += proto::cell_bound(def.columns[i].name, values[i]);
    return n;
}

merge::row_view view_of(const row_state& st, const std::vector<value>& values,
                        std::optional<std::uint64_t> pending_above) {
    auto pending = [&](const cell_state& c) { return pending_above && c.seq > *pending_above; };
    merge::row_view view;
    if (st.exists)
        view.exists =
            merge::cell_view{st.exists->ver, merge::existence_value(st.alive), pending(*st.exists)};
    // A state without cells (a row the server never held) leaves the view's cells empty, which
    // the merge reads as none: no vector to fill for most pushed rows.
    if (std::none_of(st.cells.begin(), st.cells.end(), [](const auto& c) { return c.has_value(); }))
        return view;
    view.cells.resize(st.cells.size());
    for (std::size_t i = 0; i < st.cells.size(); ++i)
        if (st.cells[i])
            view.cells[i] = merge::cell_view{st.cells[i]->ver, values[i], pending(*st.cells[i])};
    return view;
}

} // namespace noi
