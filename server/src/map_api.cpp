// The administrative map over the admin API (docs/admin-api.md, "The map"): its units with their
// lineage, the changes applied, and a change, dry run first. A change is one transaction with
// its admin-log entry; the devices it moved are disconnected, so they learn their new scope at
// once when online.
#include "map_api.hpp"
#include "api_query.hpp"
#include "cell_json.hpp"

#include <noi/sync/error.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace noi::server {
namespace {

json unit_json(const unit_record& u, const std::vector<lineage_edge>& lineage) {
    json into = json::array(), from = json::array();
    for (const auto& e : lineage) {
        if (e.old_unit == u.id)
            into.push_back({{"unit", e.new_unit},
                            {"share", e.whole ? "whole" : "part"},
                            {"change_id", e.change_id}});
        if (e.new_unit == u.id)
            from.push_back({{"unit", e.old_unit},
                            {"share", e.whole ? "whole" : "part"},
                            {"change_id", e.change_id}});
    }
    return {{"id", u.id},
            {"code", u.code},
            {"name", u.name},
            {"kind", u.kind},
            {"province_code", u.province_code},
            {"province", u.province},
            {"district_code", text_or_null(u.district_code)},
            {"district", text_or_null(u.district)},
            {"valid_from", text_or_null(u.valid_from)},
            {"valid_until", text_or_null(u.valid_until)},
            {"went_into", into},
            {"made_from", from}};
}

json impact_json(const map_impact& m, bool dry_run) {
    json units = json::array(), devices = json::array();
    for (const auto& u : m.units)
        units.push_back(
            {{"id", u.id}, {"code", u.code}, {"name", u.name}, {"kind", u.kind}, {"from", u.from}});
    for (const auto& d : m.devices)
        devices.push_back({{"device_id", d.device_id},
                           {"name", d.name},
                           {"from", d.from_scope},
                           {"to", d.to_scope},
                           {"pending", d.pending ? json(*d.pending) : json(nullptr)},
                           {"last_contact_at", time_or_null(d.last_contact_at_ms)},
                           {"app_version", d.app_version ? json(*d.app_version) : json(nullptr)},
                           {"download_rows", d.rows_to_download},
                           {"download_bytes", d.bytes_to_download}});
    return {{"dry_run", dry_run}, {"change_id", dry_run ? json(nullptr) : json(m.change_id)},
            {"units", units},     {"rows", m.rows_per_table},
            {"devices", devices}, {"skipped", m.skipped}};
}

// A text field of the request; a field of another type is refused with its reason.
std::string text_field(const json& req, const char* name) {
    std::string out;
    if (auto bad = field(req, name, out, "a string")) throw std::invalid_argument(*bad);
    return out;
}

// A reorganisation's lines (old_code, new_code, new_name, share) as merges: the lines of the
// units this server holds, by new code. A unit divided between several new ones is not merged:
// its rows stay under it until divided, and the answer says so.
void from_lines(server_store& store, const json& lines, map_change_request& c,
                std::vector<std::string>& skipped) {
    if (!lines.is_array() || lines.empty())
        throw std::invalid_argument("\"lines\" must be a non-empty array of {old_code, new_code, "
                                    "new_name, share}");
    std::set<std::string> open;
    for (const auto& u : store.units())
        if (u.valid_until.empty()) open.insert(u.code);
    std::map<std::string, map_change_request::group> groups;
    std::map<std::string, std::vector<std::string>> parts; // old code -> new codes
    std::size_t elsewhere = 0;
    for (const auto& l : lines) {
        if (!l.is_object())
            throw std::invalid_argument("each line is an object {old_code, new_code, …}");
        const auto old_code = text_field(l, "old_code"), new_code = text_field(l, "new_code");
        const auto share = text_field(l, "share");
        if (old_code.empty() || new_code.empty())
            throw std::invalid_argument("each line needs old_code and new_code");
        if (!share.empty() && share != "whole" && share != "part")
            throw std::invalid_argument("a line's share is whole or part, not " + share);
        if (!open.count(old_code)) {
            ++elsewhere;
            continue;
        }
        if (share == "part") {
            parts[old_code].push_back(new_code);
            continue;
        }
        auto& g = groups[new_code];
        g.code = new_code;
        if (g.name.empty()) g.name = text_field(l, "new_name");
        g.from.push_back(old_code);
    }
    for (const auto& [old_code, into] : parts) {
        std::string list;
        for (const auto& n : into)
            list += (list.empty() ? "" : ", ") + n;
        skipped.push_back("unit " + old_code + " was divided between " + list +
                          ": not merged; its rows stay under " + old_code +
                          " until they are divided");
    }
    for (auto& [code, g] : groups)
        c.groups.push_back(std::move(g));
    if (c.groups.empty())
        throw std::invalid_argument("no line of the file names a unit this server holds (" +
                                    std::to_string(elsewhere) +
                                    " lines name other provinces' units); noi-admin scope units "
                                    "lists this server's");
}

} // namespace

