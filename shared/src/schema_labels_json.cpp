#include <noi/sync/error.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/schema_labels_json.hpp>

namespace noi {
namespace {

using json = nlohmann::json;

json words(const std::string& vi, const std::string& en) {
    return {{"vi", vi}, {"en", en}};
}

// Puts "label" and, when there is one, "description" on `at`.
void put_label(json& at, const proto::schema_label& l) {
    at["label"] = words(l.vi, l.en);
    if (!l.description_vi.empty() || !l.description_en.empty())
        at["description"] = words(l.description_vi, l.description_en);
}

// Reads {"vi", "en"} at `at[field]` into vi and en; `where` names the place for an error.
void read_words(const json& at, const char* field, const std::string& where, std::string& vi,
                std::string& en) {
    if (!at.contains(field)) return;
    const auto& w = at[field];
    const auto refuse = [&](const std::string& why) {
        throw sync_error(errc::schema, where + ": \"" + field + "\" " + why);
    };
    if (!w.is_object()) refuse("must be {\"vi\": \"…\", \"en\": \"…\"}");
    for (const auto& [lang, text] : w.items()) {
        if (lang != "vi" && lang != "en")
            refuse("has \"" + lang + "\"; a label has \"vi\" and \"en\" only");
        if (!text.is_string()) refuse("\"" + lang + "\" must be text");
        if (text.get_ref<const std::string&>().size() > max_label_bytes)
            refuse("\"" + lang + "\" is longer than " + std::to_string(max_label_bytes) +
                   " bytes; shorten it");
        (lang == "vi" ? vi : en) = text.get<std::string>();
    }
    if (std::string_view(field) == "label" && vi.empty() && en.empty())
        refuse("is empty; give the text in Vietnamese (\"vi\"), English (\"en\") or both");
}

// The label on `at`, if it carries one.
std::optional<proto::schema_label> label_at(const json& at, const std::string& where,
                                            proto::schema_label l) {
    if (!at.contains("label")) {
        if (at.contains("description"))
            throw sync_error(errc::schema, where + ": a \"description\" needs a \"label\"");
        return std::nullopt;
    }
    read_words(at, "label", where, l.vi, l.en);
    read_words(at, "description", where, l.description_vi, l.description_en);
    return l;
}

std::string value_name(const json& v, const std::string& where) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return v.dump();
    throw sync_error(errc::schema,
                     where + ": \"value\" must be the value's text, or an INTEGER column's number");
}

json text_or_null(const std::optional<std::string>& s) {
    return s ? json(*s) : json(nullptr);
}

} // namespace

void put_labels(json& tables, const schema_labels& labels) {
    for (auto& t : tables) {
        const auto& table = t["name"].get_ref<const std::string&>();
        if (const auto* l = labels.table(table)) put_label(t, *l);
        for (auto& c : t["columns"]) {
            const auto& column = c["name"].get_ref<const std::string&>();
            if (const auto* l = labels.column(table, column)) put_label(c, *l);
            json values = json::array();
            for (const auto* v : labels.values_of(table, column)) {
                json one = {{"value", *v->value}};
                put_label(one, *v);
                values.push_back(std::move(one));
            }
            if (!values.empty()) c["values"] = std::move(values);
        }
    }
}

json schema_json(const schema& s, const schema_labels& labels) {
    json tables = json::array();
    for (const auto& t : specs_of(s)) {
        json columns = json::array();
        for (const auto& c : t.columns)
            columns.push_back({{"name", c.name}, {"type", c.type}});
        tables.push_back({{"name", t.name},
                          {"scope", t.scope.empty() ? json(nullptr) : json(t.scope)},
                          {"columns", std::move(columns)}});
    }
    put_labels(tables, labels);
    return {{"version", s.version}, {"tables", std::move(tables)}};
}

schema_labels labels_in(const json& tables) {
    schema_labels out;
    if (!tables.is_array()) return out;
    for (const auto& t : tables) {
        if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) continue;
        const auto table = t["name"].get<std::string>();
        const auto where = "table " + table;
        if (auto l = label_at(t, where, {table})) out.put(std::move(*l));
        if (!t.contains("columns") || !t["columns"].is_array()) continue;
        for (const auto& c : t["columns"]) {
            if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) continue;
            const auto column = c["name"].get<std::string>();
            const auto at = where + ", column " + column;
            if (auto l = label_at(c, at, {table, column})) out.put(std::move(*l));
            if (!c.contains("values")) continue;
            if (!c["values"].is_array())
                throw sync_error(errc::schema, at + ": \"values\" must be an array of {\"value\", "
                                                    "\"label\": {\"vi\", \"en\"}}");
            if (c.value("type", "") == "BLOB")
                throw sync_error(errc::schema,
                                 at + ": a BLOB column has no values to label; remove \"values\"");
            for (const auto& v : c["values"]) {
                if (!v.is_object() || !v.contains("value") || !v.contains("label"))
                    throw sync_error(errc::schema,
                                     at + ": each of \"values\" is {\"value\", \"label\"}");
                auto name = value_name(v["value"], at);
                if (auto l = label_at(v, at + ", value " + name, {table, column, name}))
                    out.put(std::move(*l));
            }
        }
    }
    return out;
}

std::string labels_text(const schema_labels& labels) {
    json out = json::array();
    for (const auto& l : labels.entries())
        out.push_back({{"table", l.table},
                       {"column", text_or_null(l.column)},
                       {"value", text_or_null(l.value)},
                       {"vi", l.vi},
                       {"en", l.en},
                       {"description_vi", l.description_vi},
                       {"description_en", l.description_en}});
    return out.dump();
}

schema_labels labels_from_text(const std::string& text) {
    schema_labels out;
    const auto optional_text = [](const json& j) {
        return j.is_null() ? std::nullopt : std::optional(j.get<std::string>());
    };
    for (const auto& e : json::parse(text))
        out.put({e.at("table").get<std::string>(), optional_text(e.at("column")),
                 optional_text(e.at("value")), e.at("vi").get<std::string>(),
                 e.at("en").get<std::string>(), e.value("description_vi", ""),
                 e.value("description_en", "")});
    return out;
}

} // namespace noi
