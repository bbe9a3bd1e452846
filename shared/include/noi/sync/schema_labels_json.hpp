// Labels in JSON. In the schema's form (noi-admin schema show --json and apply, the console,
// the C API) each table and column object carries its own: "label" and "description" as
// {"vi": …, "en": …}, and a column its enumeration's "values": [{"value", "label",
// "description"}], a value named by its text ("1" for an INTEGER column's 1). Stored flat.
#pragma once

#include <noi/sync/schema.hpp>
#include <noi/sync/schema_labels.hpp>

#include <nlohmann/json.hpp>

namespace noi {

// The most bytes of one label's text: a label names, a description explains in a sentence.
inline constexpr std::size_t max_label_bytes = 500;

// Writes the labels into the schema JSON's "tables" array, on the tables and columns it lists.
void put_labels(nlohmann::json& tables, const schema_labels& labels);

// The schema in its JSON form with its labels: {"version", "tables": [{"name", "scope",
// "label", "columns": [{"name", "type", "label", "values"}]}]}.
nlohmann::json schema_json(const schema& s, const schema_labels& labels);

// The labels a schema JSON's "tables" array carries. Throws sync_error(errc::schema) naming
// the table, column or value whose label is not well formed, and what to write instead.
schema_labels labels_in(const nlohmann::json& tables);

// The labels as one JSON array of flat entries, as a store keeps them; the reverse, which
// throws nlohmann::json's exceptions for text it did not write.
std::string labels_text(const schema_labels& labels);
schema_labels labels_from_text(const std::string& text);

} // namespace noi
