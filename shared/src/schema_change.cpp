// Schema versions: their specs, and what a new version may change.
#include <noi/sync/dates.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/schema_change.hpp>

#include <algorithm>
#include <set>

namespace noi {
namespace {

[[noreturn]] void refuse(const std::string& why) {
    throw sync_error(errc::schema, why);
}

std::optional<col_type> type_named(const std::string& name) {
    for (auto t :
         {col_type::text, col_type::integer, col_type::real, col_type::blob, col_type::any})
        if (name == type_name(t)) return t;
    return std::nullopt;
}

// Lower-case ASCII identifiers: they are SQL names on every tablet, and a Kotlin client's too.
bool is_plain_name(const std::string& n) {
    if (n.empty() || n.size() > 63 || !(n[0] >= 'a' && n[0] <= 'z')) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::string scope_name(const table_def& t) {
    return t.scope ? "commune_code (a commune's table)" : "null (a global table)";
}

table_def table_of(const proto::table_spec& spec) {
    const auto& name = spec.name;
    if (!is_plain_name(name) || name.starts_with("noi_") || name.starts_with("sqlite_"))
        refuse("the table name \"" + name +
               "\" is not allowed; use lower-case letters, digits and _ (at most 63, starting with "
               "a letter, not noi_ or sqlite_)");
    if (!spec.scope.empty() && spec.scope != default_scope_column)
        refuse("table " + name + " has the scope \"" + spec.scope +
               "\"; a table's scope is \"commune_code\" (a commune's rows) or null (global)");
    table_def def{name, {}, std::nullopt};
    std::set<std::string> seen;
    if (!spec.scope.empty() &&
        std::none_of(spec.columns.begin(), spec.columns.end(),
                     [](const auto& c) { return c.name == default_scope_column; })) {
        def.columns.push_back({default_scope_column, col_type::text, false});
        seen.insert(default_scope_column);
    }
    for (const auto& c : spec.columns) {
        if (!is_plain_name(c.name) || c.name == "id")
            refuse("column \"" + c.name + "\" of table " + name +
                   " is not allowed; use lower-case letters, digits and _ (at most 63, starting "
                   "with a letter; not id, which every table has)");
        if (!seen.insert(c.name).second)
            refuse("column " + c.name + " appears twice in table " + name);
        auto type = type_named(c.type);
        if (!type)
            refuse("column " + name + "." + c.name + " has the type \"" + c.type +
                   "\"; use TEXT, INTEGER, REAL, BLOB or ANY");
        if (c.name == default_scope_column && !spec.scope.empty() && *type != col_type::text)
            refuse("the scope column " + name + ".commune_code must be TEXT");
        def.columns.push_back({c.name, *type, *type == col_type::text && is_date_column(c.name)});
    }
    if (def.columns.size() > 63)
        refuse("table " + name + " has more than 63 columns besides id; split it in two tables");
    if (!spec.scope.empty()) def.scope = def.column_index(default_scope_column);
    return def;
}

} // namespace

const char* type_name(col_type t) {
    switch (t) {
    case col_type::integer:
        return "INTEGER";
    case col_type::real:
        return "REAL";
    case col_type::text:
        return "TEXT";
    case col_type::blob:
        return "BLOB";
    case col_type::any:
        return "ANY";
    }
    return "ANY";
}

std::vector<proto::table_spec> specs_of(const schema& s) {
    std::vector<proto::table_spec> out;
    for (const auto& t : s.tables) {
        proto::table_spec spec{t.name, t.scope ? t.columns[*t.scope].name : std::string(), {}};
        for (const auto& c : t.columns)
            spec.columns.push_back({c.name, type_name(c.type)});
        out.push_back(std::move(spec));
    }
    return out;
}

schema schema_of(std::uint32_t version, const std::vector<proto::table_spec>& tables) {
    schema s{version, {}};
    std::set<std::string> names;
    for (const auto& spec : tables) {
        if (!names.insert(spec.name).second) refuse("table " + spec.name + " appears twice");
        s.tables.push_back(table_of(spec));
    }
    return s;
}

void check_compatible(const schema& held, const schema& next) {
    for (const auto& t : held.tables) {
        const auto* n = next.find(t.name);
        if (!n) continue;
        if (t.scope.has_value() != n->scope.has_value())
            refuse("table " + t.name + "'s scope would change from " + scope_name(t) + " to " +
                   scope_name(*n) +
                   "; a table's scope never changes, so add a new table with the scope you need");
        for (const auto& c : t.columns) {
            auto i = n->column_index(c.name);
            if (i && n->columns[*i].type != c.type)
                refuse("column " + t.name + "." + c.name + " would change type from " +
                       type_name(c.type) + " to " + type_name(n->columns[*i].type) +
                       "; a column's type never changes, so add a new column of the new type");
        }
    }
}

void check_additive(const schema& current, const schema& next) {
    for (const auto& t : current.tables) {
        const auto* n = next.find(t.name);
        if (!n)
            refuse("table " + t.name + " is missing from version " + std::to_string(next.version) +
                   "; a table is never dropped or renamed (tablets in the field still sync it): "
                   "keep it, and add a new table if the app needs another");
        for (const auto& c : t.columns)
            if (!n->column_index(c.name))
                refuse("column " + t.name + "." + c.name + " is missing from version " +
                       std::to_string(next.version) +
                       "; a column is never dropped or renamed: keep it (the app may stop "
                       "showing it) and add a new column");
    }
    check_compatible(current, next);
}

} // namespace noi
