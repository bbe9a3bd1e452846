// /admin/v1/reports/criterion19 (.csv, .xlsx): the criterion-19 report over the communes the
// reader sees, as JSON and as files for a spreadsheet.
#include "admin_handlers.hpp"
#include "api_query.hpp"
#include "criterion19_report.hpp"
#include "report_files.hpp"

namespace noi::server {

namespace {

// docs/design.md §9 with the rules of criterion19_report.cpp, over the communes the reader sees;
// the report, or the answer that says why there is none.
api_response report_of(admin_request& r, c19_report& report) {
    auto& store = r.store;
    const auto& q = r.q;
    std::optional<std::int64_t> year;
    if (q.count("year")) {
        year = whole_number(q.at("year"));
        if (!year) return error(400, "year must be a number such as 2022");
    } else {
        year = default_report_year(store, r.scope);
    }
    if (!year)
        return error(404, std::string("no assessment has been recorded yet") +
                              (r.scope.communes.empty() ? "" : " for your communes") +
                              "; give --year to report on a year anyway");
    const auto geography = q.count("geography") ? q.at("geography") : std::string("historical");
    if (geography != "historical" && geography != "current")
        return error(400, "geography is historical (the map of the year, the default) or current "
                          "(today's units)");
    report = criterion19_report(store, *year, r.scope, geography == "current");
    return {200, {}};
}

std::string file_name(const c19_report& report) {
    return "tieu-chi-19-" + std::to_string(report.year);
}

} // namespace

api_response report_json(admin_request& r) {
    c19_report report;
    auto a = report_of(r, report);
    if (a.status == 200) a.body = text(to_json(report));
    return a;
}

// ?by_commune=1 for a line per commune, ?bom=0 for scripts.
api_response report_csv(admin_request& r) {
    c19_report report;
    auto a = report_of(r, report);
    if (a.status != 200) return a;
    const bool by_commune = r.q.count("by_commune") && r.q.at("by_commune") == "1";
    const bool bom = !r.q.count("bom") || r.q.at("bom") != "0";
    return {200, criterion19_csv(report, bom, by_commune), std::nullopt, "text/csv; charset=utf-8",
            file_name(report) + (by_commune ? "-xa" : "") + ".csv"};
}

api_response report_xlsx(admin_request& r) {
    c19_report report;
    auto a = report_of(r, report);
    if (a.status != 200) return a;
    return {200, criterion19_xlsx(report), std::nullopt,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            file_name(report) + ".xlsx"};
}

} // namespace noi::server
