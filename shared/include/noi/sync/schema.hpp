// Synced-table definitions. A table is described from the SQLite catalogue and checked against
// docs/design.md §2's rules (TEXT `id` primary key, STRICT, scope column, no constraints that a
// merge could break), so a table that cannot sync is refused at registration, not at merge.
#pragma once

#include <noi/protocol/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace noi {

class database;

enum class col_type : std::uint8_t { integer, real, text, blob, any };

struct column_def {
    std::string name;
    col_type type = col_type::any;
    bool date = false; // a TEXT column named as dates are (dates.hpp): ISO 8601 dates only
};

struct table_def {
    std::string name;
    std::vector<column_def> columns;  // every column except `id`, in table order
    std::optional<std::size_t> scope; // index into columns of the scope column; none: global

    bool is_global() const { return !scope.has_value(); }
    std::optional<std::size_t> column_index(std::string_view name) const;
    // The same, looking at position hint first: a row's cells usually come in column order.
    std::optional<std::size_t> column_index(std::string_view name, std::size_t hint) const;
};

// Whether v may be stored in a column of type t (STRICT's rules: a REAL column takes integers).
bool value_fits(col_type t, const value& v);

// Whether v is text in a date column that is not an ISO date (refused with date_refusal).
bool is_bad_date(const column_def& c, const value& v);

struct schema {
    std::uint32_t version = 0;
    std::vector<table_def> tables;
    const table_def* find(std::string_view name) const;
};

// Reads and checks an existing table. scope_column empty means a global table.
// Throws sync_error(errc::schema) with a message naming the rule the table breaks.
table_def describe_table(database& db, const std::string& table, const std::string& scope_column);

// The NTM criterion-19 application (docs/design.md §9).
inline constexpr std::uint32_t default_schema_version = 1;
inline constexpr const char* default_scope_column = "commune_code";

struct table_sql {
    std::string name;
    bool global = false;
    std::string create_sql;
};
const std::vector<table_sql>& default_tables();

} // namespace noi
