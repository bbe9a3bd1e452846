// Reading synced-table definitions from SQLite's catalogue and checking them.
#include <noi/sync/database.hpp>
#include <noi/sync/dates.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/schema.hpp>

#include <algorithm>
#include <regex>

namespace noi {

std::optional<std::size_t> table_def::column_index(std::string_view n) const {
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i].name == n) return i;
    return std::nullopt;
}

std::optional<std::size_t> table_def::column_index(std::string_view n, std::size_t hint) const {
    if (hint < columns.size() && columns[hint].name == n) return hint;
    return column_index(n);
}

const table_def* schema::find(std::string_view n) const {
    for (const auto& t : tables)
        if (t.name == n) return &t;
    return nullptr;
}

bool value_fits(col_type t, const value& v) {
    if (is_null(v)) return true;
    switch (t) {
    case col_type::integer:
        return std::holds_alternative<std::int64_t>(v);
    case col_type::real:
        return std::holds_alternative<double>(v) || std::holds_alternative<std::int64_t>(v);
    case col_type::text:
        return std::holds_alternative<std::string>(v);
    case col_type::blob:
        return std::holds_alternative<blob>(v);
    case col_type::any:
        return true;
    }
    return false;
}

bool is_bad_date(const column_def& c, const value& v) {
    const auto* text = c.date ? std::get_if<std::string>(&v) : nullptr;
    return text && !is_iso_date(*text);
}

namespace {

[[noreturn]] void refuse(const std::string& table, const std::string& why) {
    throw sync_error(errc::schema, "table " + table + " cannot be synced: " + why);
}

col_type type_of(std::string decl) {
    std::transform(decl.begin(), decl.end(), decl.begin(), ::toupper);
    if (decl == "INTEGER" || decl == "INT") return col_type::integer;
    if (decl == "REAL") return col_type::real;
    if (decl == "TEXT") return col_type::text;
    if (decl == "BLOB") return col_type::blob;
    return col_type::any;
}

} // namespace

table_def describe_table(database& db, const std::string& table, const std::string& scope_column) {
    auto strict =
        db.prepare("SELECT strict FROM pragma_table_list WHERE name = ?1 AND schema = 'main'");
    strict.bind(1, table);
    if (!strict.step()) refuse(table, "no such table; create it first");
    if (strict.column_int(0) != 1) refuse(table, "it must be declared STRICT");

    table_def def{table, {}, std::nullopt};
    bool has_id = false;
    int pk_columns = 0;
    auto info = db.prepare("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)");
    info.bind(1, table);
    while (info.step()) {
        auto name = info.column_text(0);
        auto type = info.column_text(1);
        bool notnull = info.column_int(2) != 0;
        int pk = static_cast<int>(info.column_int(3));
        if (pk) ++pk_columns;
        if (name == "id") {
            if (pk != 1) refuse(table, "its primary key must be the column `id`");
            if (type_of(type) == col_type::integer)
                refuse(table, "an INTEGER `id` collides across tablets; use `id TEXT PRIMARY KEY`");
            if (type_of(type) != col_type::text) refuse(table, "`id` must be TEXT");
            has_id = true;
            continue;
        }
        if (pk) refuse(table, "its primary key must be the column `id` alone");
        if (notnull && name != scope_column)
            refuse(table, "column " + name + " is NOT NULL; only `id` and the scope column may be");
        def.columns.push_back(
            {name, type_of(type), type_of(type) == col_type::text && is_date_column(name)});
    }
    if (!has_id) refuse(table, "it has no `id TEXT PRIMARY KEY` column");
    if (pk_columns != 1) refuse(table, "its primary key must be the column `id` alone");
    if (def.columns.size() > 63) refuse(table, "it has more than 63 columns besides `id`");
    if (!scope_column.empty()) {
        def.scope = def.column_index(scope_column);
        if (!def.scope) refuse(table, "it lacks its scope column `" + scope_column + "`");
    }
    auto unique = db.prepare("SELECT count(*) FROM pragma_index_list(?1) WHERE origin = 'u'");
    unique.bind(1, table);
    if (unique.step() && unique.column_int(0) > 0)
        refuse(table, "UNIQUE constraints can be broken by merged cells; drop them");
    auto fk = db.prepare("SELECT count(*) FROM pragma_foreign_key_list(?1)");
    fk.bind(1, table);
    if (fk.step() && fk.column_int(0) > 0)
        refuse(table, "FOREIGN KEY constraints can be broken by merged rows; drop them");
    auto sql = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    sql.bind(1, table);
    if (sql.step()) {
        static const std::regex check(R"(\bCHECK\s*\()", std::regex::icase);
        if (std::regex_search(sql.column_text(0), check))
            refuse(table, "CHECK constraints can be broken by merged cells; drop them");
    }
    return def;
}

} // namespace noi
