// Hybrid logical clock (docs/design.md §5): wall-clock milliseconds in the high 48 bits, a counter
// in the low 16. A reading never goes below the floor (the greatest HLC this replica issued or
// received), and a counter overflow carries into the milliseconds by plain addition. The clock
// never wraps: at the greatest HLC it refuses to issue another reading.
#pragma once

#include <noi/sync/error.hpp>

#include <cstdint>
#include <limits>
#include <string>

namespace noi {

// The wall clock, injected so that tests and the simulation control time.
class wall_clock {
public:
    virtual ~wall_clock() = default;
    virtual std::int64_t now_ms() const = 0;
};

class system_clock final : public wall_clock {
public:
    std::int64_t now_ms() const override;
};

// A clock the test moves by hand.
class manual_clock final : public wall_clock {
public:
    explicit manual_clock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
    std::int64_t now_ms() const override { return now_; }
    void advance(std::int64_t ms) { now_ += ms; }
    void set(std::int64_t ms) { now_ = ms; }

private:
    std::int64_t now_;
};

// The greatest wall time an HLC holds (48 bits of milliseconds: the year 10889).
inline constexpr std::uint64_t hlc_max_ms = (std::uint64_t{1} << 48) - 1;

// The wall times a server's clock can sensibly read (2020-01-01 to 2100-01-01 UTC). A tablet
// does not set its clock by a server reading outside them: a clock pushed to the year 10889 by
// a hostile device would otherwise spread to every tablet.
inline constexpr std::int64_t sane_clock_min_ms = 1'577'836'800'000;
inline constexpr std::int64_t sane_clock_max_ms = 4'102'444'800'000;
inline constexpr bool is_sane_clock(std::int64_t ms) {
    return ms >= sane_clock_min_ms && ms < sane_clock_max_ms;
}

// The greatest HLC of all: hlc_max_ms with a full counter.
inline constexpr std::uint64_t hlc_max = std::numeric_limits<std::uint64_t>::max();

// Saturates at hlc_max_ms: a reading past the year 10889 would otherwise lose its high bits.
inline constexpr std::uint64_t hlc_from_ms(std::int64_t ms) {
    if (ms <= 0) return 0;
    const auto m = static_cast<std::uint64_t>(ms);
    return (m > hlc_max_ms ? hlc_max_ms : m) << 16;
}
inline constexpr std::int64_t hlc_to_ms(std::uint64_t hlc) {
    return static_cast<std::int64_t>(hlc >> 16);
}

// ISO 8601 UTC with milliseconds, e.g. 2026-11-29T05:33:18.123Z.
std::string iso8601_ms(std::int64_t ms);

class hlc_clock {
public:
    explicit hlc_clock(const wall_clock& wall, std::int64_t offset_ms = 0)
        : wall_(wall), offset_(offset_ms) {}

    // A fresh reading, strictly above every earlier reading and every observed one. Throws
    // sync_error(clock_exhausted) instead of wrapping to 0 once the floor is at hlc_max: only a
    // database poisoned before stamps were bounded gets there (noi-server repair-clock).
    std::uint64_t next() {
        auto w = hlc_from_ms(wall_.now_ms() + offset_);
        if (w > floor_) return floor_ = w;
        if (floor_ == hlc_max)
            throw sync_error(errc::clock_exhausted,
                             "the clock has reached the greatest time it can hold (year 10889), so "
                             "it cannot stamp another change; a stamp from a broken or hostile "
                             "device got in: run noi-server repair-clock (docs/operations.md)");
        return ++floor_;
    }
    void observe(std::uint64_t h) {
        if (h > floor_) floor_ = h;
    }
    std::uint64_t floor() const { return floor_; }
    // Lowers the floor: only for re-stamping after the server refused a clock (§5).
    void reset_floor(std::uint64_t h) { floor_ = h; }
    void set_offset(std::int64_t ms) { offset_ = ms; }
    std::int64_t offset() const { return offset_; }
    std::int64_t wall_ms() const { return wall_.now_ms(); }
    std::int64_t corrected_ms() const { return wall_.now_ms() + offset_; }

private:
    const wall_clock& wall_;
    std::int64_t offset_;
    std::uint64_t floor_ = 0;
};

} // namespace noi
