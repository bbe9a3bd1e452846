// /admin/v1/devices: the fleet's tablets, enrolled, given new tokens, revoked and moved.
#include "admin_handlers.hpp"
#include "api_query.hpp"
#include "qr_code.hpp"

#include <noi/beast/certificate_pin.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/server_address.hpp>
#include <noi/sync/unicode_text.hpp>

#include <algorithm>

namespace noi::server {
namespace {

// What the list and one device's answer both say of it.
json device_json(const device_status& s) {
    return {{"device_id", s.dev.id},
            {"scope", s.dev.scope},
            {"name", s.dev.name},
            {"last_sync_at", time_or_null(s.last_sync_at_ms)},
            {"revoked", s.dev.revoked},
            {"wipe_ordered_at", time_or_null(s.dev.wipe_ordered_at_ms)},
            {"wiped_at", time_or_null(s.dev.wiped_at_ms)}};
}

} // namespace

api_response devices_list(admin_request& r) {
    const auto& q = r.q;
    auto all = r.store.device_statuses();
    std::stable_sort(all.begin(), all.end(), [](const device_status& a, const device_status& b) {
        return std::tie(a.created_at_ms, a.dev.id) < std::tie(b.created_at_ms, b.dev.id);
    });
    auto p = page_of(q);
    if (!p.problem.empty()) return error(400, p.problem);
    std::erase_if(all, [&](const device_status& s) {
        return !r.scope.reads(s.dev.scope) ||
               (q.count("name") && !contains_text(s.dev.name, q.at("name")));
    });
    return paged(all, p, device_json);
}

// One device as the list shows it, with its enrolment, its last contact, and what waits on it:
// its open rejected rows and the open conflicts its pushes made. A device of a commune the
// reader does not see is answered as one that does not exist.
api_response device_show(admin_request& r) {
    const auto& id = r.args.at(0);
    for (const auto& s : r.store.device_statuses()) {
        if (s.dev.id != id) continue;
        if (!r.scope.reads(s.dev.scope)) break;
        auto j = device_json(s);
        j["commune_name"] = text_or_null(s.commune_name);
        j["created_at"] = iso8601_ms(s.created_at_ms);
        j["last_contact_at"] = time_or_null(s.last_contact_at_ms);
        j["app_version"] = s.app_version ? json(*s.app_version) : json(nullptr);
        j["rejected_open"] = s.rejected_open;
        j["conflicts_open"] = r.store.count_conflicts(
            {.status = conflict_status::open, .scopes = r.scope.communes, .device_id = id});
        return {200, text(j)};
    }
    // The same bytes for a device of another commune and for none: the answer does not repeat
    // the id.
    return error(404, "no such device; list devices to find its id");
}

api_response device_add(admin_request& r) {
    auto& store = r.store;
    const auto& tls_cert = r.state.config().tls_cert;
    json req = json::parse(r.body, nullptr, false);
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
        auto e = r.auth.enrol(scope, name);
        r.auth.record(r.admin_name(), "enrol", e.dev.id, "scope " + e.dev.scope);
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

api_response device_token(admin_request& r) {
    const auto& id = r.args.at(0);
    auto token = r.auth.replace_device_token(id);
    if (!token)
        return error(404, "no enrolled, unrevoked device " + id +
                              "; list devices to find its id, or enrol a new one");
    r.auth.record(r.admin_name(), "device token", id);
    r.state.close_device(id);
    return {200, text(json{{"device_id", id}, {"token", *token}})};
}

// {"wipe": true} also orders its tablet to delete its synced data at its next contact (a lost
// or stolen tablet); without it the tablet keeps its data and its pending writes.
api_response device_revoke(admin_request& r) {
    const auto& id = r.args.at(0);
    bool wipe = false;
    if (!r.body.empty()) {
        const json req = json::parse(r.body, nullptr, false);
        if (req.is_discarded() || !req.is_object())
            return error(400, "the request body is empty, or {\"wipe\": true} to have the "
                              "tablet delete its synced data at its next contact");
        if (auto bad = field(req, "wipe", wipe, "true or false")) return error(400, *bad);
    }
    if (!r.auth.revoke(id, wipe))
        return error(404, "no device " + id + "; list devices to find its id");
    r.auth.record(r.admin_name(), wipe ? "revoke and wipe" : "revoke", id);
    r.state.close_device(id);
    return {200, text(json{{"device_id", id}, {"revoked", true}, {"wipe", wipe}})};
}

// An officer moved: the device serves another commune from now on (docs/admin.md, "When the
// map changes"). It is disconnected, so an online tablet learns it at once.
api_response device_move(admin_request& r) {
    const auto& id = r.args.at(0);
    const json req = json::parse(r.body, nullptr, false);
    std::string commune;
    if (req.is_discarded() || !req.is_object() ||
        field(req, "commune", commune, "a 5-digit commune code string") || commune.empty())
        return error(400, "the request body is {\"commune\": \"CODE\"}, the code of the commune "
                          "the device serves from now on");
    try {
        auto group = r.store.begin();
        const auto before = r.store.move_device(id, commune);
        const auto after = r.store.find_device(id);
        r.auth.record(r.admin_name(), "device move", id,
                      "scope " + before.scope + " → " + after->scope);
        group->commit();
        r.state.close_device(id);
        return {200,
                text(json{{"device_id", id}, {"from", before.scope}, {"scope", after->scope}})};
    } catch (const sync_error& e) {
        if (e.code() != errc::refused) throw;
        return error(400, e.what());
    }
}

// A device enrolled by mistake that never synced goes, with its tokens, on the admin log; one
// that synced stays on record (revoke it).
api_response device_delete(admin_request& r) {
    const auto& id = r.args.at(0);
    auto group = r.store.begin();
    const auto d = r.store.find_device(id);
    switch (r.store.remove_unsynced_device(id)) {
    case server_store::removal::not_found:
        return error(404, "no device " + id + "; list devices to find its id");
    case server_store::removal::synced:
        return error(409, "device " + id +
                              " has synced: what it sent is on record, so it "
                              "stays; revoke it instead");
    case server_store::removal::removed:
        break;
    }
    r.auth.record(r.admin_name(), "device delete", id,
                  "scope " + d->scope + (d->name.empty() ? "" : ", " + d->name) + ", never synced");
    group->commit();
    r.state.close_device(id);
    return {200, text(json{{"device_id", id}, {"deleted", true}})};
}

} // namespace noi::server
