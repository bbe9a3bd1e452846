// What a person reads for the application schema (docs/labels.md): a label, in Vietnamese and
// English, for each table, column and value of an enumeration, and a description where it
// helps. Published with the schema: the default tables carry the library's own labels, and each
// published version may add labels or change them. A name without a label is shown as it is.
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/language.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace noi {

class schema_labels {
public:
    using label = proto::schema_label;

    schema_labels() = default;
    explicit schema_labels(const std::vector<label>& entries);

    // Adds the label, or replaces the one of its table, column and value.
    void put(label l);
    // put() of each of `later`'s labels, in its order.
    void overlay(const schema_labels& later);

    const label* table(std::string_view t) const;
    const label* column(std::string_view t, std::string_view c) const;
    const label* value(std::string_view t, std::string_view c, std::string_view v) const;
    // The labelled values of a column, in the order they were first put.
    std::vector<const label*> values_of(std::string_view t, std::string_view c) const;

    // In the order they were first put: a table before its columns, a column before its values.
    const std::vector<label>& entries() const { return entries_; }
    bool empty() const { return entries_.empty(); }

    // The text a person reads in `lang`: the label's, the other language's when it has none in
    // this one, or the name itself when nothing is labelled.
    std::string table_text(std::string_view t, language lang) const;
    std::string column_text(std::string_view t, std::string_view c, language lang) const;
    // An enumeration value's text in `lang`; nullopt for a value without a label.
    std::optional<std::string> value_text(std::string_view t, std::string_view c,
                                          const noi::value& v, language lang) const;

private:
    std::vector<label> entries_;
    std::unordered_map<std::string, std::size_t> at_; // key() → index in entries_
};

// The text a label gives in `lang`, falling back to the other language.
const std::string& text_in(const proto::schema_label& l, language lang);
const std::string& description_in(const proto::schema_label& l, language lang);

// How a value is named in labels: text as it is, an integer in decimal; none for another type.
std::optional<std::string> label_key(const value& v);

// The labels of the default application's tables (shared/src/default_labels.cpp).
const schema_labels& default_labels();
// The label of a scoped table's scope column, the same in every table: a published table needs
// none of its own.
proto::schema_label scope_column_label(const std::string& table, const std::string& column);

} // namespace noi
