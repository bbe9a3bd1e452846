#include "labelled.hpp"
#include "terminal_text.hpp"

#include <noi/sync/schema_labels_json.hpp>

#include <cstdlib>

namespace noi::admin {

using json = nlohmann::json;

std::string text(const json& v) {
    if (v.is_null()) return "-";
    return tools::printable(v.is_string() ? v.get<std::string>()
                                          : v.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::string with_name(const std::string& label, const std::string& name) {
    return label == name ? tools::printable(name)
                         : tools::printable(label) + " (" + tools::printable(name) + ")";
}

language language_of(const std::string& flag) {
    if (!flag.empty()) return language_named(flag).value_or(language::en);
    for (const char* var : {"LC_ALL", "LC_MESSAGES", "LANG"})
        if (const char* v = std::getenv(var); v && *v)
            return language_named(v).value_or(language::en);
    return language::en;
}

const schema_labels& labelled::labels() {
    if (!labels_) {
        labels_.emplace();
        // A later server's labels this release cannot read leave the names as they are.
        try {
            if (auto s = read_(); s && s->contains("tables")) labels_ = labels_in((*s)["tables"]);
        } catch (const std::exception&) {
        }
    }
    return *labels_;
}

std::string labelled::table(const json& name) {
    if (!name.is_string()) return text(name);
    const auto& t = name.get_ref<const std::string&>();
    return with_name(labels().table_text(t, lang_), t);
}

std::string labelled::column(const json& table, const json& name) {
    if (!table.is_string() || !name.is_string()) return text(name);
    const auto& c = name.get_ref<const std::string&>();
    return with_name(labels().column_text(table.get<std::string>(), c, lang_), c);
}

std::string labelled::value(const json& table, const json& column, const json& v,
                            const std::string& shown) {
    if (!table.is_string() || !column.is_string()) return shown;
    std::optional<noi::value> cell;
    if (v.is_string()) cell = v.get<std::string>();
    if (v.is_number_integer()) cell = v.get<std::int64_t>();
    if (!cell) return shown;
    auto label =
        labels().value_text(table.get<std::string>(), column.get<std::string>(), *cell, lang_);
    return label ? with_name(*label, shown) : shown;
}

} // namespace noi::admin
