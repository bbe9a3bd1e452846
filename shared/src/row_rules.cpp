// The rules a pushed row must meet before it is merged (docs/design.md §6a, §11), with no
// storage: what they need beyond the row comes in a row_rules, so every store applies the same
// ones (server_store.hpp).
#include "row_rules.hpp"

#include <noi/sync/dates.hpp>
#include <noi/sync/merge.hpp>
#include <noi/sync/unicode_text.hpp>

#include <algorithm>

namespace noi {

bool carries_column(const std::vector<std::size_t>& columns, std::size_t column) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
}

bool inserts(const proto::row_change& r) {
    return r.exists && r.exists->alive && !r.exists->base;
}

bool stamped_beyond(const proto::row_change& r, std::uint64_t limit, const site_id* by) {
    auto beyond = [&](const version& v) { return (!by || v.site == *by) && v.hlc > limit; };
    return (r.exists && beyond(r.exists->ver)) ||
           std::any_of(r.cells.begin(), r.cells.end(),
                       [&](const auto& c) { return beyond(c.ver); });
}

std::optional<proto::reject_reason> check_row(const row_rules& rules, const device& d,
                                              const site_id& s, const proto::row_change& r,
                                              row_check& out) {
    using proto::reject_reason;
    auto& [def, why, columns] = out;
    // First, so that no store is asked for a row by an id it cannot hold as text (`def` stays
    // unset: the row is looked up nowhere).
    if (!storable_text(r.id)) {
        why = "a row id must be UTF-8 text without NUL characters";
        return reject_reason::wrong_type;
    }
    def = rules.tables.find(r.table);
    if (!def) {
        why = "the server has no synced table named " + r.table;
        return reject_reason::unknown_table;
    }
    if (r.id.empty()) {
        why = "a row id must not be empty";
        return reject_reason::wrong_type;
    }
    // A replica stamps only its own changes: a version in another site's name would be taken
    // for that writer's, and pass the merge's concurrency check as if it were.
    auto foreign = [&](const version& v) { return v.site != s; };
    if ((r.exists && foreign(r.exists->ver)) ||
        std::any_of(r.cells.begin(), r.cells.end(),
                    [&](const auto& c) { return foreign(c.ver); })) {
        why = "the row carries a version stamped by another replica; a replica may send only "
              "changes it made itself";
        return reject_reason::foreign_version;
    }
    std::vector<bool> seen_column(def->columns.size());
    columns.clear();
    columns.reserve(r.cells.size());
    for (const auto& c : r.cells) {
        auto i = def->column_index(c.column, columns.size());
        if (!i) {
            why = "table " + r.table + " has no column " + c.column;
            return reject_reason::unknown_column;
        }
        if (seen_column[*i]) {
            why = "column " + r.table + "." + c.column + " appears twice in one row";
            return reject_reason::wrong_type;
        }
        seen_column[*i] = true;
        columns.push_back(*i);
        if (!value_fits(def->columns[*i].type, c.val)) {
            why = "column " + r.table + "." + c.column + " does not take a value of that type";
            return reject_reason::wrong_type;
        }
        if (const auto* text = std::get_if<std::string>(&c.val); text && !storable_text(*text)) {
            why = "column " + r.table + "." + c.column +
                  " holds text that is not UTF-8 or has a NUL character; send such bytes in a "
                  "BLOB column";
            return reject_reason::wrong_type;
        }
        // A re-send after a restore carries what an earlier release let be typed: refusing it
        // now would take the row from its tablet, so only a new value must be a date.
        if (is_bad_date(def->columns[*i], c.val) && !merge::is_resend(c.ver, c.base)) {
            why = r.table + "." + date_refusal(c.column, std::get<std::string>(c.val));
            return reject_reason::wrong_type;
        }
        // Only the server moves a row (noi-admin rows move).
        if (def->scope && *i == *def->scope && c.val != r.scope && s != rules.server_site) {
            why = "the row's scope column differs from its scope";
            return reject_reason::scope_changed;
        }
    }
    // Reference data changes only by the server's own writes, an admin's through the audited
    // admin path: a stolen province-wide token could otherwise rename every commune and change
    // the criterion-19 report with no trace in the admin log (issue 28).
    if (def->is_global()) {
        if (s == rules.server_site) return std::nullopt;
        why = r.table + " is province reference data, which no device writes; the province " +
              "office changes it with its admin tool (noi-admin reference set)";
        return reject_reason::global_table;
    }
    const auto* scope = std::get_if<std::string>(&r.scope);
    if (!scope || scope->empty()) {
        why = "the row has no commune code";
        return reject_reason::missing_scope;
    }
    // A tablet places a row by its scope cell, which only the row's insert carries: a first
    // insert without it would be stored where no tablet ever shows it.
    if (inserts(r) && !carries_column(columns, *def->scope)) {
        why = "the new row " + r.id + " carries no " + def->columns[*def->scope].name +
              " cell; an insert must send its commune code as a cell";
        return reject_reason::missing_scope;
    }
    // A tablet may send its edit of a row moved away from its unit, made before it heard (an
    // edit: an insert of the row's id is another record's, and stays refused).
    const auto left = [&] {
        if (inserts(r)) return false;
        const auto from = rules.moved_from(r.table, r.id);
        return std::any_of(from.begin(), from.end(), [&](const auto& u) { return d.writes(u); });
    };
    if (!d.writes(*scope) && !left()) {
        why = "the row belongs to commune " + *scope + " but the device is enrolled for " + d.scope;
        return reject_reason::out_of_scope;
    }
    return std::nullopt;
}

} // namespace noi
