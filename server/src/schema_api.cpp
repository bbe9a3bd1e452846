// Schema versions as JSON: {"version": N, "tables": [{"name", "scope", "columns": [{"name",
// "type"}]}]}, and the history of published versions.
#include "schema_api.hpp"
#include "api_reply.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/hlc.hpp>
#include <noi/sync/schema_change.hpp>

namespace noi::server {
namespace {

json schema_json(const schema& s) {
    json tables = json::array();
    for (const auto& t : specs_of(s)) {
        json columns = json::array();
        for (const auto& c : t.columns)
            columns.push_back({{"name", c.name}, {"type", c.type}});
        tables.push_back({{"name", t.name},
                          {"scope", t.scope.empty() ? json(nullptr) : json(t.scope)},
                          {"columns", columns}});
    }
    return {{"version", s.version}, {"tables", tables}};
}

// The specs a request's "tables" holds, or the reason they are not well formed.
std::optional<std::string> specs_from(const json& tables, std::vector<proto::table_spec>& out) {
    if (!tables.is_array()) return "\"tables\" must be an array of tables";
    for (const auto& t : tables) {
        if (!t.is_object() || !t.contains("name") || !t["name"].is_string())
            return "each table is an object with a \"name\" string";
        proto::table_spec spec{t["name"].get<std::string>(), {}, {}};
        const auto where = "table " + spec.name + ": ";
        if (t.contains("scope") && !t["scope"].is_null()) {
            if (!t["scope"].is_string()) return where + "\"scope\" is \"commune_code\" or null";
            spec.scope = t["scope"].get<std::string>();
        }
        if (!t.contains("columns") || !t["columns"].is_array())
            return where + "\"columns\" must be an array of {\"name\", \"type\"}";
        for (const auto& c : t["columns"]) {
            if (!c.is_object() || !c.contains("name") || !c["name"].is_string() ||
                !c.contains("type") || !c["type"].is_string())
                return where + "each column is an object with \"name\" and \"type\" strings";
            if (c.contains("not_null") && c["not_null"] == true)
                return where + "column " + c["name"].get<std::string>() +
                       " cannot be NOT NULL: tablets of older versions never write it";
            spec.columns.push_back({c["name"].get<std::string>(), c["type"].get<std::string>()});
        }
        out.push_back(std::move(spec));
    }
    return std::nullopt;
}

} // namespace

api_response schema_show(server_store& store) {
    auto out = schema_json(store.current_schema());
    json history = json::array();
    for (const auto& h : store.schema_history())
        history.push_back({{"version", h.version},
                           {"applied_at", iso8601_ms(h.applied_at_ms)},
                           {"applied_by", h.applied_by},
                           {"changes", h.changes}});
    out["history"] = history;
    return {200, text(out)};
}

api_response schema_apply(server_store& store, auth_store& auth, const account& who,
                          const std::string& body) {
    json req = json::parse(body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return error(400, "the schema must be a JSON object, as noi-admin schema show --json "
                          "prints it");
    const auto stays = "; the schema stays at version " + std::to_string(store.schema_version());
    if (!req.contains("version") || !req["version"].is_number_unsigned() ||
        req["version"].get<std::uint64_t>() > 0xffffffffu)
        return error(400, "\"version\" must be a whole number: the current version + 1" + stays);
    std::vector<proto::table_spec> specs;
    if (auto bad = specs_from(req.contains("tables") ? req["tables"] : json(), specs))
        return error(400, *bad + stays);
    try {
        auto next = schema_of(req["version"].get<std::uint32_t>(), specs);
        auto rec = store.apply_schema(next, who.name);
        auth.record(who.name, "schema apply", std::to_string(rec.version), rec.changes);
        auto out = schema_json(store.current_schema());
        out["changes"] = rec.changes;
        return {200, text(out)};
    } catch (const sync_error& e) {
        if (e.code() != errc::schema) throw;
        return error(400, e.what() + stays);
    }
}

} // namespace noi::server
