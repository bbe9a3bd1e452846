// The default application's tables (docs/design.md §9). Names and types here are an interface.
#include <noi/sync/schema.hpp>

namespace noi {
namespace {

struct col {
    const char* name;
    const char* type;
    const char* extra = "";
};

table_sql make(const char* name, bool global, std::initializer_list<col> cols) {
    std::string sql = std::string("CREATE TABLE ") + name +
                      " (\n  id TEXT PRIMARY KEY NOT NULL DEFAULT (noi_uuid())";
    if (!global) sql += ",\n  commune_code TEXT NOT NULL";
    for (const auto& c : cols)
        sql += std::string(",\n  ") + c.name + " " + c.type + c.extra;
    sql += "\n) STRICT";
    return {name, global, sql};
}

} // namespace

const std::vector<table_sql>& default_tables() {
    static const std::vector<table_sql> tables = {
        make("commune", true,
             {{"name", "TEXT"},
              {"kind", "TEXT"},
              {"district", "TEXT"},
              {"district_code", "TEXT"},
              {"province", "TEXT"},
              {"key_area", "INTEGER", " DEFAULT 0"}}),
        make("militia_member", false,
             {{"full_name", "TEXT"},
              {"sex", "TEXT"},
              {"birth_year", "INTEGER"},
              {"village", "TEXT"},
              {"force_type", "TEXT"},
              {"unit", "TEXT"},
              {"position", "TEXT"},
              {"joined_on", "TEXT"},
              {"term_end", "TEXT"},
              {"status", "TEXT"},
              {"trained_year", "INTEGER"},
              {"notes", "TEXT"}}),
        make("training_session", false,
             {{"kind", "TEXT"},
              {"starts_on", "TEXT"},
              {"ends_on", "TEXT"},
              {"topic", "TEXT"},
              {"attendees", "INTEGER"},
              {"days", "INTEGER"}}),
        make("recruit", false,
             {{"full_name", "TEXT"},
              {"birth_year", "INTEGER"},
              {"village", "TEXT"},
              {"stage", "TEXT"},
              {"health_grade", "INTEGER"},
              {"status", "TEXT"},
              {"intake_year", "INTEGER"}}),
        make("incident", false,
             {{"occurred_on", "TEXT"},
              {"village", "TEXT"},
              {"category", "TEXT"},
              {"severity", "TEXT"},
              {"persons", "INTEGER"},
              {"stage", "TEXT"},
              {"status", "TEXT"},
              {"summary", "TEXT"},
              {"disqualifies_19_2", "INTEGER"}}),
        make("household", false,
             {{"village", "TEXT"},
              {"head_name", "TEXT"},
              {"members", "INTEGER"},
              {"assessed_year", "INTEGER"},
              {"pledge_signed", "INTEGER"},
              {"is_safe", "INTEGER"}}),
        make("reintegration", false,
             {{"person_name", "TEXT"},
              {"released_on", "TEXT"},
              {"supervisor", "TEXT"},
              {"supervision_ends", "TEXT"},
              {"status", "TEXT"},
              {"notes", "TEXT"}}),
        make("security_model", false,
             {{"model_type", "TEXT"},
              {"name", "TEXT"},
              {"village", "TEXT"},
              {"established_on", "TEXT"},
              {"active", "INTEGER"}}),
        make("assessment", false,
             {{"year", "INTEGER"},
              {"c19_1_met", "INTEGER"},
              {"c19_2_met", "INTEGER"},
              {"note", "TEXT"},
              {"decided_on", "TEXT"}}),
    };
    return tables;
}

} // namespace noi
