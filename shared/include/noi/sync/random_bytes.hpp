// Where a replica's ids come from: the operating system's CSPRNG (getrandom), read a block at a
// time, so that no site id, epoch or row UUID can be predicted from others; or, given a seed,
// a fixed sequence, so that a simulation replays byte for byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>

namespace noi {

class random_bytes {
public:
    explicit random_bytes(std::optional<std::uint64_t> seed);
    // Throws sync_error(refused) when the system has no randomness to give.
    void fill(std::uint8_t* out, std::size_t n);
    std::uint64_t next64();

private:
    std::optional<std::mt19937_64> seeded_;
    std::array<std::uint8_t, 4096> block_{};
    std::size_t used_ = 4096; // bytes of block_ handed out already
};

} // namespace noi
