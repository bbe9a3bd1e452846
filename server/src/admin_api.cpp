#include "admin_api.hpp"

#include <noi/sync/error.hpp>

#include <nlohmann/json.hpp>

namespace noi::server {
namespace {

using json = nlohmann::json;

api_response error(unsigned status, const std::string& message) { return {status, json{{"error", message}}.dump()}; }

json time_or_null(const statement& st, int col) {
    if (st.column_is_null(col)) return nullptr;
    return iso8601_ms(st.column_int(col));
}

api_response list_devices(server_store& store) {
    auto st = store.rep().db().prepare(
        "SELECT device_id, scope, name, last_sync_at, revoked FROM noi_devices ORDER BY created_at, device_id");
    json out = json::array();
    while (st.step())
        out.push_back({{"device_id", st.column_text(0)},
                       {"scope", st.column_text(1)},
                       {"name", st.column_text(2)},
                       {"last_sync_at", time_or_null(st, 3)},
                       {"revoked", st.column_int(4) != 0}});
    return {200, out.dump()};
}

api_response add_device(auth_store& auth, const std::string& body) {
    json req = json::parse(body, nullptr, false);
    if (req.is_discarded() || !req.is_object()) return error(400, "the request body must be a JSON object");
    std::string name = req.value("name", "");
    std::string scope;
    if (req.contains("commune")) {
        if (!req["commune"].is_string()) return error(400, "\"commune\" must be a 5-digit commune code string");
        scope = req["commune"].get<std::string>();
    } else if (req.value("province", false)) {
        scope = "*";
    } else {
        return error(400, "say which commune the device is for (\"commune\") or that it is province-wide (\"province\": true)");
    }
    try {
        auto e = auth.enrol(scope, name);
        return {201, json{{"device_id", e.dev.id}, {"token", e.token}, {"scope", e.dev.scope}, {"name", e.dev.name}}.dump()};
    } catch (const sync_error& e) {
        return error(e.code() == errc::refused ? 400 : 500, e.what());
    }
}

} // namespace

api_response handle_admin(server_state& state, server_store& store, auth_store& auth, const std::string& method,
                          const std::string& target, const std::string& body) {
    const std::string prefix = "/admin/v1/devices";
    auto path = target.substr(0, target.find('?'));
    if (path == prefix) {
        if (method == "GET") return list_devices(store);
        if (method == "POST") return add_device(auth, body);
        return error(405, "use GET to list devices or POST to enrol one");
    }
    const std::string revoke_suffix = "/revoke";
    if (path.rfind(prefix + "/", 0) == 0 && path.size() > prefix.size() + revoke_suffix.size() + 1 &&
        path.compare(path.size() - revoke_suffix.size(), revoke_suffix.size(), revoke_suffix) == 0) {
        if (method != "POST") return error(405, "use POST to revoke a device");
        auto id = path.substr(prefix.size() + 1, path.size() - prefix.size() - 1 - revoke_suffix.size());
        if (!auth.revoke(id)) return error(404, "no device " + id + "; list devices to find its id");
        state.close_device(id);
        return {200, json{{"device_id", id}, {"revoked", true}}.dump()};
    }
    return error(404, "no such admin endpoint: " + path);
}

} // namespace noi::server
