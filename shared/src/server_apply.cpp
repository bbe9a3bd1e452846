// Applying one pushed row on the server: checking it (row_rules.hpp), quarantining what fails, and
// merging what passes with the row's stored state (docs/design.md §6a), which records the
// conflicts, the feed entry and the audit record of the change.
#include <noi/protocol/row_size.hpp>
#include <noi/sync/dates.hpp>
#include <noi/sync/merge.hpp>
#include <noi/sync/row_change.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/sync_service.hpp>

#include "row_apply.hpp"
#include "row_rules.hpp"

#include <algorithm>

namespace noi {
namespace {

// How many bytes merging `r` into `values` could add to the row in a CHANGES: each cell may end
// up the larger of the one held and the one pushed, whichever the merge keeps.
std::size_t growth_bound(const proto::row_change& r, const std::vector<std::size_t>& columns,
                         const std::vector<value>& values) {
    std::size_t n = 0;
    for (std::size_t k = 0; k < r.cells.size(); ++k) {
        const auto held = proto::encoded_bound(values[columns[k]]);
        const auto pushed = proto::encoded_bound(r.cells[k].val);
        if (pushed > held) n += pushed - held;
    }
    return n;
}

} // namespace

row_rules sync_service::rules() {
    return {port_->tables(), port_->site(),
            [this](const std::string& table, const std::string& id) {
                return port_->units().moved_from(table, id);
            }};
}

sync_service::apply_result sync_service::apply_row(const device& d, const site_id& s,
                                                   const proto::row_change& r, std::uint64_t limit,
                                                   emissions* emitted, bool guess_new) {
    const auto now = port_->clock().wall_ms();
    auto& store = port_->states();
    row_check checked;
    auto reason = check_row(rules(), d, s, r, checked);
    auto& [def, why, columns] = checked;

    // A tablet's insert is nearly always a row the server has never seen. It is merged as new
    // without a lookup, and inserting its state, which fails on a row that has one, checks the
    // guess in the same B-tree descent; a wrong guess merges the row again, looked up.
    const bool as_new = guess_new && !reason && inserts(r);
    std::optional<row_state> loaded;
    std::vector<value> values;
    // The push places the row in another unit than the server's: only an edit made where the
    // row was before it moved (noi-admin rows move) may, and it belongs to the row where it is
    // now (its scope cell is not taken, below).
    bool moved_away = false;
    if (def) {
        if (!as_new) loaded = store.load(r.table, r.id, def->columns.size());
        values = row_values(*def, r.id, loaded ? &*loaded : nullptr);
        moved_away =
            def->scope && loaded && !is_null(values[*def->scope]) && values[*def->scope] != r.scope;
        const auto left_there = [&] {
            const auto* there = std::get_if<std::string>(&r.scope);
            const auto from =
                there ? port_->units().moved_from(r.table, r.id) : std::vector<std::string>{};
            return there && std::find(from.begin(), from.end(), *there) != from.end();
        };
        if (!reason && moved_away && (inserts(r) || !left_there())) {
            reason = proto::reject_reason::scope_changed;
            why = "row " + r.id + " cannot take commune " +
                  (std::holds_alternative<std::string>(r.scope) ? std::get<std::string>(r.scope)
                                                                : std::string("(none)")) +
                  "; a row's commune never changes, so a new record needs a new id";
        }
    }
    // An update of a row the server never held (its insert refused, or never sent) has no
    // scope cell to place it by. A re-send after a restore is taken: its insert is re-sent by
    // its own writer, and refusing it would take the update from its tablet.
    if (!reason && def && def->scope && !loaded && !as_new && !r.exists &&
        !carries_column(columns, *def->scope) &&
        std::none_of(r.cells.begin(), r.cells.end(),
                     [](const auto& c) { return merge::is_resend(c.ver, c.base); })) {
        reason = proto::reject_reason::unknown_row;
        why = "the server holds no row " + r.id + " of " + r.table +
              "; an update must follow the row's insert (if the insert is in quarantine, release "
              "it first, then this)";
    }
    // A row every replica of its scope must be able to receive: one past the message limit
    // stopped every pull of its commune for good (issue 28). A change that does not grow the
    // row is taken, so a row too large from an earlier release can still shrink or go.
    if (const auto grows = !reason && def ? growth_bound(r, columns, values) : 0; grows > 0) {
        if (const auto bytes = pulled_bound(*def, r.id, values) + grows;
            bytes > opt_.max_row_bytes) {
            reason = proto::reject_reason::too_large;
            why = "row " + r.id + " of " + r.table + " would hold " + std::to_string(bytes / 1024) +
                  " KiB, more than the " + std::to_string(opt_.max_row_bytes / 1024) +
                  " KiB a row may hold so that every tablet can receive it; shorten its longest "
                  "fields and save it again";
        }
    }
    if (reason) {
        auto rej = reject(d.id, s, r, *reason, std::move(why));
        // The tablet drops its version and takes the server's back by its next pull; a row it
        // cannot read (another commune's) is not emitted again, so no other device is woken.
        const auto* held =
            def && def->scope ? std::get_if<std::string>(&values[*def->scope]) : nullptr;
        const bool readable = !def || !def->scope || (held && d.reads(*held));
        // Only the pusher lacks the server's copy now: the answer is read by it alone, so
        // refused writes cannot fill every device's feed (issue 28).
        if (loaded && readable)
            port_->changes().answer(port_->changes().next(), r.table, r.id,
                                    def->scope ? values[*def->scope] : value{}, s);
        return {rej};
    }

    // The scope column holds the row's scope even when no cell for it came (a tablet that
    // sent only some cells of a new row): the scope was checked above and never changes, and
    // the feed files the row under it (a row filed under no scope would reach every commune).
    if (def->scope && is_null(values[*def->scope])) values[*def->scope] = r.scope;
    row_state st;
    std::vector<std::uint64_t> held;
    if (loaded) {
        st = std::move(*loaded);
        held = sequences_of(st);
    } else {
        st.cells.resize(def->columns.size());
    }
    const bool was_alive = !loaded || st.alive;

    const auto view = view_of(st, values, std::nullopt);
    // A base names what the writer held, which came from the server or was its own accepted
    // stamp: one beyond the server's clock was never seen, and counts as no base (the change
    // is then concurrent to whatever the server holds, so nothing is overwritten unrecorded).
    auto seen_base = [limit](const std::optional<version>& b) {
        return b && b->hlc > limit ? std::nullopt : b;
    };
    merge::incoming_row inc;
    inc.exists = r.exists;
    if (inc.exists) inc.exists->base = seen_base(inc.exists->base);
    inc.seen.reserve(r.seen.size());
    for (const auto& v : r.seen)
        if (v.hlc <= limit) inc.seen.push_back(v);
    inc.existence_base = seen_base(r.existence_base);
    inc.cells.reserve(r.cells.size());
    // A row moved away stays where it is: a scope cell sent with the unit it left is not taken.
    for (std::size_t k = 0; k < r.cells.size(); ++k)
        if (!moved_away || columns[k] != *def->scope)
            inc.cells.push_back(
                {columns[k], r.cells[k].val, r.cells[k].ver, seen_base(r.cells[k].base)});
    // Whether this emission carries only versions the pusher sent, which it therefore holds:
    // its own pulls skip it. Versions it did not send (kept ones re-emitted for it to learn, an
    // existence made up here) make it false.
    // An edit of a row moved away is filed under the row's new unit, which its pusher does not
    // read yet: if it comes to, it has let go of the row and needs the edit back.
    bool only_pushed = !moved_away;
    // An existence made up here is a version the pusher did not send (merge.hpp).
    if (!st.exists)
        if (auto implied = merge::implied_existence(inc)) {
            only_pushed = false;
            inc.exists = std::move(implied);
        }
    auto dec = merge::decide_row(view, inc, merge::role::server);
    // Taken before it is known whether the change emits, and given back if it does not.
    const auto stamp = port_->changes().next();
    const row_before before{loaded.has_value(), was_alive};
    auto out = apply_decision(*def, st, values, before, inc, dec, merge::role::server, stamp);
    only_pushed = only_pushed && out.only_pushed;
    std::optional<std::uint64_t> seq;
    if (out.emits)
        seq = stamp;
    else
        port_->changes().give_back(stamp);
    port_->clock().observe(out.newest_hlc);

    // Applied cells always emit, so an audit record always has its feed entry to live on.
    const auto previous_audit = st.audit_seq;
    if (seq && !out.audit.empty()) st.audit_seq = *seq;
    if (as_new && !store.insert_new(r.table, r.id, st)) {
        // Nothing is written yet, and no other change took a sequence since this one's.
        if (seq) port_->changes().give_back(*seq);
        return apply_row(d, s, r, limit, emitted, false);
    }

    const value scope_value = def->scope ? values[*def->scope] : value{};
    for (std::size_t k = 0; k < dec.conflicts.size(); ++k) {
        const auto& c = dec.conflicts[k];
        conflict_record rec;
        rec.device_id = d.id;
        rec.kind = c.kind;
        rec.table = r.table;
        rec.row_id = r.id;
        if (c.column) rec.column = def->columns[*c.column].name;
        if (const auto* scope = std::get_if<std::string>(&scope_value)) rec.scope = *scope;
        rec.created_at_ms = now;
        rec.winner.site = c.winner.site;
        rec.winner.hlc = c.winner.hlc;
        rec.loser.site = c.loser.site;
        rec.loser.hlc = c.loser.hlc;
        if (c.winner.site == s) rec.winner.device_id = d.id;
        if (c.loser.site == s) rec.loser.device_id = d.id;
        if (c.kind == merge::conflict_kind::update) {
            rec.winner.val = std::move(out.conflicts[k].winner);
            rec.loser.val = std::move(out.conflicts[k].loser);
        } else {
            rec.winner.deleted = c.winner == c.deleter;
            rec.loser.deleted = !rec.winner.deleted;
        }
        port_->conflicts().record(rec);
    }

    auto& io = port_->rows(*def);
    if (out.in_table) {
        // A row merged as new had no state, so it is not in the table (row_values).
        if (as_new)
            io.insert(r.id, values);
        else if (!out.audit.empty() || out.revived)
            io.upsert(r.id, values);
    } else if (was_alive && loaded) {
        io.remove(r.id);
    }
    if (seq) {
        std::optional<feed_audit> record;
        if (!out.audit.empty())
            record.emplace(feed_audit{now, d.id, s,
                                      pack_audit(out.audit, port_->audit().creation_list(r.table)),
                                      previous_audit});
        port_->changes().record(*seq, r.table, r.id, scope_value, only_pushed ? &s : nullptr,
                                record ? &*record : nullptr);
        if (emitted) emitted->add(scope_value, *seq);
    }
    if (!as_new && (seq || !loaded)) store.save(r.table, r.id, st);
    if (moved_away) {
        // Its scope cell was not taken, but its version may be newer than the move's: the
        // server writes the row's unit again, above it, so that every replica takes it.
        if (carries_column(columns, *def->scope))
            write_cells(r.table, r.id, {{*def->scope, values[*def->scope]}}, std::nullopt);
        // The pusher still places the row where it was: an answer under that unit tells it
        // where the row is now (the row whole, or its departure when it does not read it).
        port_->changes().answer(port_->changes().next(), r.table, r.id, r.scope, s);
    }
    if (seq && !held.empty()) port_->changes().supersede(held, st);
    return {};
}

} // namespace noi
