// The system wall clock and time formatting.
#include <noi/sync/hlc.hpp>

#include <chrono>
#include <cstdio>

namespace noi {

std::int64_t system_clock::now_ms() const {
    using namespace std::chrono;
    return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// By the civil calendar of <chrono>, not gmtime: a 32-bit time_t (armhf tablets) ends in 2038.
std::string iso8601_ms(std::int64_t ms) {
    using namespace std::chrono;
    const sys_time<milliseconds> t{milliseconds{ms}};
    const auto day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss<milliseconds> time{t - day};
    char buf[80];
    std::snprintf(
        buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
        static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
        static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
    return buf;
}

} // namespace noi
