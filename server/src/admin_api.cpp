#include "admin_api.hpp"
#include "api_query.hpp"
#include "api_reply.hpp"
#include "cell_json.hpp"
#include "criterion19_report.hpp"
#include "fleet_api.hpp"
#include "map_api.hpp"
#include "qr_code.hpp"
#include "reference_api.hpp"
#include "report_files.hpp"
#include "schema_api.hpp"

#include <noi/beast/certificate_pin.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/server_address.hpp>

#include <nlohmann/json.hpp>

#include <noi/sync/unicode_text.hpp>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>

namespace noi::server {
namespace {

api_response list_devices(server_store& store, const account& who,
                          const std::map<std::string, std::string>& q) {
    auto all = store.device_statuses();
    std::stable_sort(all.begin(), all.end(), [](const device_status& a, const device_status& b) {
        return std::tie(a.created_at_ms, a.dev.id) < std::tie(b.created_at_ms, b.dev.id);
    });
    auto p = page_of(q);
    if (!p.problem.empty()) return error(400, p.problem);
    std::erase_if(all, [&](const device_status& s) {
        return !who.reads(s.dev.scope) ||
               (q.count("name") && !contains_text(s.dev.name, q.at("name")));
    });
    return paged(all, p, [](const device_status& s) {
        return json{{"device_id", s.dev.id},
                    {"scope", s.dev.scope},
                    {"name", s.dev.name},
                    {"last_sync_at", time_or_null(s.last_sync_at_ms)},
                    {"revoked", s.dev.revoked},
                    {"wipe_ordered_at", time_or_null(s.dev.wipe_ordered_at_ms)},
                    {"wiped_at", time_or_null(s.dev.wiped_at_ms)}};
    });
}

api_response add_device(server_store& store, auth_store& auth, const account& who,
                        const std::string& body, const std::string& tls_cert) {
    json req = json::parse(body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body must be a JSON object");
    std::string name, commune, server_url;
    bool province = false;
    for (auto bad : {field(req, "name", name, "a string"),
                     field(req, "commune", commune, "a 5-digit commune code string"),
                     field(req, "province", province, "true or false"),
                     field(req, "server_url", server_url, "the tablets' ws:// or wss:// address")})
        if (bad) return error(400, *bad);
    bool tls_url = false;
    if (!server_url.empty()) {
        // The QR carries an address the tablet's library takes, in the form the QR documents.
        std::optional<server_address> a;
        try {
            a = parse_server_address(server_url);
        } catch (const bad_server_address& e) {
            return error(400, std::string("server_url: ") + e.what());
        }
        if (a->scheme != "ws" && a->scheme != "wss")
            return error(400, "server_url is the address tablets sync with, ws://HOST:PORT/sync "
                              "or wss://HOST:PORT/sync");
        tls_url = a->tls;
    }
    std::string scope;
    if (!commune.empty()) {
        scope = commune;
    } else if (province) {
        scope = "*";
    } else {
        return error(400, "say which commune the device is for (\"commune\") or that it is "
                          "province-wide (\"province\": true)");
    }
    try {
        auto e = auth.enrol(scope, name);
        auth.record(who.name, "enrol", e.dev.id, "scope " + e.dev.scope);
        // Two unrevoked devices of one commune with one name (NFC or NFD alike) cannot be told
        // apart where a name stands for the device (conflicts resolve --keep NAME): say so.
        std::string twin;
        if (!name.empty())
            for (const auto& d : store.devices())
                if (!d.revoked && d.id != e.dev.id && d.scope == e.dev.scope &&
                    same_text(d.name, name))
                    twin = d.id;
        json out{{"device_id", e.dev.id},
                 {"token", e.token},
                 {"scope", e.dev.scope},
                 {"name", e.dev.name}};
        // What the tablet app scans instead of typing a 48-digit token (docs/protocol.md).
        if (!server_url.empty()) {
            json enrol{{"noi", "enrol"},
                       {"server", server_url},
                       {"device_id", e.dev.id},
                       {"token", e.token}};
            // The certificate at the top of the server's chain, for a tablet to trust on first
            // scan when the province has its own CA (docs/protocol.md).
            if (auto pin =
                    tls_url && !tls_cert.empty() ? top_certificate_sha256(tls_cert) : std::nullopt)
                enrol["ca_sha256"] = *pin;
            out["qr"] = qr_code(enrol.dump());
        }
        if (!twin.empty())
            out["warning"] = "device " + twin + " of " + e.dev.scope +
                             " has the same name; give one " +
                             "of them another (máy 2, …), or name the device by its id";
        return {201, text(out)};
    } catch (const sync_error& e) {
        return error(e.code() == errc::refused ? 400 : 500, e.what());
    }
}

// Every device by id: answers name devices (people know tablets by their names) and check
// the reader's communes through them.
using device_map = std::map<std::string, device>;
device_map devices_by_id(server_store& store) {
    device_map out;
    for (auto& d : store.devices())
        out.emplace(d.id, std::move(d));
    return out;
}

json name_of(const device_map& devices, const std::string& id) {
    auto d = devices.find(id);
    return d != devices.end() ? json(d->second.name) : json(nullptr);
}

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
    }
    return j;
}

// The MIDDLE of PREFIX MIDDLE SUFFIX, when path has that shape with a non-empty middle of one
// segment, its %XX escapes decoded (noi-admin encodes every path segment: an account name may
// hold '@'). A capture never spans '/', so /reference/TABLE and /reference/TABLE/ID differ.
std::optional<std::string> text_in(const std::string& path, const std::string& prefix,
                                   const std::string& suffix) {
    if (path.rfind(prefix, 0) != 0 || path.size() <= prefix.size() + suffix.size() ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
        return std::nullopt;
    const auto middle = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (middle.find('/') != std::string::npos) return std::nullopt;
    return percent_decoded(middle, false);
}

std::optional<std::uint64_t> id_in(const std::string& path, const std::string& prefix,
                                   const std::string& suffix) {
    auto digits = text_in(path, prefix, suffix);
    if (!digits || digits->find_first_not_of("0123456789") != std::string::npos ||
        digits->size() > 18)
        return std::nullopt;
    return std::stoull(*digits);
}

api_response list_conflicts(server_store& store, const account& who,
                            const std::map<std::string, std::string>& q) {
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
    f.scopes = who.communes;
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
api_response resolve_many(server_store& store, auth_store& auth, const account& who,
                          const std::string& body) {
    json req = json::parse(body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body must be a JSON object");
    std::string device_id;
    if (auto bad = field(req, "device_id", device_id, "a device id string"))
        return error(400, *bad);
    if (device_id.empty())
        return error(400, "give \"device_id\": the device whose conflicts to resolve");
    if (!store.find_device(device_id))
        return error(404, "no device " + device_id + "; list devices to find its id");
    const auto n = store.resolve_device_conflicts(device_id, who.name);
    auth.record(who.name, "resolve", "conflicts of device " + device_id,
                std::to_string(n) + " kept as they stood");
    return {200, text(json{{"device_id", device_id}, {"resolved", n}})};
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

api_response show_conflict(server_store& store, const account& who, std::uint64_t id) {
    for (const auto& c : store.conflicts({.id = id})) {
        if (!who.reads(c.scope)) continue;
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

api_response resolve(server_store& store, auth_store& auth, const account& who, std::uint64_t id,
                     const std::string& body) {
    json req = json::parse(body, nullptr, false);
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
    if (!keep.empty()) how.keep_device = device_of_side(store, id, keep);
    if (req.contains("value")) {
        auto v = from_json(req["value"]);
        if (!v) return error(400, "\"value\" must be a JSON scalar: a string, a number or null");
        how.new_value = *v;
    }
    auto r = store.resolve_conflict(id, how);
    using rs = server_store::resolve_status;
    switch (r.status) {
    case rs::resolved:
        auth.record(who.name, "resolve", "conflict " + std::to_string(id), r.message);
        return {200, text(json{{"id", id}, {"status", "resolved"}, {"resolution", r.message}})};
    case rs::not_found:
        return error(404, r.message);
    case rs::bad_request:
        return error(400, r.message);
    default:
        return error(409, r.message);
    }
}

// What list and show both say of a quarantined row.
json quarantine_json(const quarantine_record& r, const device_map& devices) {
    return {{"id", r.id},
            {"device_id", r.device_id},
            {"device_name", name_of(devices, r.device_id)},
            {"repeats", r.repeats},
            {"table", r.table},
            {"row_id", r.row_id},
            {"reason", proto::to_string(r.reason)},
            {"message", r.message},
            {"status", to_string(r.status)},
            {"received_at", iso8601_ms(r.received_at_ms)}};
}

// The commune of a quarantined row's device ("" for a device no longer known).
std::string scope_of(const device_map& devices, const std::string& id) {
    auto d = devices.find(id);
    return d != devices.end() ? d->second.scope : std::string();
}

// The rejection reasons as the wire names them, comma-separated, when `name` is not one of them;
// nothing when it is. proto::reject_reason's numbers run from 1 to its last.
std::optional<std::string> unknown_reason(const std::string& name) {
    std::string all;
    for (auto n = 1; n <= static_cast<int>(proto::last_reject_reason); ++n) {
        const std::string known = proto::to_string(static_cast<proto::reject_reason>(n));
        if (name == known) return std::nullopt;
        all += (all.empty() ? "" : ", ") + known;
    }
    return all;
}

bool known_status(const std::string& status) {
    for (auto s : {quarantine_state::open, quarantine_state::discarded, quarantine_state::released})
        if (status == to_string(s)) return true;
    return status == "all";
}

api_response list_quarantine(server_store& store, const account& who,
                             const std::map<std::string, std::string>& q) {
    auto status = q.count("status") ? q.at("status") : "open";
    if (!known_status(status)) return error(400, "status must be open, discarded, released or all");
    auto p = page_of(q);
    if (!p.problem.empty()) return error(400, p.problem);
    const auto devices = devices_by_id(store);
    auto all = store.quarantine();
    std::erase_if(all, [&](const quarantine_record& r) {
        return (status != "all" && to_string(r.status) != status) ||
               !who.reads(scope_of(devices, r.device_id));
    });
    return paged(all, p, [&](const quarantine_record& r) { return quarantine_json(r, devices); });
}

api_response show_quarantined(server_store& store, const account& who, std::uint64_t id) {
    const auto devices = devices_by_id(store);
    for (const auto& r : store.quarantine()) {
        if (r.id != id) continue;
        const auto scope = scope_of(devices, r.device_id);
        if (!who.reads(scope)) break;
        json values = nullptr;
        if (auto row = store.quarantined_row(id)) {
            values = json::object();
            for (const auto& c : row->cells)
                values[c.column] = to_json(c.val);
            if (row->exists && !row->exists->alive) values = "(the tablet deleted the row)";
        }
        auto j = quarantine_json(r, devices);
        j["commune"] = scope.empty() ? json(nullptr) : json(scope);
        j["values"] = values;
        return {200, text(j)};
    }
    return error(404, "no quarantined row " + std::to_string(id) +
                          "; list the quarantine to find its id");
}

// Discards every open rejection of one device, of one reason, or both (or all): a tablet that
// pushed a thousand rows of reference data is cleaned up in one step.
api_response discard_many(server_store& store, auth_store& auth, const account& who,
                          const std::string& body) {
    json req = json::parse(body.empty() ? "{}" : body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body must be a JSON object");
    std::string device_id, reason;
    for (auto bad : {field(req, "device_id", device_id, "a device id string"),
                     field(req, "reason", reason, "a reason such as global_table")})
        if (bad) return error(400, *bad);
    if (!reason.empty())
        if (auto reasons = unknown_reason(reason))
            return error(400, "no rejection reason " + reason + "; the reasons are " + *reasons);
    json ids = json::array();
    for (const auto& r : store.quarantine()) {
        if (r.status != quarantine_state::open) continue;
        if (!device_id.empty() && r.device_id != device_id) continue;
        if (!reason.empty() && proto::to_string(r.reason) != reason) continue;
        if (store.discard_quarantined(r.id).status == server_store::quarantine_status::done)
            ids.push_back(r.id);
    }
    auth.record(who.name, "discard", "quarantine (" + std::to_string(ids.size()) + " rows)",
                (device_id.empty() ? "" : "device " + device_id + " ") +
                    (reason.empty() ? "" : "reason " + reason));
    return {200, text(json{{"discarded", ids.size()}, {"ids", ids}})};
}

api_response quarantine_action(server_store& store, auth_store& auth, const account& who,
                               std::uint64_t id, bool release) {
    auto r = release ? store.release_quarantined(id) : store.discard_quarantined(id);
    using qs = server_store::quarantine_status;
    switch (r.status) {
    case qs::done:
        auth.record(who.name, release ? "release" : "discard", "quarantine " + std::to_string(id));
        return {200, text(json{{"id", id}, {"status", release ? "released" : "discarded"}})};
    case qs::not_found:
        return error(404, r.message);
    default:
        return error(409, r.message);
    }
}

// Rows larger than a push may make one now; those a pull passes over first (`pulled` false).
api_response oversized_list(server_store& store, const account& who) {
    json out = json::array();
    for (const auto& r : store.oversized_rows()) {
        const auto* scope = std::get_if<std::string>(&r.scope);
        if (!who.communes.empty() && (!scope || !who.reads(*scope))) continue;
        out.push_back({{"table", r.table},
                       {"id", r.id},
                       {"commune", to_json(r.scope)},
                       {"bytes", r.bytes},
                       {"pulled", r.pulled}});
    }
    std::stable_partition(out.begin(), out.end(), [](const json& j) { return !j["pulled"]; });
    return {200, text(out)};
}

api_response row_history(server_store& store, const account& who,
                         const std::map<std::string, std::string>& q) {
    if (!q.count("row") || q.at("row").empty())
        return error(400, "give the row id, and its table if you know it (?row=ID&table=T)");
    const auto& row = q.at("row");
    // A viewer of some communes reads the rows of global tables and of its communes. Any other
    // row is answered as one that does not exist, in both forms of the request, by the same
    // bytes: the answers do not repeat the id (issue 28, item 9: the search by id alone told
    // "in another commune" from "nowhere" by its message).
    auto readable = [&](const table_def& def) {
        if (who.communes.empty() || !def.scope) return true;
        const auto scope = store.row_scope(def.name, row);
        const auto* code = scope ? std::get_if<std::string>(&*scope) : nullptr;
        return code && who.reads(*code);
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
            out.push_back({{"time", iso8601_ms(*c.resolved_at_ms)},
                           {"device_id", c.resolved_by.value_or("admin")},
                           {"kind", "resolution"},
                           {"column", c.column ? json(*c.column) : json(nullptr)},
                           {"old", nullptr},
                           {"new", c.resolution ? json(*c.resolution) : json(nullptr)},
                           {"conflict_id", c.id}});
    }
    const auto devices = devices_by_id(store);
    for (auto& h : out)
        h["device_name"] = h["device_id"].is_string()
                               ? name_of(devices, h["device_id"].get<std::string>())
                               : json(nullptr);
    std::stable_sort(out.begin(), out.end(),
                     [](const json& a, const json& b) { return a["time"] < b["time"]; });
    return {200, text(out)};
}

// docs/design.md §9 with the rules of criterion19_report.cpp, over the communes `who` reads.
api_response criterion19(server_store& store, const account& who,
                         const std::map<std::string, std::string>& q) {
    std::optional<std::int64_t> year;
    if (q.count("year")) {
        year = whole_number(q.at("year"));
        if (!year) return error(400, "year must be a number such as 2022");
    } else {
        year = default_report_year(store, who);
    }
    if (!year)
        return error(404, std::string("no assessment has been recorded yet") +
                              (who.communes.empty() ? "" : " for your communes") +
                              "; give --year to report on a year anyway");
    const auto geography = q.count("geography") ? q.at("geography") : std::string("historical");
    if (geography != "historical" && geography != "current")
        return error(400, "geography is historical (the map of the year, the default) or current "
                          "(today's units)");
    return {200, text(criterion19_report(store, *year, who, geography == "current"))};
}

} // namespace

namespace {

json account_json(const account& a) {
    return {{"name", a.name},
            {"role", a.role},
            {"communes", a.communes},
            {"disabled", a.disabled},
            {"password", a.has_password},
            {"created_at", iso8601_ms(a.created_at_ms)}};
}

api_response add_account(auth_store& auth, const account& who, const std::string& body) {
    json req = json::parse(body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body must be a JSON object");
    std::string name, role, password;
    for (auto bad : {field(req, "name", name, "a string"), field(req, "role", role, "a string"),
                     field(req, "password", password, "a string")})
        if (bad) return error(400, *bad);
    std::vector<std::string> communes;
    if (req.contains("communes") && !req["communes"].is_null()) {
        if (!req["communes"].is_array())
            return error(400, "\"communes\" must be an array of 5-digit commune codes");
        for (const auto& c : req["communes"]) {
            if (!c.is_string()) return error(400, "each commune is a 5-digit code string");
            communes.push_back(c.get<std::string>());
        }
    }
    try {
        auto token = auth.add_account(name, role, communes, password);
        auth.record(who.name, "account add", name, role + (password.empty() ? "" : ", password"));
        return {201, text(json{{"name", name}, {"role", role}, {"token", token}})};
    } catch (const sync_error& e) {
        return error(e.code() == errc::already_exists ? 409 : 400, e.what());
    }
}

// One request as a handler sees it: who asks, the query, the body, and the part of the path
// its route takes (a device id, an account name, a numeric id).
struct request {
    server_state& state;
    server_store& store;
    auth_store& auth;
    const account& who;
    const std::map<std::string, std::string>& query;
    const std::string& body;
    const std::optional<std::string>& refused_early; // by the HTTP session, before the queue
    std::string name;     // a route of arg::text: the path's text between prefix and suffix;
                          // of arg::table_row: the table
    std::uint64_t id = 0; // a route of arg::id
    std::string row_id;   // a route of arg::table_row: the row's id, after the table
};

// A route's path is PREFIX, or PREFIX ARG SUFFIX with ARG one segment: a number (id), text, or
// two segments TABLE/ID (table_row, with no suffix).
enum class arg { none, id, text, table_row };

// A path is PREFIX, or PREFIX ARG SUFFIX; the first route whose method (nullptr: any) and path
// match answers. A route of any method after one of a given method answers the others.
struct route {
    const char* method;
    const char* prefix;
    arg takes;
    const char* suffix;
    api_response (*handle)(request&);
};

api_response accounts_list(request& r) {
    if (!r.who.is_admin()) return error(403, "only an admin may see the accounts");
    json out = json::array();
    for (const auto& a : r.auth.accounts())
        out.push_back(account_json(a));
    return {200, text(out)};
}

api_response account_disable(request& r) {
    const auto& name = r.name;
    const auto all = r.auth.accounts();
    const auto admins = std::count_if(all.begin(), all.end(),
                                      [](const account& a) { return a.is_admin() && !a.disabled; });
    const bool last_admin = std::any_of(all.begin(), all.end(),
                                        [&](const account& a) {
                                            return a.name == name && a.is_admin() && !a.disabled;
                                        }) &&
                            admins == 1;
    if (last_admin)
        return error(409,
                     "the account " + name + " is the last enabled admin; add another admin first");
    if (!r.auth.disable_account(name))
        return error(404, "no account " + name + "; list accounts to find its name");
    r.auth.record(r.who.name, "account disable", name);
    r.state.console().close_account(name);
    return {200, text(json{{"name", name}, {"disabled", true}})};
}

api_response account_token(request& r) {
    auto token = r.auth.new_token(r.name);
    if (!token) return error(404, "no enabled account " + r.name);
    r.auth.record(r.who.name, "account token", r.name);
    return {200, text(json{{"name", r.name}, {"token", *token}})};
}

api_response account_password(request& r) {
    json req = json::parse(r.body, nullptr, false);
    std::string password;
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body must be a JSON object");
    if (auto bad = field(req, "password", password, "a string")) return error(400, *bad);
    try {
        if (!r.auth.set_password(r.name, password))
            return error(404, "no account " + r.name + "; list accounts to find its name");
    } catch (const sync_error& e) {
        return error(400, e.what());
    }
    r.auth.record(r.who.name, "account passwd", r.name);
    r.state.console().close_account(r.name);
    return {200, text(json{{"name", r.name}})};
}

// The admin log, newest first (?offset=N&limit=N, at most 500 a page).
api_response admin_log(request& r) {
    if (!r.who.is_admin()) return error(403, "only an admin may read the log of admin actions");
    auto p = page_of(r.query);
    if (!p.problem.empty()) return error(400, p.problem);
    json out = json::array();
    for (const auto& e :
         r.store.access().admin_log(static_cast<std::int64_t>(p.offset),
                                    p.limit ? static_cast<std::int64_t>(p.limit) : -1))
        out.push_back({{"id", e.id},
                       {"at", iso8601_ms(e.at_ms)},
                       {"account", e.account},
                       {"action", e.action},
                       {"target", e.target},
                       {"detail", e.detail}});
    return {200, text(out), r.store.access().admin_log_size()};
}

api_response report(request& r) {
    return criterion19(r.store, r.who, r.query);
}

// The report as a file: ?by_commune=1 for a line per commune, ?bom=0 for scripts.
api_response report_file(request& r, bool xlsx) {
    auto a = report(r);
    if (a.status != 200) return a;
    const auto j = json::parse(a.body);
    const auto name = "tieu-chi-19-" + std::to_string(j["year"].get<std::int64_t>());
    if (xlsx)
        return {200, criterion19_xlsx(j), std::nullopt,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                name + ".xlsx"};
    const bool by_commune = r.query.count("by_commune") && r.query.at("by_commune") == "1";
    const bool bom = !r.query.count("bom") || r.query.at("bom") != "0";
    return {200, criterion19_csv(j, bom, by_commune), std::nullopt, "text/csv; charset=utf-8",
            name + (by_commune ? "-xa" : "") + ".csv"};
}

api_response device_token(request& r) {
    auto token = r.auth.replace_device_token(r.name);
    if (!token)
        return error(404, "no enrolled, unrevoked device " + r.name +
                              "; list devices to find its id, or enrol a new one");
    r.auth.record(r.who.name, "device token", r.name);
    r.state.close_device(r.name);
    return {200, text(json{{"device_id", r.name}, {"token", *token}})};
}

// {"wipe": true} also orders its tablet to delete its synced data at its next contact (a lost
// or stolen tablet); without it the tablet keeps its data and its pending writes.
api_response device_revoke(request& r) {
    bool wipe = false;
    if (!r.body.empty()) {
        const json req = json::parse(r.body, nullptr, false);
        if (req.is_discarded() || !req.is_object())
            return error(400, "the request body is empty, or {\"wipe\": true} to have the "
                              "tablet delete its synced data at its next contact");
        if (auto bad = field(req, "wipe", wipe, "true or false")) return error(400, *bad);
    }
    if (!r.auth.revoke(r.name, wipe))
        return error(404, "no device " + r.name + "; list devices to find its id");
    r.auth.record(r.who.name, wipe ? "revoke and wipe" : "revoke", r.name);
    r.state.close_device(r.name);
    return {200, text(json{{"device_id", r.name}, {"revoked", true}, {"wipe", wipe}})};
}

// An officer moved: the device serves another commune from now on (docs/admin.md, "When the
// map changes"). It is disconnected, so an online tablet learns it at once.
api_response device_move(request& r) {
    const json req = json::parse(r.body, nullptr, false);
    std::string commune;
    if (req.is_discarded() || !req.is_object() ||
        field(req, "commune", commune, "a 5-digit commune code string") || commune.empty())
        return error(400, "the request body is {\"commune\": \"CODE\"}, the code of the commune "
                          "the device serves from now on");
    try {
        auto group = r.store.begin();
        const auto before = r.store.move_device(r.name, commune);
        const auto after = r.store.find_device(r.name);
        r.auth.record(r.who.name, "device move", r.name,
                      "scope " + before.scope + " → " + after->scope);
        group->commit();
        r.state.close_device(r.name);
        return {200,
                text(json{{"device_id", r.name}, {"from", before.scope}, {"scope", after->scope}})};
    } catch (const sync_error& e) {
        if (e.code() != errc::refused) throw;
        return error(400, e.what());
    }
}

constexpr route routes[] = {
    {"GET", "/admin/v1/devices", arg::none, "",
     [](request& r) { return list_devices(r.store, r.who, r.query); }},
    {"POST", "/admin/v1/devices", arg::none, "",
     [](request& r) {
         return add_device(r.store, r.auth, r.who, r.body, r.state.config().tls_cert);
     }},
    {"POST", "/admin/v1/devices/", arg::text, "/token", device_token},
    {"POST", "/admin/v1/devices/", arg::text, "/revoke", device_revoke},
    {"POST", "/admin/v1/devices/", arg::text, "/move", device_move},
    {"POST", "/admin/v1/accounts", arg::none, "",
     [](request& r) { return add_account(r.auth, r.who, r.body); }},
    {"GET", "/admin/v1/accounts", arg::none, "", accounts_list},
    {"POST", "/admin/v1/accounts/", arg::text, "/disable", account_disable},
    {"POST", "/admin/v1/accounts/", arg::text, "/token", account_token},
    {"POST", "/admin/v1/accounts/", arg::text, "/password", account_password},
    {"GET", "/admin/v1/log", arg::none, "", admin_log},
    {"GET", "/admin/v1/conflicts", arg::none, "",
     [](request& r) { return list_conflicts(r.store, r.who, r.query); }},
    {"GET", "/admin/v1/conflicts/", arg::id, "",
     [](request& r) { return show_conflict(r.store, r.who, r.id); }},
    {"POST", "/admin/v1/conflicts/resolve", arg::none, "",
     [](request& r) { return resolve_many(r.store, r.auth, r.who, r.body); }},
    {"POST", "/admin/v1/conflicts/", arg::id, "/resolve",
     [](request& r) { return resolve(r.store, r.auth, r.who, r.id, r.body); }},
    {"GET", "/admin/v1/quarantine", arg::none, "",
     [](request& r) { return list_quarantine(r.store, r.who, r.query); }},
    {"POST", "/admin/v1/quarantine/discard", arg::none, "",
     [](request& r) { return discard_many(r.store, r.auth, r.who, r.body); }},
    {"GET", "/admin/v1/quarantine/", arg::id, "",
     [](request& r) { return show_quarantined(r.store, r.who, r.id); }},
    {"POST", "/admin/v1/quarantine/", arg::id, "/discard",
     [](request& r) { return quarantine_action(r.store, r.auth, r.who, r.id, false); }},
    {"POST", "/admin/v1/quarantine/", arg::id, "/release",
     [](request& r) { return quarantine_action(r.store, r.auth, r.who, r.id, true); }},
    {"GET", "/admin/v1/status", arg::none, "",
     [](request& r) { return fleet_status(r.store, r.who, r.query); }},
    {"GET", "/admin/v1/status/communes", arg::none, "",
     [](request& r) { return fleet_by_commune(r.store, r.who, r.query); }},
    {"GET", "/admin/v1/summary", arg::none, "",
     [](request& r) { return attention_summary(r.store, r.who, r.query); }},
    {"POST", "/admin/v1/rows/move", arg::none, "",
     [](request& r) { return rows_move(r.state, r.store, r.auth, r.who, r.body); }},
    {"GET", "/admin/v1/rows/too-large", arg::none, "",
     [](request& r) { return oversized_list(r.store, r.who); }},
    {"GET", "/admin/v1/history", arg::none, "",
     [](request& r) { return row_history(r.store, r.who, r.query); }},
    {"GET", "/admin/v1/reports/criterion19", arg::none, "", report},
    {"GET", "/admin/v1/reports/criterion19.csv", arg::none, "",
     [](request& r) { return report_file(r, false); }},
    {"GET", "/admin/v1/reports/criterion19.xlsx", arg::none, "",
     [](request& r) { return report_file(r, true); }},
    {"GET", "/admin/v1/schema", arg::none, "", [](request& r) { return schema_show(r.store); }},
    {"POST", "/admin/v1/schema", arg::none, "",
     [](request& r) { return schema_apply(r.store, r.auth, r.who, r.body, r.refused_early); }},
    {"GET", "/admin/v1/map/units", arg::none, "",
     [](request& r) { return map_units(r.store, r.query); }},
    {"GET", "/admin/v1/map/changes", arg::none, "",
     [](request& r) { return map_changes(r.store); }},
    {"POST", "/admin/v1/map/changes", arg::none, "",
     [](request& r) { return map_change(r.state, r.store, r.auth, r.who, r.body); }},
    {"GET", "/admin/v1/reference/", arg::text, "",
     [](request& r) { return reference_list(r.store, r.name, r.query); }},
    {"GET", "/admin/v1/reference/", arg::table_row, "",
     [](request& r) { return reference_show(r.store, r.name, r.row_id); }},
    {"PUT", "/admin/v1/reference/", arg::table_row, "",
     [](request& r) {
         return reference_set(r.state, r.store, r.auth, r.who, r.name, r.row_id, r.body);
     }},
    {"DELETE", "/admin/v1/reference/", arg::table_row, "",
     [](request& r) {
         return reference_delete(r.state, r.store, r.auth, r.who, r.name, r.row_id);
     }},
};

// Whether `path` has the route's shape; fills in the part of the path it takes.
bool matches(const route& rt, const std::string& path, request& r) {
    switch (rt.takes) {
    case arg::none:
        return path == rt.prefix;
    case arg::id:
        if (auto id = id_in(path, rt.prefix, rt.suffix)) {
            r.id = *id;
            return true;
        }
        return false;
    case arg::text:
        if (auto name = text_in(path, rt.prefix, rt.suffix)) {
            r.name = std::move(*name);
            return true;
        }
        return false;
    case arg::table_row: {
        if (path.rfind(rt.prefix, 0) != 0) return false;
        const auto slash = path.find('/', std::strlen(rt.prefix));
        if (slash == std::string::npos) return false;
        auto table = text_in(path.substr(0, slash + 1), rt.prefix, "/");
        auto row = text_in(path, path.substr(0, slash + 1), "");
        if (!table || !row) return false;
        r.name = std::move(*table);
        r.row_id = std::move(*row);
        return true;
    }
    }
    return false;
}

} // namespace

api_response handle_admin(server_state& state, server_store& store, auth_store& auth,
                          const account& who, const std::string& method, const std::string& target,
                          const std::string& body,
                          const std::optional<std::string>& refused_early) {
    auto path = target.substr(0, target.find('?'));
    if (method != "GET" && !who.is_admin())
        return error(403,
                     "the account " + who.name + " may only read; ask an admin to make the change");
    std::map<std::string, std::string> q;
    try {
        q = query_of(target);
    } catch (const bad_query& e) {
        return error(400, e.what());
    }
    request r{state, store, auth, who, q, body, refused_early, {}, 0, {}};
    std::string allowed;
    for (const auto& rt : routes) {
        if (!matches(rt, path, r)) continue;
        if (method == rt.method) return rt.handle(r);
        allowed += (allowed.empty() ? "" : " or ") + std::string(rt.method);
    }
    if (!allowed.empty()) return error(405, "use " + allowed + " for " + path);
    return error(404, "no such admin endpoint: " + path);
}

} // namespace noi::server
