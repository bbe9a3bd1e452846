// The rules, in order (docs/admin.md, "The criterion-19 report"):
// 1. A commune's assessments of the year are its rows of `assessment` with that `year`; a
//    deleted assessment is gone and counts for nothing.
// 2. The one that decides is the latest: the greatest decided_on, read as a date (an ISO date,
//    or one an earlier release let be typed day first, dd/mm/yyyy, which is warned about); an
//    assessment without a readable date ranks below every dated one; equal dates are broken by
//    the newest version of the row (the edit made last).
// 3. The commune meets the criterion when that assessment has both c19_1_met and c19_2_met
//    equal to 1. A later assessment that withdraws the rating (a 0, or NULL) decides against
//    it; a commune with no assessment does not meet it.
// 4. A reader limited to some communes gets a report of those alone: every other commune's
//    assessments are skipped before they are read, so none of their figures can reach it.
// 5. A report asked for without a year is for the latest year with an assessment that is not
//    after the current one; a year to come is reported only when asked for.
// 6. The communes are the units valid at the end of the year (today for the current year), or
//    today's with `current` geography; an assessment made under a unit that has since gone into
//    another counts for the unit it went into (docs/design.md §11). Units with districts (before
//    1 July 2025) are grouped by district, the others by province.
#include "criterion19_report.hpp"
#include "api_query.hpp"

#include <noi/sync/dates.hpp>

#include <algorithm>
#include <map>
#include <tuple>

