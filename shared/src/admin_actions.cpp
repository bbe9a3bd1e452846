// An admin's decisions (docs/design.md §6, §7): resolving a conflict by a server write, and
// discarding or releasing a quarantined row.
#include <noi/sync/dates.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/sync_service.hpp>

#include "row_rules.hpp"

#include <algorithm>

namespace noi {

std::uint64_t sync_service::resolve_device_conflicts(const std::string& device_id,
                                                     const std::string& by) {
    return port_->conflicts().resolve_open_of(
        device_id, by, "kept every row as it stood (all of device " + device_id + ")");
}

sync_service::resolve_result sync_service::resolve_conflict(std::uint64_t id,
                                                            const resolution& how) {
    if (how.keep_device.has_value() == how.new_value.has_value())
        return {resolve_status::bad_request,
                "say either which device's side to keep or the new value, not both"};
    auto found = port_->conflicts().find({.id = id});
    if (found.empty())
        return {resolve_status::not_found,
                "no conflict " + std::to_string(id) + "; list conflicts to find its id"};
    const auto& c = found.front();
    if (c.status != conflict_status::open)
        return {resolve_status::already_resolved,
                "conflict " + std::to_string(id) + " was already resolved by " +
                    c.resolved_by.value_or("someone") + "; nothing to do"};
    const auto* def = port_->tables().find(c.table);
    auto st = port_->states().load(c.table, c.row_id, def ? def->columns.size() : 0);
    if (!def || !st)
        return {resolve_status::not_found, "the conflict's row no longer exists on the server"};
    const conflict_side* kept = nullptr;
    if (how.keep_device) {
        for (const auto* side : {&c.winner, &c.loser})
            if (side->device_id == *how.keep_device) kept = side;
        if (!kept)
            return {resolve_status::bad_request, "device " + *how.keep_device +
                                                     " is not a side of conflict " +
                                                     std::to_string(id) + "; keep one of " +
                                                     c.winner.device_id + ", " + c.loser.device_id};
    }
    std::string text;
    auto tx = port_->begin();
    if (c.kind == merge::conflict_kind::update) {
        auto col = def->column_index(*c.column);
        if (!col)
            return {resolve_status::bad_request, "the column " + *c.column + " no longer exists"};
        if (!st->alive && !how.force)
            return {resolve_status::row_deleted,
                    "row " + c.row_id +
                        " was deleted since the conflict; pass --force to "
                        "write into the deleted row anyway"};
        const version winner{c.winner.hlc, c.winner.site};
        if (!how.force && (!st->cells[*col] || st->cells[*col]->ver != winner))
            return {resolve_status::changed_since,
                    "the cell changed again since the conflict was recorded; look at it "
                    "(conflicts show) and pass --force to overwrite the later edit"};
        value v = kept ? kept->val : *how.new_value;
        if (!value_fits(def->columns[*col].type, v))
            return {resolve_status::bad_request,
                    "column " + *c.column + " does not take a value of that type"};
        if (is_bad_date(def->columns[*col], v))
            return {resolve_status::bad_request, date_refusal(*c.column, std::get<std::string>(v))};
        write_cells(c.table, c.row_id, {{*col, v}}, std::nullopt);
        text = kept ? "kept " + *how.keep_device : "new value";
    } else {
        // delete_update: keeping the deleter keeps the row deleted, keeping the updater brings it
        // back.
        bool keep_row = kept ? !kept->deleted : true;
        if (!kept && how.new_value)
            return {resolve_status::bad_request,
                    "a delete against an update is resolved by keeping one device's side (--keep)"};
        if (keep_row != st->alive) write_cells(c.table, c.row_id, {}, keep_row);
        text = keep_row ? "kept the row (" + *how.keep_device + ")"
                        : "kept the delete (" + *how.keep_device + ")";
    }
    port_->conflicts().mark_resolved(id, how.by, text);
    tx->commit();
    return {resolve_status::resolved, text};
}

sync_service::quarantine_result sync_service::discard_quarantined(std::uint64_t id) {
    if (port_->quarantine().discard(id)) return {quarantine_status::done, "discarded"};
    const auto status = port_->quarantine().status(id);
    if (!status)
        return {quarantine_status::not_found, "no quarantined row " + std::to_string(id) +
                                                  "; list the quarantine to find its id"};
    return {quarantine_status::already_closed, "quarantined row " + std::to_string(id) +
                                                   " is already " +
                                                   std::string(to_string(*status))};
}

std::optional<proto::row_change> sync_service::quarantined_row(std::uint64_t id) {
    auto e = port_->quarantine().find(id);
    if (!e) return std::nullopt;
    return e->row;
}

sync_service::quarantine_result sync_service::release_quarantined(std::uint64_t id) {
    const auto e = port_->quarantine().find(id);
    if (!e)
        return {quarantine_status::not_found, "no quarantined row " + std::to_string(id) +
                                                  "; list the quarantine to find its id"};
    if (e->status != quarantine_state::open)
        return {quarantine_status::already_closed, "quarantined row " + std::to_string(id) +
                                                       " is already " +
                                                       std::string(to_string(e->status))};
    const auto& pusher = e->pusher;
    auto d = find_device(e->device_id);
    if (!e->kept)
        return {quarantine_status::still_rejected,
                "the row was too large for the server to keep, so it cannot be released here; "
                "discard it, and have the tablet's officer enter it again"};
    const auto& decoded = e->row;
    if (!d || !decoded)
        return {quarantine_status::still_rejected,
                "the quarantined row can no longer be read; discard it"};
    const auto& row = *decoded;
    // Kept from a release before stamps were bounded, a stamp may be from beyond the clock.
    const auto limit = stamp_limit();
    if (stamped_beyond(row, limit, nullptr))
        return {quarantine_status::still_rejected,
                "the row is stamped beyond the server's clock, so it cannot be released; discard "
                "it, and have the tablet's officer enter it again"};
    row_check checked;
    if (auto reason = check_row(rules(), *d, pusher, row, checked)) {
        const auto& why = checked.why;
        // No device may write reference data, so no change of its scope makes the row pass.
        if (*reason == proto::reject_reason::global_table)
            return {quarantine_status::still_rejected,
                    "the reason still holds: " + why + "; discard the row"};
        return {quarantine_status::still_rejected,
                "the reason still holds: " + why +
                    "; fix it first (for example the device's scope) or discard the row"};
    }
    auto tx = port_->begin();
    auto res = apply_released(*d, pusher, row, limit);
    if (res.rejection)
        return {quarantine_status::still_rejected,
                "the reason still holds: " + res.rejection->message};
    port_->quarantine().mark_released(id);
    tx->commit();
    return {quarantine_status::done, "released"};
}

} // namespace noi
