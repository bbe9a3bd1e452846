#include "admin_routes.hpp"
#include "admin_handlers.hpp"
#include "api_query.hpp"
#include "map_api.hpp"
#include "reference_api.hpp"
#include "schema_api.hpp"

#include <algorithm>

namespace noi::server {
namespace {

constexpr admin_route routes[] = {
    {"GET", "/admin/v1/devices", access::scoped, devices_list},
    {"POST", "/admin/v1/devices", access::admin, device_add},
    {"GET", "/admin/v1/devices/{}", access::scoped, device_show},
    {"DELETE", "/admin/v1/devices/{}", access::admin, device_delete},
    {"POST", "/admin/v1/devices/{}/token", access::admin, device_token},
    {"POST", "/admin/v1/devices/{}/revoke", access::admin, device_revoke},
    {"POST", "/admin/v1/devices/{}/move", access::admin, device_move},
    {"POST", "/admin/v1/accounts", access::admin, account_add},
    {"GET", "/admin/v1/accounts", access::admin, accounts_list},
    {"POST", "/admin/v1/accounts/{}/disable", access::admin, account_disable},
    {"POST", "/admin/v1/accounts/{}/token", access::admin, account_token},
    {"POST", "/admin/v1/accounts/{}/password", access::admin, account_password},
    {"GET", "/admin/v1/log", access::admin, admin_log},
    {"GET", "/admin/v1/conflicts", access::scoped, conflicts_list},
    {"POST", "/admin/v1/conflicts/resolve", access::admin, conflicts_resolve_device},
    {"GET", "/admin/v1/conflicts/{n}", access::scoped, conflict_show},
    {"POST", "/admin/v1/conflicts/{n}/resolve", access::admin, conflict_resolve},
    {"GET", "/admin/v1/quarantine", access::scoped, quarantine_list},
    {"POST", "/admin/v1/quarantine/discard", access::admin, quarantine_discard_many},
    {"GET", "/admin/v1/quarantine/{n}", access::scoped, quarantine_show},
    {"POST", "/admin/v1/quarantine/{n}/discard", access::admin, quarantine_discard},
    {"POST", "/admin/v1/quarantine/{n}/release", access::admin, quarantine_release},
    {"GET", "/admin/v1/status", access::scoped, fleet_status},
    {"GET", "/admin/v1/status/communes", access::scoped, fleet_by_commune},
    {"GET", "/admin/v1/summary", access::scoped, attention_summary},
    {"GET", "/admin/v1/history", access::scoped, row_history},
    {"GET", "/admin/v1/rows/too-large", access::scoped, rows_too_large},
    {"POST", "/admin/v1/rows/move", access::admin,
     [](admin_request& r) { return rows_move(r.state, r.store, r.auth, *r.admin, r.body); }},
    {"GET", "/admin/v1/reports/criterion19", access::scoped, report_json},
    {"GET", "/admin/v1/reports/criterion19.csv", access::scoped, report_csv},
    {"GET", "/admin/v1/reports/criterion19.xlsx", access::scoped, report_xlsx},
    {"GET", "/admin/v1/schema", access::reader,
     [](admin_request& r) { return schema_show(r.store); }},
    {"POST", "/admin/v1/schema", access::admin,
     [](admin_request& r) {
         return schema_apply(r.store, r.auth, *r.admin, r.body, r.refused_early);
     }},
    {"GET", "/admin/v1/map/units", access::reader,
     [](admin_request& r) { return map_units(r.store, r.q); }},
    {"GET", "/admin/v1/map/changes", access::reader,
     [](admin_request& r) { return map_changes(r.store); }},
    {"POST", "/admin/v1/map/changes", access::admin,
     [](admin_request& r) { return map_change(r.state, r.store, r.auth, *r.admin, r.body); }},
    {"GET", "/admin/v1/reference/{}", access::reader,
     [](admin_request& r) { return reference_list(r.store, r.args[0], r.q); }},
    {"GET", "/admin/v1/reference/{}/{}", access::reader,
     [](admin_request& r) { return reference_show(r.store, r.args[0], r.args[1]); }},
    {"PUT", "/admin/v1/reference/{}/{}", access::admin,
     [](admin_request& r) {
         return reference_set(r.state, r.store, r.auth, *r.admin, r.args[0], r.args[1], r.body);
     }},
    {"DELETE", "/admin/v1/reference/{}/{}", access::admin,
     [](admin_request& r) {
         return reference_delete(r.state, r.store, r.auth, *r.admin, r.args[0], r.args[1]);
     }},
};

// The next segment of `s` after a leading '/', and the rest after it; nullopt at the end.
std::optional<std::string_view> next_segment(std::string_view& s) {
    if (s.empty() || s.front() != '/') return std::nullopt;
    s.remove_prefix(1);
    const auto end = std::min(s.find('/'), s.size());
    const auto seg = s.substr(0, end);
    s.remove_prefix(end);
    return seg;
}

// Whether `path` has the route's shape, segment by segment; its captures when it has.
std::optional<std::vector<std::string>> captures(std::string_view pattern, std::string_view path) {
    std::vector<std::string> out;
    for (;;) {
        const auto want = next_segment(pattern);
        const auto got = next_segment(path);
        if (!want || !got) {
            if (want || got) return std::nullopt;
            return out;
        }
        if (*want != "{}" && *want != "{n}") {
            if (*want != *got) return std::nullopt;
            continue;
        }
        // noi-admin encodes every segment: an account name may hold '@', a row id a space.
        auto text = got->empty() ? std::nullopt : percent_decoded(std::string(*got), false);
        if (!text || text->find('/') != std::string::npos) return std::nullopt;
        if (*want == "{n}" &&
            (text->size() > 18 || text->find_first_not_of("0123456789") != std::string::npos))
            return std::nullopt;
        out.push_back(std::move(*text));
    }
}

} // namespace

bool commune_scope::reads(const std::string& unit) const {
    return communes.empty() || std::find(communes.begin(), communes.end(), unit) != communes.end();
}

std::span<const admin_route> admin_routes() {
    return routes;
}

route_match match_route(std::string_view method, std::string_view path) {
    route_match m;
    for (const auto& rt : routes) {
        auto args = captures(rt.path, path);
        if (!args) continue;
        if (method == rt.method) {
            m.route = &rt;
            m.args = std::move(*args);
            return m;
        }
        if (m.allowed.find(rt.method) == std::string::npos)
            m.allowed += (m.allowed.empty() ? "" : " or ") + std::string(rt.method);
    }
    return m;
}

api_response handle_admin(server_state& state, server_store& store, auth_store& auth,
                          const account& who, const std::string& method, const std::string& target,
                          const std::string& body,
                          const std::optional<std::string>& refused_early) {
    const auto path = target.substr(0, target.find('?'));
    auto m = match_route(method, path);
    if (!m.route) {
        if (!m.allowed.empty()) return error(405, "use " + m.allowed + " for " + path);
        return error(404, "no such admin endpoint: " + path);
    }
    if (m.route->who == access::admin && !who.is_admin())
        return error(403, method == "GET" ? "only an admin may read " + path
                                          : "the account " + who.name +
                                                " may only read; ask an admin to make the change");
    query q;
    try {
        q = query_of(target);
    } catch (const bad_query& e) {
        return error(400, e.what());
    }
    admin_request r{state,
                    store,
                    auth,
                    m.route->who == access::admin ? &who : nullptr,
                    {m.route->who == access::scoped ? who.communes : std::vector<std::string>{}},
                    q,
                    body,
                    refused_early,
                    std::move(m.args)};
    return m.route->handle(r);
}

} // namespace noi::server
