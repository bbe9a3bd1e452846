// Dates in synced tables. A date column (a TEXT column whose name ends in _on, _end or _ends:
// decided_on, occurred_on, term_end, supervision_ends, ...) holds an ISO 8601 calendar date,
// YYYY-MM-DD, so that dates compare as text and every replica reads them alike. The keyboard
// and the server refuse anything else with a reason, never silently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace noi {

// Whether a column of this name and declared TEXT holds dates.
bool is_date_column(std::string_view name);

// Whether s is a real calendar date written YYYY-MM-DD (years 1900 to 2199).
bool is_iso_date(std::string_view s);

// A date as an earlier release let people type it: ISO, or day first as Vietnamese write it
// (dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy). Returns it as YYYY-MM-DD, or nullopt.
std::optional<std::string> read_date(std::string_view s);

// The calendar day in Vietnam (UTC+7) at `unix_ms`, YYYY-MM-DD: the day a province's map is
// read on.
std::string vietnam_day(std::int64_t unix_ms);

// The sentence a refusal gives for `value` in `column`.
std::string date_refusal(std::string_view column, std::string_view value);

} // namespace noi
