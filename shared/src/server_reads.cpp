// The reads behind the fleet status, conflicts and quarantine lists, a row's history, the
// reports and /metrics.
#include <noi/protocol/row_size.hpp>
#include <noi/sync/row_change.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/sync_service.hpp>

#include "audit_codec.hpp"

#include <algorithm>

namespace noi {
namespace {

// A row's values by column name, as the admin answers and the reports read them.
std::map<std::string, value> by_name(const table_def& def, std::vector<value> values) {
    std::map<std::string, value> out;
    for (std::size_t i = 0; i < def.columns.size() && i < values.size(); ++i)
        out[def.columns[i].name] = std::move(values[i]);
    return out;
}

} // namespace

std::vector<conflict_record> sync_service::conflicts(const conflict_filter& f) {
    return port_->conflicts().find(f);
}

std::uint64_t sync_service::count_conflicts(const conflict_filter& f) {
    return port_->conflicts().count(f);
}

std::vector<quarantine_record> sync_service::quarantine() {
    return port_->quarantine().all();
}

store_counts sync_service::counts(std::int64_t silent_since_ms) {
    store_counts c;
    const auto conflicts = port_->conflicts().count();
    c.conflicts = conflicts.all;
    c.conflicts_open = conflicts.open;
    c.quarantined_open = port_->quarantine().open_count();
    c.silent_by_commune = port_->devices().silent_by_commune(silent_since_ms);
    return c;
}

std::optional<std::map<std::string, value>> sync_service::read_row(const std::string& table,
                                                                   const std::string& id) {
    const auto* def = port_->tables().find(table);
    if (!def) return std::nullopt;
    auto values = port_->rows(*def).read(id);
    if (!values) return std::nullopt;
    auto out = by_name(*def, std::move(*values));
    out["id"] = id;
    return out;
}

std::vector<stored_row> sync_service::live_rows(const std::string& table, const std::string& column,
                                                const value& equals) {
    std::vector<stored_row> out;
    const auto* def = port_->tables().find(table);
    if (!def) return out;
    std::optional<std::size_t> col;
    if (!column.empty()) {
        col = def->column_index(column);
        if (!col) return out;
    }
    auto& states = port_->states();
    port_->rows(*def).for_each([&](const std::string& id, std::vector<value> values) {
        if (col && values[*col] != equals) return;
        stored_row r;
        r.id = id;
        if (auto st = states.load(table, id, def->columns.size()))
            for (const auto& c : st->cells)
                if (c) r.newest_hlc = std::max(r.newest_hlc, c->ver.hlc);
        r.values = by_name(*def, std::move(values));
        out.push_back(std::move(r));
    });
    return out;
}

std::vector<oversized_row> sync_service::oversized_rows() {
    std::vector<oversized_row> out;
    for (const auto& def : port_->tables().tables)
        port_->rows(def).for_each([&](const std::string& id, std::vector<value> values) {
            const auto bytes = pulled_bound(def, id, values);
            proto::row_change whole;
            whole.table = def.name;
            whole.id = id;
            if (def.scope) whole.scope = values[*def.scope];
            for (std::size_t i = 0; i < def.columns.size(); ++i)
                whole.cells.push_back({def.columns[i].name, std::move(values[i]), {}, {}});
            const bool pulled = proto::fits_alone(whole);
            if (bytes <= opt_.max_row_bytes && pulled) return;
            out.push_back({def.name, id, std::move(whole.scope), bytes, pulled});
        });
    return out;
}

std::optional<value> sync_service::row_scope(const std::string& table, const std::string& id) {
    const auto* def = port_->tables().find(table);
    if (!def) return std::nullopt;
    auto st = port_->states().load(table, id, def->columns.size());
    if (!st) return std::nullopt;
    if (!def->scope) return value{};
    return row_values(*def, id, &*st)[*def->scope];
}

std::vector<audit_record> sync_service::audit(const std::string& table, const std::string& row_id) {
    const auto* def = port_->tables().find(table);
    std::optional<row_state> state;
    if (def) state = port_->states().load(table, row_id, def->columns.size());
    std::map<std::string, value> current;
    if (def) {
        current = by_name(*def, row_values(*def, row_id, state ? &*state : nullptr));
        if (state && state->exists) current[exists_column] = merge::existence_value(state->alive);
    }
    auto& trail = port_->audit();
    const audit_column_lookup lists = [&trail](std::uint64_t id) { return trail.column_list(id); };
    // The records kept apart first, then the row's chain on the feed, walked back from the
    // newest (each names the one before) and turned oldest first.
    auto records = trail.before_feed(table, row_id);
    const auto first_chained = records.size();
    for (auto seq = state ? state->audit_seq : 0; seq;) {
        auto rec = trail.on_entry(seq);
        if (!rec) break;
        const auto prev = rec->prev;
        records.push_back(std::move(*rec));
        seq = prev < seq ? prev : 0;
    }
    std::reverse(records.begin() + static_cast<std::ptrdiff_t>(first_chained), records.end());
    std::vector<std::vector<unpacked_audit_cell>> cells;
    std::vector<audit_record> out;
    for (auto& rec : records) {
        cells.push_back(unpack_audit(rec.cells, lists));
        out.push_back({rec.id, rec.at, std::move(rec.device_id), table, row_id, rec.writer, {}});
    }
    // The values after each change, read back from the row as it is now.
    auto completed = complete_audit(std::move(cells), std::move(current));
    for (std::size_t k = 0; k < out.size(); ++k)
        out[k].cells = std::move(completed[k]);
    return out;
}

std::optional<std::vector<version>> sync_service::tombstone_seen(const std::string& table,
                                                                 const std::string& id) {
    const auto* def = port_->tables().find(table);
    if (!def) return std::nullopt;
    auto st = port_->states().load(table, id, def->columns.size());
    if (!st || st->alive) return std::nullopt;
    return st->seen;
}

} // namespace noi
