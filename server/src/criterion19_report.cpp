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
#include "criterion19_report.hpp"

#include <noi/sync/dates.hpp>
#include <noi/sync/row_state.hpp>

#include <map>
#include <tuple>

namespace noi::server {

using json = nlohmann::json;

json criterion19_report(server_store& store, std::int64_t year) {
    auto& db = store.rep().db();
    struct deciding {
        std::tuple<bool, std::string, std::uint64_t> rank; // dated, date, newest version
        std::string id, decided_on;
        bool met = false;
    };
    std::map<std::string, deciding> best;
    json warnings = json::array();
    const auto* def = store.rep().tables().find("assessment");
    auto st = db.prepare("SELECT a.id, a.commune_code, a.c19_1_met, a.c19_2_met, a.decided_on, "
                         "r.state FROM assessment a JOIN noi_rows r ON r.tbl = 'assessment' AND "
                         "r.id = a.id WHERE a.year = ?1");
    st.bind(1, year);
    while (st.step()) {
        const auto commune = st.column_text(1);
        const auto state = unpack_row_state(st.column_blob(5), def->columns.size());
        std::uint64_t ver = 0;
        for (const auto& c : state.cells)
            if (c) ver = std::max(ver, c->ver.hlc);
        std::optional<std::string> date;
        if (!st.column_is_null(4)) {
            const auto typed = st.column_text(4);
            date = read_date(typed);
            if (!date || *date != typed)
                warnings.push_back(
                    "assessment " + st.column_text(0) + " of commune " + commune +
                    " has decided_on '" + typed + "', " +
                    (date ? "read as " + *date : std::string("which is not a date, so it ranks "
                                                             "below every dated assessment")) +
                    "; correct it to YYYY-MM-DD");
        }
        deciding d{{date.has_value(), date.value_or(""), ver},
                   st.column_text(0),
                   date.value_or(""),
                   !st.column_is_null(2) && st.column_int(2) == 1 && !st.column_is_null(3) &&
                       st.column_int(3) == 1};
        auto it = best.find(commune);
        if (it == best.end() || it->second.rank < d.rank) best[commune] = std::move(d);
    }

    json districts = json::array(), communes = json::array();
    int total = 0, total_met = 0;
    auto cs = db.prepare("SELECT district_code, district, id, name FROM commune WHERE kind = 'xa' "
                         "ORDER BY district_code, id");
    std::map<std::string, std::tuple<std::string, int, int>> by_district;
    std::vector<std::string> order;
    while (cs.step()) {
        const auto code = cs.column_text(0), commune = cs.column_text(2);
        if (!by_district.count(code)) {
            by_district[code] = {cs.column_text(1), 0, 0};
            order.push_back(code);
        }
        auto& [name, m, t] = by_district[code];
        ++t;
        ++total;
        auto it = best.find(commune);
        const bool met = it != best.end() && it->second.met;
        if (met) {
            ++m;
            ++total_met;
        }
        communes.push_back(
            {{"code", commune},
             {"name", cs.column_text(3)},
             {"district_code", code},
             {"district", cs.column_text(1)},
             {"met", met},
             {"assessment_id", it == best.end() ? json(nullptr) : json(it->second.id)},
             {"decided_on", it == best.end() || it->second.decided_on.empty()
                                ? json(nullptr)
                                : json(it->second.decided_on)}});
    }
    for (const auto& code : order) {
        const auto& [name, m, t] = by_district[code];
        districts.push_back({{"name", name}, {"code", code}, {"met", m}, {"total", t}});
    }
    return {{"year", year},
            {"province", {{"met", total_met}, {"total", total}}},
            {"districts", districts},
            {"communes", communes},
            {"warnings", warnings}};
}

} // namespace noi::server
