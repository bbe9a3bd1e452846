// Schema versions as JSON: {"version": N, "tables": [{"name", "scope", "label", "columns":
// [{"name", "type", "label", "values"}]}]} (labels as schema_labels_json.hpp writes them), and
// the history of published versions.
#include "schema_api.hpp"
#include "api_reply.hpp"

#include <noi/protocol/codec.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/hlc.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/schema_labels_json.hpp>

#include <limits>
#include <variant>

namespace noi::server {
namespace {

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

// The size of the WELCOME that brings `s` to a tablet behind it, with no rejection and the
// largest numbers: what the schema alone asks of the tablet's decoder.
std::size_t welcome_bytes(const schema& s, const schema_labels& labels) {
    constexpr auto most = std::numeric_limits<std::uint64_t>::max();
    proto::welcome w;
    w.clock_ms = most;
    w.scope = "00000";
    w.acked_seq = most;
    w.schema_version = s.version;
    w.schema = proto::schema_offer{most, specs_of(s), labels.entries()};
    return proto::encode(w).size();
}

// The tables and columns a person would read by their names: "table" or "table.column".
json unlabelled(const schema& s, const schema_labels& labels) {
    json out = json::array();
    for (const auto& t : s.tables) {
        if (!labels.table(t.name)) out.push_back(t.name);
        for (const auto& c : t.columns)
            if (!labels.column(t.name, c.name)) out.push_back(t.name + "." + c.name);
    }
    return out;
}

// Why a schema with these labels is refused, if it is.
std::optional<std::string> label_refusal(const schema_labels& carried) {
    if (carried.entries().size() <= max_schema_labels) return std::nullopt;
    return "the schema would carry " + std::to_string(carried.entries().size()) +
           " labels; a schema carries at most " + std::to_string(max_schema_labels) +
           " (max_schema_labels), so that every tablet can take them";
}

struct requested_schema {
    schema tables;
    schema_labels labels;
};

// The schema a request to publish one describes, with its labels, or why it is refused
// whatever the store holds.
std::variant<requested_schema, std::string> schema_requested(const std::string& body) {
    json req = json::parse(body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return "the schema must be a JSON object, as noi-admin schema show --json prints it";
    if (!req.contains("version") || !req["version"].is_number_unsigned() ||
        req["version"].get<std::uint64_t>() > 0xffffffffu)
        return "\"version\" must be a whole number: the current version + 1";
    const json none;
    const json& tables = req.contains("tables") ? req["tables"] : none;
    if (tables.is_array() && tables.size() > max_schema_tables)
        return "the schema lists " + std::to_string(tables.size()) + " tables; a schema holds at " +
               "most " + std::to_string(max_schema_tables) +
               " (max_schema_tables), so that every tablet can take it";
    std::vector<proto::table_spec> specs;
    if (auto bad = specs_from(tables, specs)) return *bad;
    try {
        auto next = schema_of(req["version"].get<std::uint32_t>(), specs);
        auto labels = labels_in(tables);
        // What the WELCOME carries, near enough: these labels over the default tables' (the
        // store's own, earlier versions' included, are counted again when it is published).
        auto carried = default_labels();
        carried.overlay(labels);
        if (auto too_many = label_refusal(carried)) return *too_many;
        if (const auto bytes = welcome_bytes(next, carried); bytes > max_schema_welcome_bytes)
            return "the schema would take " + std::to_string(bytes / 1024) +
                   " KiB of the WELCOME that brings it to a tablet, more than its " +
                   std::to_string(max_schema_welcome_bytes / 1024) +
                   " KiB (max_schema_welcome_bytes); use shorter names or labels, or fewer "
                   "tables and columns";
        return requested_schema{std::move(next), std::move(labels)};
    } catch (const sync_error& e) {
        if (e.code() != errc::schema) throw;
        return std::string(e.what());
    }
}

} // namespace

std::optional<std::string> schema_refusal(const std::string& body) {
    auto read = schema_requested(body);
    if (auto* why = std::get_if<std::string>(&read)) return std::move(*why);
    return std::nullopt;
}

api_response schema_show(server_store& store) {
    auto out = schema_json(store.current_schema(), store.current_labels());
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
                          const std::string& body,
                          const std::optional<std::string>& refused_early) {
    const auto stays = "; the schema stays at version " + std::to_string(store.schema_version());
    if (refused_early) return error(400, *refused_early + stays);
    auto read = schema_requested(body);
    if (auto* why = std::get_if<std::string>(&read)) return error(400, *why + stays);
    try {
        auto& next = std::get<requested_schema>(read);
        // The labels earlier versions published ride in the same WELCOME.
        auto carried = store.current_labels();
        carried.overlay(next.labels);
        if (auto too_many = label_refusal(carried)) return error(400, *too_many + stays);
        if (welcome_bytes(next.tables, carried) > max_schema_welcome_bytes)
            return error(400, "the schema with the labels earlier versions published would take "
                              "more than the " +
                                  std::to_string(max_schema_welcome_bytes / 1024) +
                                  " KiB of a WELCOME (max_schema_welcome_bytes); use shorter "
                                  "labels" +
                                  stays);
        auto rec = store.apply_schema(next.tables, who.name, next.labels);
        auth.record(who.name, "schema apply", std::to_string(rec.version), rec.changes);
        const auto labels = store.current_labels();
        auto out = schema_json(store.current_schema(), labels);
        out["changes"] = rec.changes;
        out["unlabelled"] = unlabelled(store.current_schema(), labels);
        return {200, text(out)};
    } catch (const sync_error& e) {
        if (e.code() != errc::schema) throw;
        return error(400, e.what() + stays);
    }
}

} // namespace noi::server
