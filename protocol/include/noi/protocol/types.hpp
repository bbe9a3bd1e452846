// The vocabulary every layer shares: site ids, versions and cell values.
// Invariant: versions are totally ordered by (hlc, site), so last-writer-wins is deterministic.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace noi {

// A replica's random identity, made once at init.
using site_id = std::array<std::uint8_t, 16>;

std::string to_hex(std::span<const std::uint8_t> bytes);
inline std::string to_hex(const site_id& s) {
    return to_hex(std::span<const std::uint8_t>(s));
}

// The version of a cell: a hybrid logical clock reading and the site that wrote it.
struct version {
    std::uint64_t hlc = 0;
    site_id site{};

    friend auto operator<=>(const version&, const version&) = default;
    friend bool operator==(const version&, const version&) = default;
};

struct blob {
    std::vector<std::uint8_t> bytes;
    friend auto operator<=>(const blob&, const blob&) = default;
    friend bool operator==(const blob&, const blob&) = default;
};

// A cell value with SQLite's storage classes. Integers and reals are distinct, as in SQLite.
using value = std::variant<std::monostate, std::int64_t, double, std::string, blob>;

inline bool is_null(const value& v) {
    return std::holds_alternative<std::monostate>(v);
}

// Equal values never make a conflict; NaN never reaches us because SQLite stores it as NULL.
inline bool same_value(const value& a, const value& b) {
    return a == b;
}

} // namespace noi
