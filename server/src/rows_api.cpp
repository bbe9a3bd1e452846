// /admin/v1/history and /admin/v1/rows/too-large: what happened to a row, and rows larger than
// a push may make one now. (Moving rows between communes is the map's: map_api.cpp.)
#include "admin_handlers.hpp"
#include "api_query.hpp"
#include "cell_json.hpp"
#include "device_names.hpp"

#include <algorithm>

namespace noi::server {

// Rows larger than a push may make one now; those a pull passes over first (`pulled` false).
api_response rows_too_large(admin_request& r) {
    json out = json::array();
    for (const auto& row : r.store.oversized_rows()) {
        const auto* scope = std::get_if<std::string>(&row.scope);
        if (!r.scope.communes.empty() && (!scope || !r.scope.reads(*scope))) continue;
        out.push_back({{"table", row.table},
                       {"id", row.id},
                       {"commune", to_json(row.scope)},
                       {"bytes", row.bytes},
                       {"pulled", row.pulled}});
    }
    std::stable_partition(out.begin(), out.end(), [](const json& j) { return !j["pulled"]; });
    return {200, text(out)};
}

api_response row_history(admin_request& r) {
    auto& store = r.store;
    const auto& q = r.q;
    if (!q.count("row") || q.at("row").empty())
        return error(400, "give the row id, and its table if you know it (?row=ID&table=T)");
    const auto& row = q.at("row");
    // A viewer of some communes reads the rows of global tables and of its communes. Any other
    // row is answered as one that does not exist, in both forms of the request, by the same
    // bytes: the answers do not repeat the id (issue 28, item 9: the search by id alone told
    // "in another commune" from "nowhere" by its message).
    auto readable = [&](const table_def& def) {
        if (r.scope.communes.empty() || !def.scope) return true;
        const auto scope = store.row_scope(def.name, row);
        const auto* code = scope ? std::get_if<std::string>(&*scope) : nullptr;
        return code && r.scope.reads(*code);
    };
    // Ids are made to be unique across tables: an id alone finds its table.
    std::string table = q.count("table") ? q.at("table") : "";
    if (table.empty()) {
        for (const auto& t : store.current_schema().tables)
            if ((store.row_scope(t.name, row) || !store.audit(t.name, row).empty()) && readable(t))
                table = t.name;
        if (table.empty()) return error(404, "no table holds a row with that id; check the id");
    }
    const auto* def = store.find_table(table);
    if (!def) return error(404, "no synced table named " + table);
    if (!readable(*def)) return error(404, "no row with that id in " + table + " of your communes");
    json out = json::array();
    // The server's own writes (and sides of conflicts) carry no device id.
    auto writer = [](const std::string& device_id) {
        return device_id.empty() ? json("server") : json(device_id);
    };
    // The row-existence cell reads as "alive" or "deleted", with no column.
    auto existence = [](const value& v) -> json {
        if (const auto* alive = std::get_if<std::int64_t>(&v)) return *alive ? "alive" : "deleted";
        return nullptr;
    };
    for (const auto& a : store.audit(table, row))
        for (const auto& c : a.cells) {
            bool row_cell = c.column == "*exists";
            out.push_back({{"time", iso8601_ms(a.at_ms)},
                           {"device_id", writer(a.device_id)},
                           {"kind", "change"},
                           {"column", row_cell ? json(nullptr) : json(c.column)},
                           {"old", row_cell ? existence(c.old_value) : to_json(c.old_value)},
                           {"new", row_cell ? existence(c.new_value) : to_json(c.new_value)}});
        }
    for (const auto& c : store.conflicts({.table = table, .row_id = row})) {
        out.push_back({{"time", iso8601_ms(c.created_at_ms)},
                       {"device_id", writer(c.loser.device_id)},
                       {"kind", "conflict"},
                       {"column", c.column ? json(*c.column) : json(nullptr)},
                       {"old", to_json(c.loser.val)},
                       {"new", to_json(c.winner.val)},
                       {"conflict_id", c.id}});
        if (c.resolved_at_ms)
            out.push_back(
                {{"time", iso8601_ms(*c.resolved_at_ms)},
                 {"device_id", c.resolved_by.value_or("admin")},
                 {"kind", "resolution"},
                 {"column", c.column ? json(*c.column) : json(nullptr)},
                 {"old", nullptr},
                 {"new", c.resolution ? json(*c.resolution) : json(nullptr)},
                 {"new_text", c.resolution ? both(in_both(*c.resolution)) : json(nullptr)},
                 {"conflict_id", c.id}});
    }
    const auto devices = devices_by_id(store);
    for (auto& h : out) {
        h["device_name"] = h["device_id"].is_string()
                               ? name_of(devices, h["device_id"].get<std::string>())
                               : json(nullptr);
        h["table"] = table; // found by the server when the request named the row alone
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const json& a, const json& b) { return a["time"] < b["time"]; });
    return {200, text(out)};
}

} // namespace noi::server
