// /admin/v1/conflicts: concurrent edits the merge recorded, for a province admin to decide.
#include "admin_handlers.hpp"
#include "api_query.hpp"
#include "cell_json.hpp"
#include "device_names.hpp"

#include <noi/sync/schema_change.hpp>
#include <noi/sync/unicode_text.hpp>

namespace noi::server {
namespace {

json conflict_json(const conflict_record& c, const device_map& devices) {
    json versions = json::array();
    for (const auto* side : {&c.winner, &c.loser}) {
        bool open = c.status == conflict_status::open;
        versions.push_back(
            {{"value", to_json(side->val)},
             {"device_id", side->device_id.empty() ? json("server") : json(side->device_id)},
             {"device_name", side->device_id.empty() ? json("the server (an admin)")
                                                     : name_of(devices, side->device_id)},
             {"hlc", std::to_string(side->hlc)},
             {"time", iso8601_ms(hlc_to_ms(side->hlc))},
             {"winner", open && side == &c.winner},
             {"deleted", side->deleted}});
    }
    json j{{"id", c.id},
           {"kind", to_string(c.kind)},
           {"table", c.table},
           {"row_id", c.row_id},
           {"column", c.column ? json(*c.column) : json(nullptr)},
           {"commune", c.scope.empty() ? json(nullptr) : json(c.scope)},
           {"status", to_string(c.status)},
           {"created_at", iso8601_ms(c.created_at_ms)},
           {"recorded_by", c.device_id.empty() ? json(nullptr) : json(c.device_id)},
           {"versions", versions}};
    if (c.resolved_by) {
        j["resolved_by"] = *c.resolved_by;
        j["resolved_at"] = c.resolved_at_ms ? json(iso8601_ms(*c.resolved_at_ms)) : json(nullptr);
        j["resolution"] = c.resolution ? json(*c.resolution) : json(nullptr);
        j["resolution_text"] = c.resolution ? both(in_both(*c.resolution)) : json(nullptr);
    }
    return j;
}

// Each version's base, the version its writer had seen, as the row's audit trail tells it
// (a version the server never applied has no audit record, and so no base to show).
void add_bases(server_store& store, const conflict_record& c, json& j) {
    const auto audit = store.audit(c.table, c.row_id);
    const std::string column = c.column.value_or("*exists");
    auto cell_of = [&](std::uint64_t hlc) -> const audit_cell* {
        for (const auto& a : audit)
            for (const auto& cell : a.cells)
                if (cell.column == column && cell.ver.hlc == hlc) return &cell;
        return nullptr;
    };
    for (auto& v : j["versions"]) {
        const auto* cell = cell_of(std::stoull(v["hlc"].get<std::string>()));
        if (!cell || !cell->base) continue;
        v["base_time"] = iso8601_ms(hlc_to_ms(cell->base->hlc));
        const auto* base = cell_of(cell->base->hlc);
        v["base_value"] = base ? to_json(base->new_value) : json(nullptr);
    }
}

// `keep` names a side of the conflict by device id or by the device's name (compared as NFC:
// a name typed decomposed is the same name); anything else is passed on for the store to refuse.
std::string device_of_side(server_store& store, std::uint64_t id, const std::string& keep) {
    const auto devices = devices_by_id(store);
    for (const auto& c : store.conflicts({.id = id})) {
        std::vector<std::string> matches;
        for (const auto* side : {&c.winner, &c.loser}) {
            if (side->device_id == keep) return keep;
            auto d = devices.find(side->device_id);
            if (d != devices.end() && same_text(d->second.name, keep))
                matches.push_back(side->device_id);
        }
        if (matches.size() == 1) return matches.front();
    }
    return keep;
}

} // namespace

api_response conflicts_list(admin_request& r) {
    auto& store = r.store;
    const auto& q = r.q;
    auto status = q.count("status") ? q.at("status") : "open";
    if (status != "open" && status != "resolved" && status != "all")
        return error(400, "status must be open, resolved or all");
    // The filter and the page run in SQL: 260,000 open conflicts, loaded whole for each page,
    // stalled every push behind the database thread (issue 28).
    conflict_filter f;
    if (status != "all")
        f.status = status == "open" ? conflict_status::open : conflict_status::resolved;
    if (q.count("table")) f.table = q.at("table");
    if (q.count("commune")) f.scope = q.at("commune");
    if (q.count("device_id")) f.device_id = q.at("device_id");
    f.scopes = r.scope.communes;
    auto p = page_of(q);
    if (!p.problem.empty()) return error(400, p.problem);
    if (q.count("older_than_days")) {
        auto days = whole_number(q.at("older_than_days"));
        if (!days || *days < 0 || *days > 3650)
            return error(400, "older_than_days must be a whole number of days from 0 to 3650");
        f.created_before_ms = store.now_ms() - *days * 86'400'000;
    }
    const auto total = store.count_conflicts(f);
    f.offset = p.offset;
    f.limit = p.limit;
    const auto devices = devices_by_id(store);
    json out = json::array();
    for (const auto& c : store.conflicts(f))
        out.push_back(conflict_json(c, devices));
    return {200, text(out), static_cast<std::int64_t>(total)};
}

// Resolves every open conflict one device's pushes made, keeping each row as it stands: the
// inbox a flooding device filled is emptied in one step, and its pushes flow again.
api_response conflicts_resolve_device(admin_request& r) {
    json req = json::parse(r.body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body must be a JSON object");
    std::string device_id;
    if (auto bad = field(req, "device_id", device_id, "a device id string"))
        return error(400, *bad);
    if (device_id.empty())
        return error(400, "give \"device_id\": the device whose conflicts to resolve");
    if (!r.store.find_device(device_id))
        return error(404, "no device " + device_id + "; list devices to find its id");
    const auto n = r.store.resolve_device_conflicts(device_id, r.admin_name());
    r.auth.record(r.admin_name(), "resolve", "conflicts of device " + device_id,
                  std::to_string(n) + " kept as they stood");
    return {200, text(json{{"device_id", device_id}, {"resolved", n}})};
}

api_response conflict_show(admin_request& r) {
    auto& store = r.store;
    const auto id = r.number(0);
    for (const auto& c : store.conflicts({.id = id})) {
        if (!r.scope.reads(c.scope)) continue;
        auto j = conflict_json(c, devices_by_id(store));
        add_bases(store, c, j);
        // What a new value must be: the console types what the admin enters by it, so that
        // "02" stays text on a TEXT column (issue 28, item 14).
        const auto* def = store.find_table(c.table);
        const auto col = def && c.column ? def->column_index(*c.column) : std::nullopt;
        j["column_type"] = col ? json(type_name(def->columns[*col].type)) : json(nullptr);
        j["column_date"] = col && def->columns[*col].date;
        j["row"] = nullptr;
        if (auto row = store.read_row(c.table, c.row_id)) {
            j["row"] = json::object();
            for (const auto& [column, v] : *row)
                j["row"][column] = to_json(v);
        }
        return {200, text(j)};
    }
    return error(404, "no conflict " + std::to_string(id) + "; list conflicts to find its id");
}

api_response conflict_resolve(admin_request& r) {
    const auto id = r.number(0);
    const auto& who = *r.admin;
    json req = json::parse(r.body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body must be a JSON object");
    server_store::resolution how;
    // The account resolves; a name the caller gives is kept beside it, never instead of it.
    std::string keep, on_behalf;
    for (auto bad :
         {field(req, "force", how.force, "true or false"), field(req, "by", on_behalf, "a string"),
          field(req, "keep", keep, "a device id string")})
        if (bad) return error(400, *bad);
    how.by = who.name;
    if (!on_behalf.empty() && on_behalf != who.name) how.by += " (for " + on_behalf + ")";
    if (!keep.empty()) how.keep_device = device_of_side(r.store, id, keep);
    if (req.contains("value")) {
        auto v = from_json(req["value"]);
        if (!v) return error(400, "\"value\" must be a JSON scalar: a string, a number or null");
        how.new_value = *v;
    }
    const auto done = r.store.resolve_conflict(id, how);
    using rs = server_store::resolve_status;
    switch (done.status) {
    case rs::resolved:
        r.auth.record(who.name, "resolve", "conflict " + std::to_string(id), done.message);
        return {200, text(json{{"id", id}, {"status", "resolved"}, {"resolution", done.message}})};
    case rs::not_found:
        return error(404, done.message);
    case rs::bad_request:
        return error(400, done.message);
    default:
        return error(409, done.message);
    }
}

} // namespace noi::server