api_response map_units(server_store& store, const query& q) {
    const bool all = q.count("all") && q.at("all") == "1";
    const auto day = q.count("on") ? q.at("on") : std::string();
    const auto lineage = store.lineage();
    json out = json::array();
    for (const auto& u : store.units()) {
        if (!day.empty() ? !u.valid_on(day) : (!all && !u.valid_until.empty())) continue;
        out.push_back(unit_json(u, lineage));
    }
    return {200, text(out)};
}

api_response map_changes(server_store& store) {
    const auto lineage = store.lineage();
    json out = json::array();
    for (const auto& c : store.map_changes()) {
        json edges = json::array();
        for (const auto& e : lineage)
            if (e.change_id == c.id)
                edges.push_back({{"old_unit", e.old_unit},
                                 {"new_unit", e.new_unit},
                                 {"share", e.whole ? "whole" : "part"}});
        out.push_back({{"id", c.id},
                       {"kind", c.kind},
                       {"effective", c.effective},
                       {"basis", c.basis},
                       {"account", c.account},
                       {"applied_at", time_or_null(c.applied_at_ms)},
                       {"lineage", edges}});
    }
    return {200, text(out)};
}

api_response map_change(server_state& state, server_store& store, auth_store& auth,
                        const account& who, const std::string& body) {
    const json req = json::parse(body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body must be a JSON object: {\"kind\": \"merge\", "
                          "\"effective\": \"2025-07-01\", \"groups\": [{\"from\": [\"01834\"], "
                          "\"code\": \"01840\"}]}");
    map_change_request c;
    std::vector<std::string> skipped;
    bool dry_run = false;
    try {
        c.kind = text_field(req, "kind");
        if (c.kind.empty()) c.kind = "merge";
        if (c.kind != "merge" && c.kind != "reorganise")
            return error(400, "a change's kind is merge or reorganise, not " + c.kind);
        c.effective = text_field(req, "effective");
        c.basis = text_field(req, "basis");
        if (auto bad = field(req, "dry_run", dry_run, "true or false")) return error(400, *bad);
        if (c.kind == "reorganise") {
            from_lines(store, req.value("lines", json()), c, skipped);
        } else {
            const auto groups = req.value("groups", json());
            if (!groups.is_array() || groups.empty())
                return error(400, "\"groups\" must be a non-empty array of {from, code, name, "
                                  "kind}");
            for (const auto& g : groups) {
                if (!g.is_object() || !g.contains("from") || !g["from"].is_array())
                    return error(400, "each group is {\"from\": [codes], \"code\": …}");
                map_change_request::group out;
                for (const auto& f : g["from"]) {
                    if (!f.is_string()) return error(400, "\"from\" lists codes as strings");
                    out.from.push_back(f.get<std::string>());
                }
                out.code = text_field(g, "code");
                out.name = text_field(g, "name");
                out.kind = text_field(g, "kind");
                c.groups.push_back(std::move(out));
            }
        }
    } catch (const std::invalid_argument& e) {
        return error(400, e.what());
    } catch (const json::exception&) {
        return error(400, "the request's fields are not of the types the API takes");
    }
    map_impact impact;
    try {
        auto group = store.begin();
        impact = store.change_map(c, who.name, dry_run);
        if (!dry_run) {
            std::string detail = "effective " + c.effective;
            for (const auto& u : impact.units) {
                std::string from;
                for (const auto& f : u.from)
                    from += (from.empty() ? "" : ",") + f;
                detail += "; " + from + " → " + u.id;
            }
            if (!c.basis.empty()) detail += "; basis: " + c.basis;
            auth.record(who.name, "map " + c.kind, "change " + std::to_string(impact.change_id),
                        detail);
            group->commit();
        }
    } catch (const sync_error& e) {
        if (e.code() != errc::refused) throw;
        return error(400, e.what());
    }
    impact.skipped = std::move(skipped);
    if (!dry_run) {
        // The new units' reference rows reach every tablet; a moved device reconnects and is
        // told its new scope.
        emissions e;
        e.add(value{}, store.server_seq());
        state.notify(e, nullptr);
        for (const auto& d : impact.devices)
            state.close_device(d.device_id);
    }
    return {dry_run ? 200u : 201u, text(impact_json(impact, dry_run))};
}

api_response rows_move(server_state& state, server_store& store, auth_store& auth,
                       const account& who, const std::string& body) {
    const json req = json::parse(body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body is {\"table\", \"ids\": [...] or \"where\": "
                          "{\"column\", \"value\"}, \"to\": CODE, \"dry_run\"}");
    std::string table, to, column;
    std::vector<std::string> ids;
    value equals;
    bool dry_run = false;
    try {
        table = text_field(req, "table");
        to = text_field(req, "to");
        if (req.contains("ids")) {
            if (!req["ids"].is_array()) return error(400, "\"ids\" lists row ids as strings");
            for (const auto& id : req["ids"]) {
                if (!id.is_string()) return error(400, "\"ids\" lists row ids as strings");
                ids.push_back(id.get<std::string>());
            }
        }
        if (req.contains("where")) {
            const auto& w = req["where"];
            if (!w.is_object()) return error(400, "\"where\" is {\"column\", \"value\"}");
            column = text_field(w, "column");
            auto v = from_json(w.value("value", json()));
            if (!v) return error(400, "\"where\"'s value is a JSON scalar");
            equals = *v;
        }
        if (auto bad = field(req, "dry_run", dry_run, "true or false")) return error(400, *bad);
    } catch (const std::invalid_argument& e) {
        return error(400, e.what());
    }
    if (table.empty() || to.empty())
        return error(400, "say the table (\"table\") and the code of the commune the rows go "
                          "to (\"to\")");
    if (ids.empty() == column.empty())
        return error(400, "name the rows by \"ids\" or by \"where\", one of the two");
    rows_moved moved;
    try {
        auto group = store.begin();
        moved = store.move_rows(table, ids, column, equals, to, who.name, dry_run);
        if (!dry_run && !moved.moved.empty()) {
            std::string list;
            for (const auto& [id, from] : moved.moved)
                list += (list.empty() ? "" : ", ") + id + " (from " + from + ")";
            auth.record(who.name, "rows move", table + " → " + moved.to_unit, list);
            group->commit();
        }
    } catch (const sync_error& e) {
        if (e.code() != errc::refused) throw;
        return error(400, e.what());
    }
    if (!dry_run && !moved.moved.empty()) {
        // The tablets of the old units and of the new one take it at their next pull.
        emissions e;
        e.add(value{moved.to_unit}, store.server_seq());
        for (const auto& [id, from] : moved.moved)
            e.add(value{from}, store.server_seq());
        state.notify(e, nullptr);
    }
    json rows = json::array();
    for (const auto& [id, from] : moved.moved)
        rows.push_back({{"id", id}, {"from", from}});
    return {
        200,
        text(json{{"dry_run", dry_run}, {"table", table}, {"to", moved.to_unit}, {"rows", rows}})};
}

} // namespace noi::server
