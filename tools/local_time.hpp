// Times for people in the province: Asia/Ho_Chi_Minh, dd/mm/yyyy HH:mm. JSON keeps ISO 8601
// UTC for scripts. Vietnam has kept UTC+7 without daylight saving since 1975, so the offset is
// fixed and needs no time-zone database on the machine.
#pragma once

#include <ctime>
#include <optional>
#include <string>

namespace noi::tools {

inline constexpr long vietnam_offset_s = 7 * 3600;

// "2026-12-02T01:07:44.123Z" → "02/12/2026 08:07"; nullopt for anything else.
inline std::optional<std::string> vietnam_time(const std::string& iso_utc) {
    std::tm tm{};
    if (iso_utc.size() < 20 || iso_utc.back() != 'Z' ||
        !strptime(iso_utc.c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
        return std::nullopt;
    std::time_t t = timegm(&tm) + vietnam_offset_s;
    std::tm local{};
    gmtime_r(&t, &local);
    char buf[32];
    std::strftime(buf, sizeof buf, "%d/%m/%Y %H:%M", &local);
    return buf;
}

// `unix_s` as "2026-12-02-080744" in Vietnam's time: a file name that sorts by time.
inline std::string vietnam_file_time(std::time_t unix_s) {
    const std::time_t t = unix_s + vietnam_offset_s;
    std::tm local{};
    gmtime_r(&t, &local);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d-%H%M%S", &local);
    return buf;
}

} // namespace noi::tools
