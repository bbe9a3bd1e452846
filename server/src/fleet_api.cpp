#include "admin_handlers.hpp"
#include "api_query.hpp"

#include <algorithm>
#include <cstdlib>

namespace noi::server {
namespace {

// A tablet clock further off than this is worth an officer's visit: the server's stamp bound
// (10 minutes) refuses its pushes until it re-stamps.
constexpr std::int64_t clock_alert_ms = 10 * 60 * 1000;
constexpr std::int64_t day_ms = 86'400'000;

struct fleet_options {
    std::int64_t silent_days = 7, piling_days = 2;
    std::string problem;
};

fleet_options options_of(const query& q) {
    fleet_options o;
    auto days = [&](const char* name, std::int64_t& out) {
        if (!q.count(name)) return;
        auto n = whole_number(q.at(name));
        if (!n || *n < 1 || *n > 3650)
            o.problem = std::string(name) + " must be a whole number of days from 1 to 3650";
        else
            out = *n;
    };
    days("silent_days", o.silent_days);
    days("piling_days", o.piling_days);
    return o;
}

// Every device of the communes the reader sees, as the status shows it.
std::vector<json> fleet_rows(server_store& store, const commune_scope& scope,
                             const fleet_options& o) {
    const auto now = store.now_ms();
    const auto schema_version = store.schema_version();
    std::vector<json> out;
    auto number = [](const std::optional<std::int64_t>& n) { return n ? json(*n) : json(nullptr); };
    for (const auto& s : store.device_statuses()) {
        if (!scope.reads(s.dev.scope)) continue;
        const bool revoked = s.dev.revoked;
        // A revoked device is expected to fall silent and its replica no longer matters. One
        // that never made contact is silent once the threshold has passed since its enrolment:
        // a tablet enrolled a minute ago has not yet had the time to sync (issue 28).
        const bool silent = !revoked && now - s.last_contact_at_ms.value_or(s.created_at_ms) >
                                            o.silent_days * day_ms;
        // What a cron job should hear about (noi-admin status --fail-if-any). Of a revoked
        // device, only that its token is still being presented (a tablet carrying out its
        // wipe is not refused, so it does not count).
        json alerts = json::array();
        if (revoked) {
            if (s.refused_at_ms &&
                (!s.last_contact_at_ms || *s.refused_at_ms > *s.last_contact_at_ms))
                alerts.push_back("revoked_connecting");
        } else {
            if (silent) alerts.push_back("silent");
            if (s.schema_version && *s.schema_version < schema_version)
                alerts.push_back("behind_schema");
            if (s.clock_skew_ms && std::abs(*s.clock_skew_ms) > clock_alert_ms)
                alerts.push_back("clock_wrong");
        }
        // Writes a round left behind (refused, or the link cut) and old enough that the
        // tablet is not merely between rounds.
        const bool piling_up = !revoked && s.pending && *s.pending > 0 && s.oldest_pending_at_ms &&
                               now - *s.oldest_pending_at_ms > o.piling_days * day_ms;
        const bool province = s.dev.scope == "*";
        out.push_back(
            {{"device_id", s.dev.id},
             {"scope", s.dev.scope},
             {"commune_name", s.commune_name.empty() && province ? "toàn tỉnh" : s.commune_name},
             {"name", s.dev.name},
             {"last_contact_at", time_or_null(s.last_contact_at_ms)},
             {"last_sync_at", time_or_null(s.last_sync_at_ms)},
             {"pending", number(s.pending)},
             {"oldest_pending_at", time_or_null(s.oldest_pending_at_ms)},
             {"rejected", s.rejected_open},
             {"clock_skew_ms", number(s.clock_skew_ms)},
             {"app_version", s.app_version ? json(*s.app_version) : json(nullptr)},
             {"schema_version", number(s.schema_version)},
             {"revoked", revoked},
             {"wipe_ordered_at", time_or_null(s.dev.wipe_ordered_at_ms)},
             {"wiped_at", time_or_null(s.dev.wiped_at_ms)},
             {"refused_at", time_or_null(s.refused_at_ms)},
             {"silent", silent},
             {"piling_up", piling_up},
             {"alerts", alerts}});
    }
    return out;
}

bool has_flag(const json& row, const std::string& flag) {
    if (flag == "piling_up" || flag == "revoked") return row[flag].get<bool>();
    const auto& a = row["alerts"];
    return std::find(a.begin(), a.end(), flag) != a.end();
}

const char* const sort_fields[] = {
    "device_id",       "scope",        "commune_name",   "name",
    "last_contact_at", "last_sync_at", "pending",        "oldest_pending_at",
    "clock_skew_ms",   "app_version",  "schema_version", "rejected"};

} // namespace

api_response fleet_status(admin_request& r) {
    const auto& q = r.q;
    auto o = options_of(q);
    if (!o.problem.empty()) return error(400, o.problem);
    auto p = page_of(q);
    if (!p.problem.empty()) return error(400, p.problem);
    auto rows = fleet_rows(r.store, r.scope, o);
    if (q.count("flag")) {
        const auto& f = q.at("flag");
        static const char* const flags[] = {"silent",      "revoked_connecting", "behind_schema",
                                            "clock_wrong", "piling_up",          "revoked"};
        if (std::none_of(std::begin(flags), std::end(flags), [&](const char* x) { return f == x; }))
            return error(400, "flag must be silent, revoked_connecting, behind_schema, "
                              "clock_wrong, piling_up or revoked");
        std::erase_if(rows, [&](const json& row) { return !has_flag(row, f); });
    }
    if (q.count("commune"))
        std::erase_if(rows, [&](const json& row) { return row["scope"] != q.at("commune"); });
    if (q.count("name"))
        std::erase_if(rows, [&](const json& row) {
            return !contains_text(row["name"].get<std::string>(), q.at("name"));
        });
    if (q.count("sort")) {
        std::string field = q.at("sort");
        const bool descending = !field.empty() && field[0] == '-';
        if (descending) field.erase(0, 1);
        if (std::none_of(std::begin(sort_fields), std::end(sort_fields),
                         [&](const char* x) { return field == x; }))
            return error(400, "sort by one of the status's fields, such as last_contact_at or "
                              "-pending (a '-' sorts from the largest)");
        // Nulls (never heard from) come last either way: they are what an admin looks for.
        std::stable_sort(rows.begin(), rows.end(), [&](const json& a, const json& b) {
            const auto &x = a[field], &y = b[field];
            if (x.is_null() != y.is_null()) return y.is_null();
            return descending ? y < x : x < y;
        });
    }
    return paged(rows, p, [](const json& row) { return row; });
}

api_response fleet_by_commune(admin_request& r) {
    auto o = options_of(r.q);
    if (!o.problem.empty()) return error(400, o.problem);
    std::map<std::string, json> by;
    for (const auto& row : fleet_rows(r.store, r.scope, o)) {
        auto& c = by[row["scope"].get<std::string>()];
        if (c.is_null())
            c = {{"scope", row["scope"]}, {"commune_name", row["commune_name"]},
                 {"devices", 0},          {"revoked", 0},
                 {"silent", 0},           {"piling_up", 0},
                 {"pending", 0},          {"last_contact_at", nullptr}};
        c["devices"] = c["devices"].get<int>() + 1;
        for (const char* flag : {"revoked", "silent", "piling_up"})
            if (row[flag].get<bool>()) c[flag] = c[flag].get<int>() + 1;
        if (row["pending"].is_number())
            c["pending"] = c["pending"].get<std::int64_t>() + row["pending"].get<std::int64_t>();
        if (row["last_contact_at"].is_string() &&
            (c["last_contact_at"].is_null() || c["last_contact_at"] < row["last_contact_at"]))
            c["last_contact_at"] = row["last_contact_at"];
    }
    json out = json::array();
    for (auto& [scope, c] : by)
        out.push_back(std::move(c));
    return {200, text(out), static_cast<std::int64_t>(out.size())};
}

api_response attention_summary(admin_request& r) {
    auto& store = r.store;
    auto o = options_of(r.q);
    if (!o.problem.empty()) return error(400, o.problem);
    json counts{{"devices", 0},     {"silent", 0},        {"piling_up", 0},
                {"clock_wrong", 0}, {"behind_schema", 0}, {"revoked_connecting", 0}};
    for (const auto& row : fleet_rows(store, r.scope, o)) {
        if (!row["revoked"].get<bool>()) counts["devices"] = counts["devices"].get<int>() + 1;
        for (const char* flag :
             {"silent", "piling_up", "clock_wrong", "behind_schema", "revoked_connecting"})
            if (has_flag(row, flag)) counts[flag] = counts[flag].get<int>() + 1;
    }
    const auto conflicts =
        store.count_conflicts({.status = conflict_status::open, .scopes = r.scope.communes});
    std::int64_t quarantined = 0;
    std::map<std::string, std::string> scope_of;
    for (const auto& d : store.devices())
        scope_of[d.id] = d.scope;
    for (const auto& e : store.quarantine())
        quarantined += e.status == quarantine_state::open && r.scope.reads(scope_of[e.device_id]);
    counts["conflicts_open"] = conflicts;
    counts["quarantined_open"] = quarantined;
    return {200, text(counts)};
}

} // namespace noi::server
