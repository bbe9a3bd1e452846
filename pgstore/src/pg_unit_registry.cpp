#include "pg_unit_registry.hpp"

#include "table_io.hpp"

namespace noi {
namespace {

// An empty bound is stored as NULL: open.
pg::param text_or_null(const std::string& v) {
    return v.empty() ? pg::param{} : pg::param{v};
}

} // namespace

std::vector<unit_record> pg_unit_registry::units(const std::string& where,
                                                 const std::vector<pg::param>& p) {
    auto r = c_.run("SELECT id, code, name, kind, province_code, province, coalesce(district_code, "
                    "''), coalesce(district, ''), coalesce(valid_from, ''), coalesce(valid_until, "
                    "''), coalesce(change_id, 0) FROM noi_units " +
                        where,
                    p);
    std::vector<unit_record> out;
    for (int i = 0; i < r.rows(); ++i) {
        unit_record u;
        u.id = r.bytes(i, 0), u.code = r.bytes(i, 1), u.name = r.bytes(i, 2);
        u.kind = r.bytes(i, 3), u.province_code = r.bytes(i, 4), u.province = r.bytes(i, 5);
        u.district_code = r.bytes(i, 6), u.district = r.bytes(i, 7);
        u.valid_from = r.bytes(i, 8), u.valid_until = r.bytes(i, 9);
        u.change_id = static_cast<std::uint64_t>(r.integer(i, 10));
        out.push_back(std::move(u));
    }
    return out;
}

std::vector<std::string> pg_unit_registry::texts(const std::string& sql,
                                                 const std::vector<pg::param>& p) {
    auto r = c_.run(sql, p);
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back(r.bytes(i, 0));
    return out;
}

void pg_unit_registry::add(const unit_record& u) {
    c_.run("INSERT INTO noi_units(id, code, name, kind, province_code, province, district_code, "
           "district, valid_from, valid_until, change_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
           "$9, $10, $11)",
           {u.id, u.code, u.name, u.kind, u.province_code, u.province,
            text_or_null(u.district_code), text_or_null(u.district), text_or_null(u.valid_from),
            text_or_null(u.valid_until), u.change_id ? pg::param{u.change_id} : pg::param{}});
}

std::optional<unit_record> pg_unit_registry::find(const std::string& id) {
    auto found = units("WHERE id = $1", {id});
    if (found.empty()) return std::nullopt;
    return found.front();
}

std::vector<unit_record> pg_unit_registry::all() {
    return units("ORDER BY code, coalesce(valid_from, '')", {});
}

std::optional<unit_record> pg_unit_registry::on(const std::string& code, const std::string& day) {
    auto found = units("WHERE code = $1 AND (valid_from IS NULL OR valid_from <= $2) AND "
                       "(valid_until IS NULL OR $2 < valid_until) LIMIT 1",
                       {code, day});
    if (found.empty()) return std::nullopt;
    return found.front();
}

void pg_unit_registry::retire(const std::string& id, const std::string& until) {
    c_.run("UPDATE noi_units SET valid_until = $2 WHERE id = $1", {id, until});
}

std::vector<std::string> pg_unit_registry::whole_parts(const std::string& id) {
    return texts("SELECT old_unit FROM noi_lineage WHERE new_unit = $1 AND share = 'whole' ORDER "
                 "BY old_unit",
                 {id});
}

std::vector<std::string> pg_unit_registry::successors(const std::string& id) {
    return texts("SELECT new_unit FROM noi_lineage WHERE old_unit = $1 ORDER BY new_unit", {id});
}

std::uint64_t pg_unit_registry::record_change(const map_change_record& c) {
    return static_cast<std::uint64_t>(
        c_.run("INSERT INTO noi_map_changes(id, kind, effective, basis, account, at) VALUES "
               "((SELECT coalesce(max(id), 0) + 1 FROM noi_map_changes), $1, $2, $3, $4, $5) "
               "RETURNING id",
               {c.kind, c.effective, c.basis, c.account, c.applied_at_ms})
            .integer(0, 0));
}

void pg_unit_registry::link(const lineage_edge& e) {
    c_.run("INSERT INTO noi_lineage(change_id, old_unit, new_unit, share) VALUES ($1, $2, $3, $4) "
           "ON CONFLICT (old_unit, new_unit) DO UPDATE SET change_id = excluded.change_id, share "
           "= excluded.share",
           {e.change_id, e.old_unit, e.new_unit, std::string(e.whole ? "whole" : "part")});
}

std::vector<map_change_record> pg_unit_registry::changes() {
    auto r = c_.run("SELECT id, kind, effective, basis, account, at FROM noi_map_changes ORDER BY "
                    "id");
    std::vector<map_change_record> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({static_cast<std::uint64_t>(r.integer(i, 0)), r.bytes(i, 1), r.bytes(i, 2),
                       r.bytes(i, 3), r.bytes(i, 4), r.integer(i, 5)});
    return out;
}

std::vector<lineage_edge> pg_unit_registry::lineage() {
    auto r = c_.run("SELECT change_id, old_unit, new_unit, share FROM noi_lineage ORDER BY "
                    "change_id, new_unit, old_unit");
    std::vector<lineage_edge> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({static_cast<std::uint64_t>(r.integer(i, 0)), r.bytes(i, 1), r.bytes(i, 2),
                       r.bytes(i, 3) == "whole"});
    return out;
}

std::optional<unit_record> pg_unit_registry::retired(const std::string& code,
                                                     const std::string& day) {
    auto found = units("WHERE code = $1 AND valid_until IS NOT NULL AND valid_until <= $2 ORDER "
                       "BY valid_until DESC LIMIT 1",
                       {code, day});
    if (found.empty()) return std::nullopt;
    return found.front();
}

void pg_unit_registry::record_row_move(const std::string& table, const std::string& row_id,
                                       const std::string& from_unit, const std::string& to_unit,
                                       std::int64_t at_ms, const std::string& account) {
    c_.run("INSERT INTO noi_row_moves(id, tbl, row_id, from_unit, to_unit, at, account) VALUES "
           "((SELECT coalesce(max(id), 0) + 1 FROM noi_row_moves), $1, $2, $3, $4, $5, $6)",
           {table, row_id, from_unit, to_unit, at_ms, account});
}

std::vector<std::string> pg_unit_registry::moved_from(const std::string& table,
                                                      const std::string& row_id) {
    return texts("SELECT from_unit FROM noi_row_moves WHERE tbl = $1 AND row_id = $2 ORDER BY id",
                 {table, row_id});
}

std::map<std::string, unit_registry::unit_rows> pg_unit_registry::rows_by_unit(const table_def& t) {
    std::map<std::string, unit_rows> out;
    if (!t.scope) return out;
    std::string bytes = "0";
    for (const auto& col : t.columns)
        bytes +=
            " + coalesce(octet_length(" + quote_ident(col.name) +
            (col.type == col_type::text || col.type == col_type::blob || col.type == col_type::any
                 ? ""
                 : "::text") +
            "), 0)";
    auto r = c_.run("SELECT " + quote_ident(t.columns[*t.scope].name) + ", count(*), sum(" + bytes +
                    ")::bigint FROM " + quote_ident(t.name) + " GROUP BY 1");
    for (int i = 0; i < r.rows(); ++i) {
        auto& u = out[r.bytes(i, 0)];
        u.rows = static_cast<std::uint64_t>(r.integer(i, 1));
        u.bytes = static_cast<std::uint64_t>(r.integer(i, 2));
    }
    return out;
}

} // namespace noi
