// The administrative map on the SQLite store (docs/design.md §11): the first map a server
// starts with, the devices' units, and changes of the map (merges, a whole reorganisation)
// with their dry runs. A change never rewrites a row: the rows of a retired unit stay under its
// id, and the unit it went into reads them through the lineage.
#include <noi/sync/dates.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/national_map.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/sync_service.hpp>

#include "unit_lineage.hpp"
#include "unit_list.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace noi {
namespace {

[[noreturn]] void refuse(const std::string& why) {
    throw sync_error(errc::refused, why);
}

// The reference row of a unit, by the commune table's column names (an admin may have added
// columns: they stay empty).
std::vector<value> commune_values(const table_def& def, const unit_record& u, bool key_area) {
    std::vector<value> v(def.columns.size());
    auto put = [&](const char* name, value x) {
        if (auto i = def.column_index(name)) v[*i] = std::move(x);
    };
    put("name", u.name);
    put("kind", u.kind);
    put("province", u.province);
    if (!u.district.empty()) put("district", u.district);
    if (!u.district_code.empty()) put("district_code", u.district_code);
    put("key_area", std::int64_t{key_area ? 1 : 0});
    return v;
}

// About what a row costs on the wire: its values and a version per cell.
constexpr std::int64_t bytes_per_cell = 24;

} // namespace

void sync_service::start_map(const map_choice& map) {
    const auto found = national_map::shipped().province_units(map.province, map.as_of);
    const auto* def = port_->tables().find("commune");
    for (const auto* n : found) {
        unit_record u{n->code,
                      n->code,
                      n->name,
                      n->kind,
                      n->province_code,
                      n->province,
                      n->district_code,
                      n->district,
                      n->valid_from,
                      {},
                      0};
        port_->units().add(u);
        if (def) write_local("commune", u.id, commune_values(*def, u, false));
    }
    port_->set_meta_text("province_code", map.province);
}

map_choice checked_map(const map_choice& asked, std::int64_t now_ms) {
    auto chosen = asked;
    if (chosen.as_of.empty()) chosen.as_of = vietnam_day(now_ms);
    if (!is_iso_date(chosen.as_of))
        throw sync_error(errc::refused,
                         "--as-of takes a date written YYYY-MM-DD, not " + chosen.as_of);
    const auto& country = national_map::shipped();
    if (country.province_units(chosen.province, chosen.as_of).empty())
        throw sync_error(errc::refused, country.province_refusal(chosen.province, chosen.as_of));
    return chosen;
}

device sync_service::with_units(device d) {
    if (d.scope == "*") return d;
    d.units = unit_members(d.scope);
    for (const auto& held : split_units(d.held_scope))
        for (auto& u : unit_members(held))
            d.held_units.push_back(std::move(u));
    return d;
}

std::vector<unit_record> sync_service::units() {
    return port_->units().all();
}

std::vector<map_change_record> sync_service::map_changes() {
    return port_->units().changes();
}

std::vector<lineage_edge> sync_service::lineage() {
    return port_->units().lineage();
}

std::optional<unit_record> sync_service::unit_on(const std::string& code, const std::string& day,
                                                 std::string& why) {
    if (auto u = port_->units().on(code, day)) return u;
    why = unit_refusal(code, day);
    return std::nullopt;
}

std::string sync_service::unit_refusal(const std::string& code, const std::string& day) {
    // This server's own changes first: an admin's merge is known only here.
    auto& units = port_->units();
    if (const auto u = units.retired(code, day)) {
        std::string into, use;
        for (const auto& h : heirs_of(units, u->id))
            if (auto n = units.find(h)) {
                into += (into.empty() ? "" : " and ") + n->code + " " + n->name;
                use += (use.empty() ? "" : " or ") + n->code;
            }
        if (!into.empty())
            return "commune " + u->code + " " + u->name + " no longer exists on " + day + ": on " +
                   u->valid_until + " it went into " + into + "; use " + use;
    }
    const auto& country = national_map::shipped();
    if (const auto* n = country.unit(code, day))
        return code + " " + n->name + " is a unit of " + n->province +
               ", which this server does not serve; noi-admin scope units lists its units";
    return country.unit_refusal(code, day);
}

std::vector<std::string> sync_service::unit_members(const std::string& id) {
    return members_of(port_->units(), id);
}

