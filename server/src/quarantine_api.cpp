// /admin/v1/quarantine: rows the server refused, kept for an admin to discard or release.
#include "admin_handlers.hpp"
#include "api_query.hpp"
#include "cell_json.hpp"
#include "device_names.hpp"

namespace noi::server {
namespace {

// What list and show both say of a quarantined row.
json quarantine_json(const quarantine_record& r, const device_map& devices) {
    return {{"id", r.id},
            {"device_id", r.device_id},
            {"device_name", name_of(devices, r.device_id)},
            {"repeats", r.repeats},
            {"table", r.table},
            {"row_id", r.row_id},
            {"reason", proto::to_string(r.reason)},
            {"reason_text", both(reason_summary(proto::to_string(r.reason)))},
            {"message", r.message},
            {"message_text", both(in_both(r.message))},
            {"status", to_string(r.status)},
            {"received_at", iso8601_ms(r.received_at_ms)}};
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

api_response decide(admin_request& r, bool release) {
    const auto id = r.number(0);
    const auto done = release ? r.store.release_quarantined(id) : r.store.discard_quarantined(id);
    using qs = server_store::quarantine_status;
    switch (done.status) {
    case qs::done:
        r.auth.record(r.admin_name(), release ? "release" : "discard",
                      "quarantine " + std::to_string(id));
        return {200, text(json{{"id", id}, {"status", release ? "released" : "discarded"}})};
    case qs::not_found:
        return error(404, done.message);
    default:
        return error(409, done.message);
    }
}

} // namespace

api_response quarantine_list(admin_request& r) {
    auto& store = r.store;
    const auto& q = r.q;
    auto status = q.count("status") ? q.at("status") : "open";
    if (!known_status(status)) return error(400, "status must be open, discarded, released or all");
    auto p = page_of(q);
    if (!p.problem.empty()) return error(400, p.problem);
    const auto devices = devices_by_id(store);
    auto all = store.quarantine();
    std::erase_if(all, [&](const quarantine_record& e) {
        return (status != "all" && to_string(e.status) != status) ||
               !r.scope.reads(scope_of(devices, e.device_id));
    });
    return paged(all, p, [&](const quarantine_record& e) { return quarantine_json(e, devices); });
}

api_response quarantine_show(admin_request& r) {
    auto& store = r.store;
    const auto id = r.number(0);
    const auto devices = devices_by_id(store);
    for (const auto& e : store.quarantine()) {
        if (e.id != id) continue;
        const auto scope = scope_of(devices, e.device_id);
        if (!r.scope.reads(scope)) break;
        json values = nullptr;
        if (auto row = store.quarantined_row(id)) {
            values = json::object();
            for (const auto& c : row->cells)
                values[c.column] = to_json(c.val);
            if (row->exists && !row->exists->alive) values = "(the tablet deleted the row)";
        }
        auto j = quarantine_json(e, devices);
        j["commune"] = scope.empty() ? json(nullptr) : json(scope);
        j["values"] = values;
        return {200, text(j)};
    }
    return error(404, "no quarantined row " + std::to_string(id) +
                          "; list the quarantine to find its id");
}

// Discards every open rejection of one device, of one reason, or both (or all): a tablet that
// pushed a thousand rows of reference data is cleaned up in one step.
api_response quarantine_discard_many(admin_request& r) {
    auto& store = r.store;
    json req = json::parse(r.body.empty() ? "{}" : r.body, nullptr, false);
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
    for (const auto& e : store.quarantine()) {
        if (e.status != quarantine_state::open) continue;
        if (!device_id.empty() && e.device_id != device_id) continue;
        if (!reason.empty() && proto::to_string(e.reason) != reason) continue;
        if (store.discard_quarantined(e.id).status == server_store::quarantine_status::done)
            ids.push_back(e.id);
    }
    r.auth.record(r.admin_name(), "discard", "quarantine (" + std::to_string(ids.size()) + " rows)",
                  (device_id.empty() ? "" : "device " + device_id + " ") +
                      (reason.empty() ? "" : "reason " + reason));
    return {200, text(json{{"discarded", ids.size()}, {"ids", ids}})};
}

api_response quarantine_discard(admin_request& r) {
    return decide(r, false);
}

api_response quarantine_release(admin_request& r) {
    return decide(r, true);
}

} // namespace noi::server