namespace noi::server {

using json = nlohmann::json;

namespace {

bool is_one(const value& v) {
    const auto* n = std::get_if<std::int64_t>(&v);
    return n && *n == 1;
}

std::string text_of(const value& v) {
    const auto* s = std::get_if<std::string>(&v);
    return s ? *s : std::string();
}

// The calendar year in Asia/Ho_Chi_Minh at `ms` since 1970.
std::int64_t year_in_the_province(std::int64_t ms) {
    return std::stoll(vietnam_day(ms).substr(0, 4));
}

} // namespace

std::optional<std::int64_t> default_report_year(server_store& store, const commune_scope& reader) {
    const auto now = year_in_the_province(store.now_ms());
    std::optional<std::int64_t> year;
    bool any = false;
    for (const auto& a : store.live_rows("assessment")) {
        if (!reader.reads(text_of(a.values.at("commune_code")))) continue;
        const auto* y = std::get_if<std::int64_t>(&a.values.at("year"));
        if (!y) continue;
        any = true;
        // A year still to come is what a tablet typed, not what the province reports on
        // (issue 28, item 10: an assessment for 9999 became everyone's default).
        if (*y <= now) year = std::max(year.value_or(*y), *y);
    }
    if (any && !year) return now;
    return year;
}

c19_report criterion19_report(server_store& store, std::int64_t year, const commune_scope& reader,
                              bool current_geography) {
    const auto today = vietnam_day(store.now_ms());
    auto day = std::to_string(year) + "-12-31";
    auto all = store.units();
    // A server made on a later map knows no unit of an earlier year: its assessments of that
    // year were made under today's units, and are counted by them.
    const bool known = std::any_of(all.begin(), all.end(), [&](const auto& u) {
        return u.valid_from.empty() || u.valid_from <= day;
    });
    if (current_geography || today < day || !known) day = today;
    // The report's units, and for each unit id an assessment may name, the one it counts for.
    std::vector<unit_record> units;
    std::map<std::string, std::string> counts_for;
    for (auto& u : all)
        if (u.valid_on(day) && u.kind == "xa") {
            for (const auto& m : store.unit_members(u.id))
                counts_for.emplace(m, u.id);
            units.push_back(std::move(u));
        }
    struct deciding {
        std::tuple<bool, std::string, std::uint64_t> rank; // dated, date, newest version
        std::string id, decided_on;
        bool met = false;
    };
    std::map<std::string, deciding> best;
    c19_report out;
    out.year = year;
    out.current_geography = current_geography;
    out.limited_to = reader.communes;
    auto& warnings = out.warnings;
    for (const auto& a : store.live_rows("assessment", "year", value{year})) {
        const auto& v = a.values;
        const auto commune = text_of(v.at("commune_code"));
        const auto owner = counts_for.find(commune);
        if (!reader.reads(commune) && (owner == counts_for.end() || !reader.reads(owner->second)))
            continue;
        if (owner == counts_for.end()) {
            warnings.push_back("assessment " + a.id + " of unit " + commune + " is for " +
                               std::to_string(year) + ", but its unit is not one of the " +
                               "communes of the map of " + day +
                               " nor went into one; report with the current geography to count it");
            continue;
        }
        std::optional<std::string> date;
        if (!is_null(v.at("decided_on"))) {
            const auto typed = text_of(v.at("decided_on"));
            date = read_date(typed);
            if (!date || *date != typed)
                warnings.push_back("assessment " + a.id + " of commune " + commune +
                                   " has decided_on '" + typed + "', " +
                                   (date ? "read as " + *date
                                         : std::string("which is not a date, so it ranks "
                                                       "below every dated assessment")) +
                                   "; correct it to YYYY-MM-DD");
        }
        deciding d{{date.has_value(), date.value_or(""), a.newest_hlc},
                   a.id,
                   date.value_or(""),
                   is_one(v.at("c19_1_met")) && is_one(v.at("c19_2_met"))};
        auto it = best.find(owner->second);
        if (it == best.end() || it->second.rank < d.rank) best[owner->second] = std::move(d);
    }

    // Districts were abolished on 1 July 2025: a unit without one is grouped by its province.
    auto group_of = [](const unit_record& u) {
        return u.district_code.empty() ? std::pair{u.province_code, u.province}
                                       : std::pair{u.district_code, u.district};
    };
    std::stable_sort(units.begin(), units.end(), [&](const auto& a, const auto& b) {
        return std::pair(group_of(a).first, a.code) < std::pair(group_of(b).first, b.code);
    });
    int& total = out.total;
    int& total_met = out.met;
    std::map<std::string, std::tuple<std::string, int, int>> by_group;
    std::vector<std::string> order;
    bool districts = false;
    for (const auto& u : units) {
        if (!reader.reads(u.id)) continue;
        const auto [code, name] = group_of(u);
        districts = districts || !u.district_code.empty();
        if (!by_group.count(code)) {
            by_group[code] = {name, 0, 0};
            order.push_back(code);
        }
        auto& [group, m, t] = by_group[code];
        ++t;
        ++total;
        auto it = best.find(u.id);
        const bool met = it != best.end() && it->second.met;
        if (met) {
            ++m;
            ++total_met;
        }
        const auto optional_text = [](const std::string& s) {
            return s.empty() ? std::nullopt : std::optional(s);
        };
        out.communes.push_back(
            {u.code, u.id, u.name, optional_text(u.district_code), optional_text(u.district),
             u.province_code, u.province, met,
             it == best.end() ? std::nullopt : std::optional(it->second.id),
             it == best.end() ? std::nullopt : optional_text(it->second.decided_on)});
    }
    for (const auto& code : order) {
        const auto& [name, m, t] = by_group[code];
        out.groups.push_back({code, name, m, t});
    }
    out.map_of = day;
    out.by_district = districts;
    return out;
}

json to_json(const c19_report& r) {
    const auto or_null = [](const std::optional<std::string>& s) {
        return s ? json(*s) : json(nullptr);
    };
    json groups = json::array(), communes = json::array();
    for (const auto& g : r.groups)
        groups.push_back({{"name", g.name}, {"code", g.code}, {"met", g.met}, {"total", g.total}});
    for (const auto& c : r.communes)
        communes.push_back({{"code", c.code},
                            {"unit", c.unit},
                            {"name", c.name},
                            {"district_code", or_null(c.district_code)},
                            {"district", or_null(c.district)},
                            {"province_code", c.province_code},
                            {"province", c.province},
                            {"met", c.met},
                            {"assessment_id", or_null(c.assessment_id)},
                            {"decided_on", or_null(c.decided_on)}});
    return {{"year", r.year},
            {"map_of", r.map_of},
            {"geography", r.current_geography ? "current" : "historical"},
            {"grouped_by", r.by_district ? "district" : "province"},
            {"limited_to", r.limited_to.empty() ? json(nullptr) : json(r.limited_to)},
            {"province", {{"met", r.met}, {"total", r.total}}},
            {"districts", groups},
            {"communes", communes},
            {"warnings", r.warnings}};
}

} // namespace noi::server
