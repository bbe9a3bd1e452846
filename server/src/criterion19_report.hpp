// The criterion-19 report (docs/design.md §9, rules in docs/admin.md) over the server's data.
#pragma once

#include "admin_request.hpp"

#include <noi/sync/server_store.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>

namespace noi::server {

// A commune of the report and the assessment that decided it.
struct c19_commune {
    std::string code, unit, name;
    std::optional<std::string> district_code, district; // none after 1 July 2025
    std::string province_code, province;
    bool met = false;
    std::optional<std::string> assessment_id = std::nullopt, decided_on = std::nullopt;
};

// A district (a province after 1 July 2025): its communes in all and those that met it.
struct c19_group {
    std::string code, name;
    int met = 0, total = 0;
};

struct c19_report {
    std::int64_t year = 0;
    std::string map_of;                  // the day whose map's units are reported
    bool current_geography = false;      // today's units rather than the year's
    bool by_district = false;            // else by province: the map has no districts
    std::vector<std::string> limited_to; // the reader's communes; empty: the whole province
    int met = 0, total = 0;              // the province's, or the limited reader's communes'
    std::vector<c19_group> groups;       // "districts" in JSON, for either grouping
    std::vector<c19_commune> communes;
    std::vector<std::string> warnings;
};

// The report as the API answers it (docs/admin-api.md).
nlohmann::json to_json(const c19_report& r);

// For `year`: per district and for the province, the communes of kind `xa` (`total`) and those
// that meet it (`met`), each commune with the assessment that decided it, and `warnings` for
// assessments whose decided_on is not an ISO date. Only the communes `reader` sees take part:
// for an account limited to some communes, `limited_to` lists them, the districts are theirs,
// and `province` counts them alone, so no figure or warning comes from another commune (for an
// account of the whole province `limited_to` is null).
// The communes are the units of the map at the end of the year (`map_of`), grouped by district
// before 1 July 2025 and by province after (`grouped_by`); with `current_geography`, today's
// units, older assessments counted for the units theirs went into.
c19_report criterion19_report(server_store& store, std::int64_t year, const commune_scope& reader,
                              bool current_geography = false);
// The year a report without one is for: the latest year of an assessment of a commune `reader`
// reads, among years not after the current one in the province (UTC+7); the current year when
// every such assessment is for a later year; nullopt when there is none.
std::optional<std::int64_t> default_report_year(server_store& store, const commune_scope& reader);

} // namespace noi::server
