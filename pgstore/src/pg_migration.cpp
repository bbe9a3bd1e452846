// noi-server migrate-store: a SQLite server store copied into PostgreSQL whole, so its tablets
// go on syncing as if nothing happened: the same site id, epoch and feed sequences, every
// device, token, account, conflict, quarantine entry, audit record and map change.
#include <noi/pgstore/pg_store.hpp>

#include "pg_port.hpp"
#include "pg_rows.hpp"
#include "pg_tables.hpp"
#include "table_io.hpp"

#include <noi/sync/database.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema.hpp>
#include <noi/sync/sqlite_store.hpp>
#include <noi/sync/unicode_text.hpp>

#include <algorithm>
#include <set>

namespace noi {
namespace {

// The server's own tables both stores have, in an order that copies what refers to something
// after it. Left out: noi_holders and noi_live_sites (the processes serving now, none while
// it is stopped) and noi_tables (made from the synced tables' definitions).
constexpr const char* server_tables[] = {
    "noi_units",     "noi_map_changes",    "noi_lineage",       "noi_row_moves",
    "noi_devices",   "noi_sites",          "noi_tokens",        "noi_accounts",
    "noi_admin_log", "noi_schema_history", "noi_audit_columns", "noi_audit",
    "noi_rows",      "noi_feed",           "noi_conflicts",     "noi_quarantine"};

// A SQLite value as a parameter of a PostgreSQL column of `type` (information_schema's name).
pg::param as_param(const value& v, const std::string& type) {
    if (std::holds_alternative<std::monostate>(v)) return {};
    if (type == "boolean") {
        const bool on = std::holds_alternative<std::int64_t>(v) && std::get<std::int64_t>(v) != 0;
        return pg::param::parsed(on ? "true" : "false");
    }
    // SQLite's columns take any type: a text where bytes go is its bytes, a number where text
    // goes its digits, a text where a number goes parsed.
    if (const auto* s = std::get_if<std::string>(&v)) {
        if (type == "bytea") return pg::param::blob(*s);
        if (type != "text") return pg::param::parsed(*s);
    }
    if (const auto* b = std::get_if<blob>(&v); b && type == "text")
        return std::string(b->bytes.begin(), b->bytes.end());
    if (const auto* i = std::get_if<std::int64_t>(&v); i && type == "text")
        return std::to_string(*i);
    return pg::param::of(v);
}

// Text PostgreSQL cannot hold (not UTF-8, or a NUL: rows an earlier release took before it
// checked), found while copying. The copy goes on to find all of it; then nothing is kept, and
// the refusal names each place.
class unstorable_text {
public:
    // False, noting where, when `v` is text PostgreSQL cannot hold.
    bool check(const value& v, const std::string& table, const std::string& row,
               const std::string& column) {
        std::string_view text;
        if (const auto* s = std::get_if<std::string>(&v))
            text = *s;
        else if (const auto* b = std::get_if<blob>(&v)) // SQLite keeps bytes in any column
            text =
                std::string_view(reinterpret_cast<const char*>(b->bytes.data()), b->bytes.size());
        else
            return true;
        if (storable_text(text)) return true;
        if (places_.size() < shown)
            places_.push_back(table + " " + escaped_text(row) + " (" + column + ")");
        ++count_;
        return false;
    }
    void refuse_if_any() const {
        if (count_ == 0) return;
        std::string list;
        for (const auto& p : places_)
            list += "\n  " + p;
        if (count_ > places_.size())
            list += "\n  and " + std::to_string(count_ - places_.size()) + " more";
        throw sync_error(errc::refused,
                         std::to_string(count_) +
                             " values hold text that is not UTF-8 or holds a NUL, which "
                             "PostgreSQL cannot store; nothing was moved. Edit or delete these "
                             "records (on a tablet, or with noi-admin), let them reach this "
                             "server, and migrate again:" +
                             list);
    }

private:
    static constexpr std::size_t shown = 20;
    std::vector<std::string> places_;
    std::size_t count_ = 0;
};

std::set<std::string> sqlite_columns(database& db, const std::string& table) {
    std::set<std::string> names;
    auto st = db.prepare("SELECT name FROM pragma_table_info(?1)");
    st.bind(1, table);
    while (st.step())
        names.insert(st.column_text(0));
    return names;
}

// Copies the columns both stores' `table` have; returns the rows copied.
std::uint64_t copy_table(database& from, pg::connection& to, const std::string& table,
                         unstorable_text& text) {
    const auto held = sqlite_columns(from, table);
    if (held.empty()) return 0; // a table a store of this age never had
    auto cols = to.run("SELECT column_name::text, data_type::text FROM information_schema.columns "
                       "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY "
                       "ordinal_position",
                       {table});
    std::vector<std::string> names, types;
    for (int i = 0; i < cols.rows(); ++i)
        if (held.count(cols.bytes(i, 0))) {
            names.push_back(cols.bytes(i, 0));
            types.push_back(cols.bytes(i, 1));
        }
    std::string select = "SELECT ", insert = "INSERT INTO " + table + " (";
    for (std::size_t i = 0; i < names.size(); ++i) {
        select += (i ? ", " : "") + quote_ident(names[i]);
        insert += (i ? ", " : "") + quote_ident(names[i]);
    }
    insert += ")";
    // A conflict's sides are values of any type: SQLite keeps them as they are, PostgreSQL packed
    // in bytea (pg_conflict_book).
    std::vector<bool> packed(names.size());
    for (std::size_t i = 0; i < names.size(); ++i)
        packed[i] = table == "noi_conflicts" && (names[i] == "w_value" || names[i] == "l_value");
    auto st = from.prepare(select + " FROM " + table);
    std::uint64_t n = 0;
    // A row is named by its id where it has one (noi_rows, noi_feed: the synced row's).
    const auto id_at = std::find(names.begin(), names.end(), "id");
    const int key = id_at == names.end() ? 0 : static_cast<int>(id_at - names.begin());
    while (st.step()) {
        std::vector<pg::param> params(names.size());
        bool storable = true;
        for (std::size_t i = 0; i < names.size(); ++i) {
            const auto v = st.column(static_cast<int>(i));
            if (types[i] == "text")
                storable = text.check(v, table, st.column_text(key), names[i]) && storable;
            params[i] = packed[i] ? pg::param::blob(pack_values({v})) : as_param(v, types[i]);
        }
        if (storable) to.insert(insert, std::move(params));
        ++n;
    }
    return n;
}

// SQLite's noi_meta holds values of any type in one column; PostgreSQL's bytes in another. The
// store's own format mark is PostgreSQL's, written when its tables were made.
std::uint64_t copy_meta(database& from, pg::connection& to) {
    auto st = from.prepare("SELECT key, value FROM noi_meta");
    std::uint64_t n = 0;
    while (st.step()) {
        const auto v = st.column(1);
        if (std::holds_alternative<blob>(v))
            to.run("INSERT INTO noi_meta(key, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                   {st.column_text(0), as_param(v, "bytea")});
        else
            to.run("INSERT INTO noi_meta(key, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                   {st.column_text(0), as_param(v, "text")});
        ++n;
    }
    return n;
}

// Makes each synced table as SQLite defines it and copies its rows.
void copy_synced_tables(database& from, pg::connection& to, migration_report& report,
                        const migration_progress& progress, unstorable_text& text) {
    std::vector<std::pair<std::string, std::string>> tables;
    auto st = from.prepare("SELECT name, scope_column FROM noi_tables ORDER BY name");
    while (st.step())
        tables.emplace_back(st.column_text(0), st.column_text(1));
    for (const auto& [name, scope] : tables) {
        const auto def = describe_table(from, name, scope);
        store_synced_table(to, def, nullptr);
        pg_table_rows rows(to, def);
        std::string select = "SELECT id";
        for (const auto& c : def.columns)
            select += ", " + quote_ident(c.name);
        auto r = from.prepare(select + " FROM " + quote_ident(name));
        std::uint64_t n = 0;
        std::vector<value> values(def.columns.size());
        while (r.step()) {
            const auto id = r.column_text(0);
            bool storable = text.check(r.column(0), name, id, "id");
            for (std::size_t i = 0; i < values.size(); ++i) {
                values[i] = r.column(static_cast<int>(i + 1));
                if (def.columns[i].type == col_type::text)
                    storable = text.check(values[i], name, id, def.columns[i].name) && storable;
            }
            if (storable) rows.insert(id, values);
            ++n;
        }
        report.emplace_back(name, n);
        if (progress) progress(name, n);
    }
}

} // namespace

migration_report migrate_to_pg(const std::string& sqlite_path, const std::string& conninfo,
                               const migration_progress& progress) {
    check_pg_conninfo(conninfo);
    {
        // Opening brings a store of an earlier release to the current format first.
        system_clock wall;
        sqlite_store::open(sqlite_path, wall);
    }
    database from(sqlite_path, false);
    pg::connection to(conninfo);
    pg::transaction tx(to);
    pg::make_tables_of_new_store(to, "migrate-store");
    migration_report report{{"noi_meta", copy_meta(from, to)}};
    if (progress) progress("noi_meta", report.back().second);
    unstorable_text text;
    for (const auto* table : server_tables) {
        report.emplace_back(table, copy_table(from, to, table, text));
        if (progress) progress(table, report.back().second);
    }
    copy_synced_tables(from, to, report, progress, text);
    text.refuse_if_any();
    tx.commit();
    return report;
}

} // namespace noi
