// The criterion-19 report (docs/design.md §9, rules in docs/admin.md) over the server's data.
#pragma once

#include <noi/sync/server_store.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>

namespace noi::server {

// For `year`: per district and for the province, the communes of kind `xa` (`total`) and those
// that meet it (`met`), each commune with the assessment that decided it, and `warnings` for
// assessments whose decided_on is not an ISO date.
nlohmann::json criterion19_report(server_store& store, std::int64_t year);
// The latest year any assessment is for; nullopt when none is recorded.
std::optional<std::int64_t> latest_assessment_year(server_store& store);

} // namespace noi::server