map_impact sync_service::change_map(const map_change_request& c, const std::string& by,
                                    bool dry_run) {
    if (!is_iso_date(c.effective))
        refuse("the day the change takes effect is written YYYY-MM-DD, not \"" + c.effective +
               "\"");
    if (c.groups.empty()) refuse("the change names no units");
    map_impact out;

    // Each group's old units: those valid now whose codes it names.
    std::set<std::string> taken;
    std::vector<std::vector<unit_record>> olds;
    for (const auto& g : c.groups) {
        if (g.from.empty()) refuse("say which units go into " + g.code + " (--from)");
        if (g.code.empty()) refuse("say the code of the unit they make (--into)");
        std::vector<unit_record> from;
        for (const auto& code : g.from) {
            // The unit with this code that is valid now: the one a change acts on.
            auto open = port_->units().on(code, "9999-12-31");
            if (!open) refuse(unit_refusal(code, c.effective));
            if (!open->valid_from.empty() && open->valid_from >= c.effective)
                refuse("unit " + open->id + " " + open->name + " begins on " + open->valid_from +
                       ", not before " + c.effective +
                       "; a change takes effect after the units "
                       "it merges began");
            if (!taken.insert(open->id).second)
                refuse("unit " + open->code + " " + open->name +
                       " is named twice; each unit goes into one new unit");
            from.push_back(std::move(*open));
        }
        olds.push_back(std::move(from));
    }
    // A new unit may take the code of a unit the change retires, never of one that stays.
    for (const auto& g : c.groups)
        if (auto other = port_->units().on(g.code, "9999-12-31"); other && !taken.count(other->id))
            refuse(g.code + " is the code of " + other->name +
                   ", which stays as it is; name it among the units that go in (--from " + g.code +
                   ",…) to merge it too, or choose another code");

    // The new units, their names and kinds taken from the unit with their code when not given.
    const auto& country = national_map::shipped();
    std::vector<unit_record> made;
    for (std::size_t i = 0; i < c.groups.size(); ++i) {
        const auto& g = c.groups[i];
        const auto& from = olds[i];
        const auto* same = [&]() -> const unit_record* {
            for (const auto& u : from)
                if (u.code == g.code) return &u;
            return nullptr;
        }();
        const auto* national = country.unit(g.code, c.effective);
        unit_record u;
        u.code = g.code;
        u.name = !g.name.empty() ? g.name : national ? national->name : same ? same->name : "";
        u.kind = !g.kind.empty() ? g.kind : national ? national->kind : same ? same->kind : "";
        if (u.name.empty()) refuse(g.code + " is a new code: give the new unit's name (--name)");
        if (u.kind.empty())
            refuse("give the kind of unit " + g.code + " (--kind xa, phuong or dac_khu)");
        if (u.kind != "xa" && u.kind != "phuong" && u.kind != "dac_khu" && u.kind != "thi_tran")
            refuse("the kind of a unit is xa, phuong or dac_khu (thi_tran before 2025), not " +
                   u.kind);
        u.province_code = national ? national->province_code : from.front().province_code;
        u.province = national ? national->province : from.front().province;
        // Districts were abolished on 1 July 2025; a merge before keeps the district the units
        // shared.
        if (c.effective < reform_2025 && std::all_of(from.begin(), from.end(), [&](const auto& o) {
                return o.district_code == from.front().district_code;
            })) {
            u.district_code = from.front().district_code;
            u.district = from.front().district;
        }
        u.valid_from = c.effective;
        // A new unit's id is its code, unless a unit of this server had that id already.
        u.id = port_->units().find(u.code) ? u.code + "@" + c.effective : u.code;
        if (port_->units().find(u.id))
            refuse("a unit of code " + u.code + " already began on " + c.effective +
                   "; a second change of it takes effect on a later day");
        map_impact::unit_change uc{u.id, u.code, u.name, u.kind, {}};
        for (const auto& o : from)
            uc.from.push_back(o.id);
        out.units.push_back(std::move(uc));
        made.push_back(std::move(u));
    }

    // What moves: rows by table and unit, from which each device's download is reckoned.
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> per_unit; // rows, bytes
    std::map<std::string, std::vector<std::string>> members_of;
    std::set<std::string> moving;
    for (const auto& from : olds)
        for (const auto& o : from) {
            members_of[o.id] = unit_members(o.id);
            moving.insert(members_of[o.id].begin(), members_of[o.id].end());
        }
    for (const auto& t : port_->tables().tables)
        for (const auto& [unit, held] : port_->units().rows_by_unit(t)) {
            if (!moving.count(unit)) continue;
            out.rows_per_table[t.name] += held.rows;
            auto& [r, b] = per_unit[unit];
            r += held.rows;
            b += held.bytes +
                 held.rows * static_cast<std::uint64_t>(bytes_per_cell * (t.columns.size() + 2));
        }
    for (const auto& s : device_statuses()) {
        if (s.dev.revoked) continue;
        for (std::size_t i = 0; i < olds.size(); ++i) {
            const auto& from = olds[i];
            auto mine = std::find_if(from.begin(), from.end(),
                                     [&](const auto& o) { return o.id == s.dev.scope; });
            if (mine == from.end()) continue;
            map_impact::device_change dc;
            dc.device_id = s.dev.id, dc.name = s.dev.name, dc.from_scope = s.dev.scope;
            dc.to_scope = made[i].id, dc.pending = s.pending;
            dc.last_contact_at_ms = s.last_contact_at_ms, dc.app_version = s.app_version;
            const auto& held = members_of[mine->id];
            for (const auto& o : from)
                for (const auto& unit : members_of[o.id])
                    if (std::find(held.begin(), held.end(), unit) == held.end()) {
                        dc.rows_to_download += per_unit[unit].first;
                        dc.bytes_to_download += per_unit[unit].second;
                    }
            out.devices.push_back(std::move(dc));
        }
    }
    if (dry_run) return out;

    out.change_id = port_->units().record_change({0, c.kind, c.effective, c.basis, by, now_ms()});
    const auto* def = port_->tables().find("commune");
    for (std::size_t i = 0; i < made.size(); ++i) {
        auto& u = made[i];
        u.change_id = out.change_id;
        port_->units().add(u);
        bool key_area = false;
        for (const auto& o : olds[i]) {
            port_->units().retire(o.id, c.effective);
            port_->units().link({out.change_id, o.id, u.id, true});
            if (auto row = read_row("commune", o.id)) {
                const auto* k = std::get_if<std::int64_t>(&(*row)["key_area"]);
                key_area = key_area || (k && *k != 0);
            }
        }
        if (def) write_local("commune", u.id, commune_values(*def, u, key_area), "admin:" + by);
    }
    for (const auto& dc : out.devices)
        port_->devices().move(dc.device_id, dc.to_scope);
    return out;
}

