// What a tablet hears of the conflicts its device's writes are part of (docs/protocol.md,
// Conflicts): those recorded since it last heard, and those it holds open that an admin has
// decided, each with what the server keeps now.
#include <noi/sync/sync_service.hpp>

#include <algorithm>

namespace noi {

void sync_service::tell_conflicts(const device& d, const proto::hello& h, proto::welcome& w) {
    if (!h.confirmed_conflict) return; // a release that hears none
    auto& book = port_->conflicts();
    const auto newest = book.newest_id();
    const std::uint64_t most = proto::max_rejected_listed;
    auto told = book.find({.involving = d.id, .after_id = *h.confirmed_conflict, .limit = most});
    // A full page: the rest come in the next WELCOME, from where this one ended.
    w.conflict_head = told.size() == most ? told.back().id : newest;
    if (!h.conflicts_open.empty()) {
        std::vector<std::uint64_t> held(
            h.conflicts_open.begin(),
            h.conflicts_open.begin() +
                static_cast<std::ptrdiff_t>(std::min<std::size_t>(h.conflicts_open.size(), most)));
        for (auto& c :
             book.find({.status = conflict_status::resolved, .involving = d.id, .ids = held}))
            if (c.id <= *h.confirmed_conflict) told.push_back(std::move(c));
    }
    for (const auto& c : told) {
        // A device moved to another commune hears nothing more of its old commune's rows.
        if (!c.scope.empty() && !d.reads(c.scope)) continue;
        proto::conflict_notice n{c.id, c.table, c.row_id, c.column,
                                 c.status == conflict_status::resolved};
        const auto* def = port_->tables().find(c.table);
        const auto st =
            def ? port_->states().load(c.table, c.row_id, def->columns.size()) : std::nullopt;
        if (!c.column) {
            if (st && st->alive) n.kept = std::int64_t{1};
        } else if (const auto col = def ? def->column_index(*c.column) : std::nullopt) {
            n.kept = row_values(*def, c.row_id, st ? &*st : nullptr)[*col];
        }
        w.conflicts.push_back(std::move(n));
    }
}

} // namespace noi
