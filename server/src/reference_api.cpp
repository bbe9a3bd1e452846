// Reference data through the admin path only (issue 28: a stolen province-wide token could
// rename every commune, or re-kind one and change the criterion-19 report, leaving no trace in
// the admin log). Each change is one transaction: the server's write, stamped with its clock and
// emitted to every device, and the admin-log entry that names the account and what changed.
#include "reference_api.hpp"
#include "cell_json.hpp"

#include <noi/sync/dates.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/schema_change.hpp>

#include <algorithm>

namespace noi::server {
namespace {

// The global tables' names, for a message that says which there are.
std::string reference_tables(server_store& store) {
    std::string out;
    for (const auto& t : store.current_schema().tables)
        if (t.is_global()) out += (out.empty() ? "" : ", ") + t.name;
    return out;
}

// The table when it is reference data; otherwise the 400 that says why not.
const table_def* reference_table(server_store& store, const std::string& table,
                                 api_response& refusal) {
    const auto* def = store.find_table(table);
    if (!def) {
        refusal = error(400, "no table named " + table + "; the reference tables are " +
                                 reference_tables(store));
        return nullptr;
    }
    if (!def->is_global()) {
        refusal =
            error(400, table +
                           " is not reference data: its rows belong to communes and change on "
                           "their tablets; the reference tables are " +
                           reference_tables(store));
        return nullptr;
    }
    return def;
}

json row_json(const std::string& id, const std::map<std::string, value>& values) {
    json out{{"id", id}};
    for (const auto& [column, v] : values)
        out[column] = to_json(v);
    return out;
}

std::optional<blob> bytes_of_hex(const std::string& hex) {
    if (hex.size() % 2) return std::nullopt;
    blob out;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        auto digit = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.bytes.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return out;
}

// The JSON value as the column's type stores it (a BLOB given as hex, as answers show one), or
// the reason it cannot be.
std::variant<value, std::string> typed(const table_def& def, const column_def& c, const json& j) {
    const auto where = "column " + def.name + "." + c.name + " is " + type_name(c.type) + ": ";
    const auto given = j.dump(-1, ' ', false, json::error_handler_t::replace);
    if (c.type == col_type::blob && j.is_string()) {
        if (auto b = bytes_of_hex(j.get<std::string>())) return value{std::move(*b)};
        return where + "give its bytes as hex digits, not " + given;
    }
    auto v = from_json(j);
    if (!v) return where + "give a JSON scalar (a string, a number or null), not " + given;
    if (!value_fits(c.type, *v)) {
        switch (c.type) {
        case col_type::integer:
            return where + "give a whole number or null, not " + given;
        case col_type::real:
            return where + "give a number or null, not " + given;
        case col_type::text:
            return where + "give a string (in JSON quotes) or null, not " + given;
        default:
            return where + "give its bytes as hex digits or null, not " + given;
        }
    }
    if (is_bad_date(c, *v)) return def.name + "." + date_refusal(c.name, std::get<std::string>(*v));
    return *v;
}

// A value for the admin log: JSON, long text cut short at a character's start.
std::string shown(const value& v) {
    auto s = to_json(v).dump(-1, ' ', false, json::error_handler_t::replace);
    constexpr std::size_t most = 200;
    if (s.size() <= most) return s;
    auto cut = most;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
        --cut;
    return s.substr(0, cut) + "…";
}

// Online tablets hear at once that reference data changed; the others take it at their next
// pull.
void tell_everyone(server_state& state, server_store& store) {
    emissions e;
    e.add(value{}, store.server_seq());
    state.notify(e, nullptr);
}

std::string writer_of(const account& who) {
    return "admin:" + who.name;
}

// Writes the cells (and the row's existence) as the account, with its admin-log entry, in one
// transaction, then wakes every device; a write the store refuses is a 400 with its reason.
std::optional<api_response> write_logged(server_state& state, server_store& store, auth_store& auth,
                                         const account& who, const std::string& table,
                                         const std::string& id,
                                         const std::vector<std::pair<std::size_t, value>>& cells,
                                         std::optional<bool> exists, const std::string& action,
                                         const std::string& detail) {
    try {
        auto group = store.begin();
        store.write_cells(table, id, cells, exists, writer_of(who));
        auth.record(who.name, action, table + "/" + id, detail);
        group->commit();
    } catch (const sync_error& e) {
        if (e.code() != errc::refused) throw;
        return error(400, e.what());
    }
    tell_everyone(state, store);
    return std::nullopt;
}

} // namespace

api_response reference_list(server_store& store, const std::string& table, const query& q) {
    api_response refusal;
    if (!reference_table(store, table, refusal)) return refusal;
    auto p = page_of(q);
    if (!p.problem.empty()) return error(400, p.problem);
    auto rows = store.live_rows(table);
    std::sort(rows.begin(), rows.end(),
              [](const stored_row& a, const stored_row& b) { return a.id < b.id; });
    return paged(rows, p, [](const stored_row& r) { return row_json(r.id, r.values); });
}

api_response reference_show(server_store& store, const std::string& table, const std::string& id) {
    api_response refusal;
    if (!reference_table(store, table, refusal)) return refusal;
    auto row = store.read_row(table, id);
    if (!row)
        return error(404, "no row " + id + " in " + table + "; noi-admin reference list " + table +
                              " lists its rows");
    row->erase("id");
    return {200, text(row_json(id, *row))};
}

api_response reference_set(server_state& state, server_store& store, auth_store& auth,
                           const account& who, const std::string& table, const std::string& id,
                           const std::string& body) {
    api_response refusal;
    const auto* def = reference_table(store, table, refusal);
    if (!def) return refusal;
    const json req = json::parse(body, nullptr, false);
    if (req.is_discarded() || !req.is_object() || req.empty())
        return error(400, "the request body must be a JSON object of column → value, such as "
                          "{\"name\": \"Dương Quang\"}");
    std::vector<std::pair<std::size_t, value>> cells;
    for (const auto& [column, j] : req.items()) {
        if (column == "id")
            return error(400, "a row's id is the last part of the path, and never changes; to "
                              "give a row another id, make the new row and delete the old one");
        const auto col = def->column_index(column);
        if (!col) {
            std::string names;
            for (const auto& c : def->columns)
                names += (names.empty() ? "" : ", ") + c.name;
            return error(400, "table " + table + " has no column " + column + "; its columns are " +
                                  names);
        }
        auto v = typed(*def, def->columns[*col], j);
        if (auto* why = std::get_if<std::string>(&v)) return error(400, *why);
        cells.emplace_back(*col, std::get<value>(std::move(v)));
    }
    // Only what differs is written: an unchanged cell would take a new version and be sent to
    // every tablet again for nothing.
    const auto before = store.read_row(table, id);
    const bool alive = before.has_value();
    const bool known = alive || store.row_scope(table, id).has_value();
    if (alive)
        std::erase_if(cells, [&](const auto& c) {
            return before->at(def->columns[c.first].name) == c.second;
        });
    json changed = json::array();
    std::string detail = alive ? "" : known ? "brought back; " : "new row; ";
    for (const auto& [col, v] : cells) {
        const auto& name = def->columns[col].name;
        const value old = alive ? before->at(name) : value{};
        changed.push_back({{"column", name}, {"old", to_json(old)}, {"new", to_json(v)}});
        detail += (detail.empty() || detail.back() == ' ' ? "" : "; ") + name + ": " + shown(old) +
                  " → " + shown(v);
    }
    if (alive && cells.empty())
        return {200, text(json{{"table", table},
                               {"id", id},
                               {"created", false},
                               {"changed", changed},
                               {"row", row_json(id, *before)}})};
    if (auto refused =
            write_logged(state, store, auth, who, table, id, cells,
                         alive ? std::nullopt : std::optional(true), "reference set", detail))
        return *refused;
    auto after = store.read_row(table, id).value_or(std::map<std::string, value>{});
    after.erase("id");
    return {known ? 200u : 201u, text(json{{"table", table},
                                           {"id", id},
                                           {"created", !known},
                                           {"changed", changed},
                                           {"row", row_json(id, after)}})};
}

api_response reference_delete(server_state& state, server_store& store, auth_store& auth,
                              const account& who, const std::string& table, const std::string& id) {
    api_response refusal;
    const auto* def = reference_table(store, table, refusal);
    if (!def) return refusal;
    const auto before = store.read_row(table, id);
    if (!before)
        return error(404, "no row " + id + " in " + table + " (or it is deleted already); " +
                              "noi-admin reference list " + table + " lists its rows");
    std::string detail = "deleted; it held ";
    for (const auto& c : def->columns)
        detail += (detail.back() == ' ' ? "" : ", ") + c.name + ": " + shown(before->at(c.name));
    if (auto refused =
            write_logged(state, store, auth, who, table, id, {}, false, "reference delete", detail))
        return *refused;
    return {200, text(json{{"table", table}, {"id", id}, {"deleted", true}})};
}

} // namespace noi::server