device sync_service::move_device(const std::string& device_id, const std::string& code) {
    auto d = port_->devices().find(device_id);
    if (!d) refuse("no device " + device_id + "; noi-admin device list shows their ids");
    if (d->revoked) refuse("device " + device_id + " is revoked; enrol a new one for " + code);
    std::string why;
    auto u = unit_on(code, vietnam_day(now_ms()), why);
    if (!u) refuse(why);
    if (u->id == d->scope)
        refuse("device " + device_id + " is already of " + u->code + " " + u->name);
    port_->devices().move(device_id, u->id);
    return *d;
}

rows_moved sync_service::move_rows(const std::string& table, const std::vector<std::string>& ids,
                                   const std::string& column, const value& equals,
                                   const std::string& code, const std::string& by, bool dry_run) {
    const auto* def = port_->tables().find(table);
    if (!def) refuse("no table named " + table);
    if (!def->scope)
        refuse(table + " is reference data, the same for every commune: it has no rows to move");
    if (ids.empty() && column.empty()) refuse("say which rows move: --ids or --where");
    if (!column.empty() && !def->column_index(column))
        refuse("table " + table + " has no column " + column);
    std::string why;
    const auto to = unit_on(code, vietnam_day(now_ms()), why);
    if (!to) refuse(why);
    rows_moved out;
    out.to_unit = to->id;
    std::vector<std::string> candidates = ids;
    if (ids.empty())
        for (const auto& r : live_rows(table, column, equals))
            candidates.push_back(r.id);
    const auto scope_col = *def->scope;
    for (const auto& id : candidates) {
        const auto row = read_row(table, id);
        if (!row) {
            if (!ids.empty()) refuse("no live row " + id + " in " + table);
            continue;
        }
        const auto* from = std::get_if<std::string>(&row->at(def->columns[scope_col].name));
        if (!from || *from == to->id) continue;
        out.moved.emplace_back(id, *from);
    }
    if (dry_run) return out;

    auto& store = port_->states();
    for (const auto& [id, from] : out.moved) {
        const auto held = sequences_of(*store.load(table, id, def->columns.size()));
        write_cells(table, id, {{scope_col, to->id}}, std::nullopt, "admin:" + by);
        // The new unit's tablets never had the row: its entry there sends it whole, and the
        // old unit's entries go dead.
        auto st = *store.load(table, id, def->columns.size());
        const auto seq = server_seq();
        stamp_all(st, seq);
        store.save(table, id, st);
        port_->changes().supersede(held, st);
        // A departure under the old unit: its tablets learn the row's new unit and let it go.
        port_->changes().record(port_->changes().next(), table, id, value{from}, nullptr, nullptr);
        port_->units().record_row_move(table, id, from, to->id, now_ms(), by);
    }
    return out;
}

} // namespace noi
