#include "sqlite_unit_registry.hpp"

#include "table_io.hpp"

namespace noi {
namespace {

constexpr const char* unit_columns =
    "id, code, name, kind, province_code, province, coalesce(district_code, ''), "
    "coalesce(district, ''), coalesce(valid_from, ''), coalesce(valid_until, ''), "
    "coalesce(change_id, 0)";

unit_record read_unit(const statement& st) {
    unit_record u;
    u.id = st.column_text(0), u.code = st.column_text(1), u.name = st.column_text(2);
    u.kind = st.column_text(3), u.province_code = st.column_text(4);
    u.province = st.column_text(5), u.district_code = st.column_text(6);
    u.district = st.column_text(7), u.valid_from = st.column_text(8);
    u.valid_until = st.column_text(9);
    u.change_id = static_cast<std::uint64_t>(st.column_int(10));
    return u;
}

// The first column of every row the bound statement gives, as text; the statement is reset.
std::vector<std::string> first_column(statement& st) {
    std::vector<std::string> out;
    while (st.step())
        out.push_back(st.column_text(0));
    st.reset();
    return out;
}

// An empty bound is stored as NULL: open.
void bind_text_or_null(statement& st, int i, const std::string& v) {
    if (v.empty())
        st.bind_null(i);
    else
        st.bind(i, v);
}

} // namespace

void sqlite_unit_registry::add(const unit_record& u) {
    auto& st = db_.cached(
        "INSERT INTO noi_units(id, code, name, kind, province_code, province, district_code, "
        "district, valid_from, valid_until, change_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10, ?11)");
    st.bind(1, u.id).bind(2, u.code).bind(3, u.name).bind(4, u.kind).bind(5, u.province_code);
    st.bind(6, u.province);
    bind_text_or_null(st, 7, u.district_code);
    bind_text_or_null(st, 8, u.district);
    bind_text_or_null(st, 9, u.valid_from);
    bind_text_or_null(st, 10, u.valid_until);
    if (u.change_id)
        st.bind(11, static_cast<std::int64_t>(u.change_id));
    else
        st.bind_null(11);
    st.run();
}

std::optional<unit_record> sqlite_unit_registry::find(const std::string& id) {
    auto& st = db_.cached(std::string("SELECT ") + unit_columns + " FROM noi_units WHERE id = ?1");
    st.bind(1, id);
    std::optional<unit_record> u;
    if (st.step()) u = read_unit(st);
    st.reset();
    return u;
}

std::vector<unit_record> sqlite_unit_registry::all() {
    std::vector<unit_record> out;
    auto st = db_.prepare(std::string("SELECT ") + unit_columns +
                          " FROM noi_units ORDER BY code, coalesce(valid_from, '')");
    while (st.step())
        out.push_back(read_unit(st));
    return out;
}

std::optional<unit_record> sqlite_unit_registry::on(const std::string& code,
                                                    const std::string& day) {
    auto& st = db_.cached(std::string("SELECT ") + unit_columns +
                          " FROM noi_units WHERE code = ?1 AND (valid_from IS NULL OR valid_from "
                          "<= ?2) AND (valid_until IS NULL OR ?2 < valid_until)");
    st.bind(1, code).bind(2, day);
    std::optional<unit_record> u;
    if (st.step()) u = read_unit(st);
    st.reset();
    return u;
}

void sqlite_unit_registry::retire(const std::string& id, const std::string& until) {
    auto& st = db_.cached("UPDATE noi_units SET valid_until = ?2 WHERE id = ?1");
    st.bind(1, id).bind(2, until);
    st.run();
}

std::vector<std::string> sqlite_unit_registry::whole_parts(const std::string& id) {
    auto& st = db_.cached("SELECT old_unit FROM noi_lineage WHERE new_unit = ?1 AND share = "
                          "'whole' ORDER BY old_unit");
    st.bind(1, id);
    return first_column(st);
}

std::vector<std::string> sqlite_unit_registry::successors(const std::string& id) {
    auto& st = db_.cached("SELECT new_unit FROM noi_lineage WHERE old_unit = ?1 ORDER BY new_unit");
    st.bind(1, id);
    return first_column(st);
}

std::uint64_t sqlite_unit_registry::record_change(const map_change_record& c) {
    auto& st = db_.cached("INSERT INTO noi_map_changes(kind, effective, basis, account, at) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)");
    st.bind(1, c.kind).bind(2, c.effective).bind(3, c.basis).bind(4, c.account);
    st.bind(5, c.applied_at_ms);
    st.run();
    return static_cast<std::uint64_t>(db_.last_insert_rowid());
}

void sqlite_unit_registry::link(const lineage_edge& e) {
    auto& st = db_.cached("INSERT OR REPLACE INTO noi_lineage(change_id, old_unit, new_unit, "
                          "share) VALUES (?1, ?2, ?3, ?4)");
    st.bind(1, static_cast<std::int64_t>(e.change_id)).bind(2, e.old_unit).bind(3, e.new_unit);
    st.bind(4, std::string(e.whole ? "whole" : "part"));
    st.run();
}

std::vector<map_change_record> sqlite_unit_registry::changes() {
    std::vector<map_change_record> out;
    auto st = db_.prepare(
        "SELECT id, kind, effective, basis, account, at FROM noi_map_changes ORDER BY id");
    while (st.step())
        out.push_back({static_cast<std::uint64_t>(st.column_int(0)), st.column_text(1),
                       st.column_text(2), st.column_text(3), st.column_text(4), st.column_int(5)});
    return out;
}

std::vector<lineage_edge> sqlite_unit_registry::lineage() {
    std::vector<lineage_edge> out;
    auto st = db_.prepare("SELECT change_id, old_unit, new_unit, share FROM noi_lineage ORDER BY "
                          "change_id, new_unit, old_unit");
    while (st.step())
        out.push_back({static_cast<std::uint64_t>(st.column_int(0)), st.column_text(1),
                       st.column_text(2), st.column_text(3) == "whole"});
    return out;
}

std::optional<unit_record> sqlite_unit_registry::retired(const std::string& code,
                                                         const std::string& day) {
    auto st = db_.prepare(std::string("SELECT ") + unit_columns +
                          " FROM noi_units WHERE code = ?1 AND valid_until IS NOT NULL AND "
                          "valid_until <= ?2 ORDER BY valid_until DESC LIMIT 1");
    st.bind(1, code).bind(2, day);
    if (st.step()) return read_unit(st);
    return std::nullopt;
}

void sqlite_unit_registry::record_row_move(const std::string& table, const std::string& row_id,
                                           const std::string& from_unit, const std::string& to_unit,
                                           std::int64_t at_ms, const std::string& account) {
    auto& st = db_.cached("INSERT INTO noi_row_moves(tbl, row_id, from_unit, to_unit, at, "
                          "account) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    st.bind(1, table).bind(2, row_id).bind(3, from_unit).bind(4, to_unit).bind(5, at_ms);
    st.bind(6, account);
    st.run();
}

std::vector<std::string> sqlite_unit_registry::moved_from(const std::string& table,
                                                          const std::string& row_id) {
    auto& st = db_.cached(
        "SELECT from_unit FROM noi_row_moves WHERE tbl = ?1 AND row_id = ?2 ORDER BY id");
    st.bind(1, table).bind(2, row_id);
    return first_column(st);
}

std::map<std::string, unit_registry::unit_rows>
sqlite_unit_registry::rows_by_unit(const table_def& t) {
    std::map<std::string, unit_rows> out;
    if (!t.scope) return out;
    std::string bytes = "0";
    for (const auto& col : t.columns)
        bytes += " + coalesce(length(CAST(" + quote_ident(col.name) + " AS BLOB)), 0)";
    auto st = db_.prepare("SELECT " + quote_ident(t.columns[*t.scope].name) + ", count(*), sum(" +
                          bytes + ") FROM " + quote_ident(t.name) + " GROUP BY 1");
    while (st.step()) {
        auto& u = out[st.column_text(0)];
        u.rows = static_cast<std::uint64_t>(st.column_int(1));
        u.bytes = static_cast<std::uint64_t>(st.column_int(2));
    }
    return out;
}

} // namespace noi
