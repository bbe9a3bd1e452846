// What noi-admin prints for the schema's names: the label in the admin's language, with the
// name in brackets, which is what --table, --column and --value take ("Hộ gia đình
// (household)"). The labels are the server's (GET /admin/v1/schema, read once, when a command
// first prints a name); without them a name is printed as it is.
#pragma once

#include <noi/sync/schema_labels.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

namespace noi::admin {

// --lang when given, else the language LC_ALL, LC_MESSAGES or LANG names; English otherwise.
language language_of(const std::string& flag);

// A JSON value as a table shows it: text as it is, anything else as JSON, "-" for none. Names,
// labels and values come from tablets and admins: their control characters are escaped.
std::string text(const nlohmann::json& v);
// "label (name)", or the name alone when the label is the name itself.
std::string with_name(const std::string& label, const std::string& name);

class labelled {
public:
    // `read_schema` returns the server's schema JSON, or nullopt when it could not be read.
    labelled(language lang, std::function<std::optional<nlohmann::json>()> read_schema)
        : lang_(lang), read_(std::move(read_schema)) {}

    language lang() const { return lang_; }
    std::string table(const nlohmann::json& name);
    std::string column(const nlohmann::json& table, const nlohmann::json& name);
    // `shown` is the value as printed without a label.
    std::string value(const nlohmann::json& table, const nlohmann::json& column,
                      const nlohmann::json& v, const std::string& shown);

private:
    const schema_labels& labels();

    language lang_;
    std::function<std::optional<nlohmann::json>()> read_;
    std::optional<schema_labels> labels_;
};

} // namespace noi::admin
