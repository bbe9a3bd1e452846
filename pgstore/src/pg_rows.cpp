#include "pg_rows.hpp"

#include "table_io.hpp"

#include <noi/sync/unicode_text.hpp>

namespace noi {
namespace {

const char* pg_type(col_type t) {
    switch (t) {
    case col_type::integer:
        return "bigint";
    case col_type::real:
        return "double precision";
    case col_type::text:
        return "text";
    case col_type::blob:
    case col_type::any:
        return "bytea";
    }
    return "bytea";
}

// known_rows' key of a row: a table's name holds no NUL.
std::string key_of(const std::string& table, const std::string& id) {
    std::string k = table;
    k += '\0';
    k += id;
    return k;
}

} // namespace

void pg_row_states::expect(const std::vector<row_ahead>& rows) {
    known_.reset();
    if (!c_.in_transaction()) return;
    std::vector<std::string> tables, ids;
    for (const auto& r : rows)
        // A row id that is not text is refused before it is looked up (row_rules).
        if (storable_text(r.table) && storable_text(r.id)) {
            tables.emplace_back(r.table);
            ids.emplace_back(r.id);
        }
    if (ids.empty()) return;
    // A lookup per row by the primary key, whatever the planner thinks of noi_rows' size: a
    // join may scan it whole.
    auto r = c_.run("SELECT k.tbl, k.id, (SELECT s.state FROM noi_rows s WHERE s.tbl = k.tbl AND "
                    "s.id = k.id) FROM unnest($1::text[], $2::text[]) AS k(tbl, id)",
                    {pg::param::texts(tables), pg::param::texts(ids)});
    for (int i = 0; i < r.rows(); ++i)
        known_.set(key_of(r.bytes(i, 0), r.bytes(i, 1)),
                   r.is_null(i, 2) ? std::nullopt : std::optional<std::string>(r.bytes(i, 2)));
}

std::optional<row_state> pg_row_states::load(const std::string& table, const std::string& id,
                                             std::size_t columns) {
    if (const auto* k = known_.find(key_of(table, id)))
        return *k ? std::optional<row_state>(unpack_row_state(**k, columns)) : std::nullopt;
    auto r = c_.run("SELECT state FROM noi_rows WHERE tbl = $1 AND id = $2", {table, id});
    if (r.rows() == 0) return std::nullopt;
    return unpack_row_state(r.bytes(0, 0), columns);
}

void pg_row_states::save(const std::string& table, const std::string& id, const row_state& s) {
    known_.forget(key_of(table, id));
    c_.send("INSERT INTO noi_rows(tbl, id, state) VALUES ($1, $2, $3) ON CONFLICT (tbl, id) DO "
            "UPDATE SET state = excluded.state",
            {table, id, pg::param::blob(pack_row_state(s))});
}

bool pg_row_states::insert_new(const std::string& table, const std::string& id,
                               const row_state& s) {
    if (const auto* k = known_.find(key_of(table, id))) {
        if (*k) return false;
        known_.forget(key_of(table, id));
        // Known to have no state under the write lock: nothing can give it one meanwhile.
        c_.insert("INSERT INTO noi_rows(tbl, id, state)",
                  {table, id, pg::param::blob(pack_row_state(s))});
        return true;
    }
    return c_.run("INSERT INTO noi_rows(tbl, id, state) VALUES ($1, $2, $3) ON CONFLICT (tbl, "
                  "id) DO NOTHING",
                  {table, id, pg::param::blob(pack_row_state(s))})
               .changed() == 1;
}

void pg_row_states::erase(const std::string& table, const std::string& id) {
    known_.forget(key_of(table, id));
    c_.send("DELETE FROM noi_rows WHERE tbl = $1 AND id = $2", {table, id});
}

void pg_row_states::for_each(
    const schema& tables,
    const std::function<void(const std::string&, const std::string&, const row_state&)>& fn) {
    pg::read_pages(
        c_, "SELECT tbl, id, state FROM noi_rows ORDER BY tbl, id LIMIT $1",
        "SELECT tbl, id, state FROM noi_rows WHERE (tbl, id) > ($1, $2) ORDER BY tbl, id LIMIT $3",
        2, [&](const pg::result& r, int i) {
            if (const auto* def = tables.find(r.bytes(i, 0)))
                fn(r.bytes(i, 0), r.bytes(i, 1),
                   unpack_row_state(r.bytes(i, 2), def->columns.size()));
        });
}

pg_table_rows::pg_table_rows(pg::connection& c, const table_def& def) : c_(c), known_(c) {
    const auto t = quote_ident(def.name);
    std::string cols, marks, sets;
    for (std::size_t i = 0; i < def.columns.size(); ++i) {
        types_.push_back(def.columns[i].type);
        const auto q = quote_ident(def.columns[i].name);
        cols += ", " + q;
        marks += ", $" + std::to_string(i + 2);
        sets += (sets.empty() ? "" : ", ") + q + " = excluded." + q;
    }
    select_ = "SELECT id" + cols + " FROM " + t + " WHERE id = $1";
    // A lookup by the primary key for each id, whatever the planner thinks of the table's size
    // (OFFSET 0 keeps the join from becoming one that scans the table whole).
    select_some_ = "SELECT r.* FROM unnest($1::text[]) AS k(id) CROSS JOIN LATERAL (SELECT id" +
                   cols + " FROM " + t + " WHERE id = k.id OFFSET 0) r";
    select_first_ = "SELECT id" + cols + " FROM " + t + " ORDER BY id LIMIT $1";
    select_after_ = "SELECT id" + cols + " FROM " + t + " WHERE id > $1 ORDER BY id LIMIT $2";
    into_ = "INSERT INTO " + t + " (id" + cols + ")";
    upsert_ = into_ + " VALUES ($1" + marks + ") ON CONFLICT (id) DO " +
              (sets.empty() ? "NOTHING" : "UPDATE SET " + sets);
    delete_ = "DELETE FROM " + t + " WHERE id = $1";
}

std::vector<value> pg_table_rows::values_of(const pg::result& r, int row) const {
    std::vector<value> out(types_.size());
    for (std::size_t i = 0; i < types_.size(); ++i) {
        const int col = static_cast<int>(i + 1);
        if (r.is_null(row, col)) continue;
        switch (types_[i]) {
        case col_type::integer:
            out[i] = r.integer(row, col);
            break;
        case col_type::real:
            out[i] = r.real(row, col);
            break;
        case col_type::text:
            out[i] = r.bytes(row, col);
            break;
        case col_type::blob: {
            const auto b = r.bytes(row, col);
            out[i] = blob{std::vector<std::uint8_t>(b.begin(), b.end())};
            break;
        }
        case col_type::any: {
            auto packed = unpack_values(r.bytes(row, col));
            if (!packed.empty()) out[i] = std::move(packed.front());
            break;
        }
        }
    }
    return out;
}

std::vector<pg::param> pg_table_rows::params_of(const std::string& id,
                                                const std::vector<value>& v) const {
    std::vector<pg::param> p{id};
    for (std::size_t i = 0; i < types_.size(); ++i) {
        const value& x = i < v.size() ? v[i] : value{};
        if (types_[i] == col_type::any && !is_null(x))
            p.push_back(pg::param::blob(pack_values({x})));
        else
            p.push_back(pg::param::of(x));
    }
    return p;
}

void pg_table_rows::expect(const std::vector<std::string>& ids) {
    known_.reset();
    if (!c_.in_transaction()) return;
    std::vector<std::string> looked_up;
    for (const auto& id : ids)
        if (storable_text(id)) {
            looked_up.push_back(id);
            known_.set(id, std::nullopt);
        }
    if (looked_up.empty()) return;
    auto r = c_.run(select_some_, {pg::param::texts(looked_up)});
    for (int i = 0; i < r.rows(); ++i)
        known_.set(r.bytes(i, 0), values_of(r, i));
}

std::optional<std::vector<value>> pg_table_rows::read(const std::string& id) {
    if (const auto* k = known_.find(id)) return *k;
    auto r = c_.run(select_, {id});
    if (r.rows() == 0) return std::nullopt;
    return values_of(r, 0);
}

void pg_table_rows::upsert(const std::string& id, const std::vector<value>& values) {
    known_.forget(id);
    c_.send(upsert_, params_of(id, values));
}

void pg_table_rows::insert(const std::string& id, const std::vector<value>& values) {
    known_.forget(id);
    c_.insert(into_, params_of(id, values));
}

void pg_table_rows::remove(const std::string& id) {
    known_.forget(id);
    c_.send(delete_, {id});
}

void pg_table_rows::for_each(
    const std::function<void(const std::string&, std::vector<value>)>& fn) {
    pg::read_pages(c_, select_first_, select_after_, 1,
                   [&](const pg::result& r, int i) { fn(r.bytes(i, 0), values_of(r, i)); });
}

std::vector<std::string> table_ddl(const table_def& def, const table_def* held) {
    const auto t = quote_ident(def.name);
    std::vector<std::string> out;
    if (!held) {
        std::string sql = "CREATE TABLE " + t + " (id text PRIMARY KEY";
        for (const auto& c : def.columns) {
            sql += ", " + quote_ident(c.name) + " " + pg_type(c.type);
            if (def.scope && &c == &def.columns[*def.scope]) sql += " NOT NULL";
        }
        out.push_back(sql + ")");
        if (def.scope)
            out.push_back("CREATE INDEX " + quote_ident(def.name + "_scope") + " ON " + t + " (" +
                          quote_ident(def.columns[*def.scope].name) + ")");
        return out;
    }
    for (const auto& c : def.columns)
        if (!held->column_index(c.name))
            out.push_back("ALTER TABLE " + t + " ADD COLUMN " + quote_ident(c.name) + " " +
                          pg_type(c.type));
    return out;
}

} // namespace noi
