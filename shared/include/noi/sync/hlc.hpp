// Hybrid logical clock (DESIGN.md §5): wall-clock milliseconds in the high 48 bits, a counter
// in the low 16. A reading never goes below the floor (the greatest HLC this replica issued or
// received), and a counter overflow carries into the milliseconds by plain addition.
#pragma once

#include <cstdint>
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

inline constexpr std::uint64_t hlc_from_ms(std::int64_t ms) {
    return ms <= 0 ? 0 : static_cast<std::uint64_t>(ms) << 16;
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

    // A fresh reading, strictly above every earlier reading and every observed one.
    std::uint64_t next() {
        auto w = hlc_from_ms(wall_.now_ms() + offset_);
        floor_ = w > floor_ ? w : floor_ + 1;
        return floor_;
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
