#include "cell_digest.hpp"

#include <xxhash.h>

#include <bit>

namespace noi {

// XXH3 keyed by the value's type, so that an integer and a text of the same bytes differ.
std::uint64_t cell_digest(const value& v) {
    const auto type = static_cast<XXH64_hash_t>(v.index());
    return std::visit(
        [&](const auto& x) -> std::uint64_t {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return XXH3_64bits_withSeed(nullptr, 0, type);
            } else if constexpr (std::is_same_v<T, std::string>) {
                return XXH3_64bits_withSeed(x.data(), x.size(), type);
            } else if constexpr (std::is_same_v<T, blob>) {
                return XXH3_64bits_withSeed(x.bytes.data(), x.bytes.size(), type);
            } else {
                // Integers and reals by their bits in little-endian order, whatever the host.
                auto bits = std::bit_cast<std::uint64_t>(x);
                unsigned char le[8];
                for (int i = 0; i < 8; ++i)
                    le[i] = static_cast<unsigned char>(bits >> (8 * i));
                return XXH3_64bits_withSeed(le, sizeof le, type);
            }
        },
        v);
}

std::vector<std::uint64_t> cell_digests(const std::vector<value>& values) {
    std::vector<std::uint64_t> out;
    out.reserve(values.size());
    for (const auto& v : values)
        out.push_back(cell_digest(v));
    return out;
}

} // namespace noi
