#include <noi/sync/dates.hpp>

#include <chrono>
#include <cstdio>

namespace noi {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

int number(std::string_view s) {
    int n = 0;
    for (char c : s)
        n = n * 10 + (c - '0');
    return n;
}

bool real_date(int y, int m, int d) {
    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1) return false;
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

std::string iso(int y, int m, int d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return buf;
}

} // namespace

bool is_date_column(std::string_view name) {
    return ends_with(name, "_on") || ends_with(name, "_end") || ends_with(name, "_ends");
}

// Every captured write of a row with date columns checks them (capture_functions.cpp): kept to
// a few dozen instructions.
bool is_iso_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    int n[10];
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9}) {
        n[i] = s[static_cast<std::size_t>(i)] - '0';
        if (n[i] < 0 || n[i] > 9) return false;
    }
    return real_date(n[0] * 1000 + n[1] * 100 + n[2] * 10 + n[3], n[5] * 10 + n[6],
                     n[8] * 10 + n[9]);
}

std::optional<std::string> read_date(std::string_view s) {
    if (is_iso_date(s)) return std::string(s);
    for (char sep : {'/', '-', '.'}) {
        auto a = s.find(sep);
        if (a == std::string_view::npos) continue;
        auto b = s.find(sep, a + 1);
        if (b == std::string_view::npos) continue;
        auto d = s.substr(0, a), m = s.substr(a + 1, b - a - 1), y = s.substr(b + 1);
        if (d.size() > 2 || m.size() > 2 || y.size() != 4 || !digits(d) || !digits(m) || !digits(y))
            continue;
        if (real_date(number(y), number(m), number(d))) return iso(number(y), number(m), number(d));
    }
    return std::nullopt;
}

std::string date_refusal(std::string_view column, std::string_view value) {
    std::string why = std::string(column) + " must be a date written YYYY-MM-DD (ISO 8601)";
    if (auto d = read_date(value)) return why + ": write " + *d + ", not " + std::string(value);
    return why + ", such as 2026-12-05; " + std::string(value) + " is not one";
}

std::string vietnam_day(std::int64_t unix_ms) {
    using namespace std::chrono;
    const year_month_day d{floor<days>(sys_time<milliseconds>(milliseconds(unix_ms) + hours(7)))};
    return iso(static_cast<int>(d.year()), static_cast<int>(static_cast<unsigned>(d.month())),
               static_cast<int>(static_cast<unsigned>(d.day())));
}

} // namespace noi
