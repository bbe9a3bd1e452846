#include <noi/protocol/msgpack_values.hpp>

#include <cmath>
#include <cstring>
#include <limits>

namespace noi::proto {
namespace {

// msgpack-c's pack_double writes a double with an integral value as an integer, which turns
// REAL 3.0 into INTEGER 3 on the other side (found by fuzzing the codec). A REAL is always
// written as float 64: the format byte and the big-endian bits, appended raw.
void pack_float64(packer& p, double x) {
    std::uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    char out[9];
    out[0] = static_cast<char>(0xcb);
    for (int i = 0; i < 8; ++i)
        out[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
    p.pack_bin_body(out, sizeof out);
}

} // namespace

void pack_value(packer& p, const value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                p.pack_nil();
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                p.pack_int64(x);
            } else if constexpr (std::is_same_v<T, double>) {
                pack_float64(p, x);
            } else if constexpr (std::is_same_v<T, std::string>) {
                pack_string(p, x);
            } else {
                p.pack_bin(static_cast<std::uint32_t>(x.bytes.size()));
                p.pack_bin_body(reinterpret_cast<const char*>(x.bytes.data()),
                                static_cast<std::uint32_t>(x.bytes.size()));
            }
        },
        v);
}

void pack_string(packer& p, std::string_view s) {
    p.pack_str(static_cast<std::uint32_t>(s.size()));
    p.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void pack_version(packer& p, const version& v) {
    p.pack_array(2);
    p.pack_uint64(v.hlc);
    p.pack_bin(16);
    p.pack_bin_body(reinterpret_cast<const char*>(v.site.data()), 16);
}

std::optional<value> unpack_value(const msgpack::object& o) {
    switch (o.type) {
    case msgpack::type::NIL:
        return value{};
    case msgpack::type::POSITIVE_INTEGER:
        if (o.via.u64 > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return std::nullopt;
        return value{static_cast<std::int64_t>(o.via.u64)};
    case msgpack::type::NEGATIVE_INTEGER:
        return value{o.via.i64};
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
        // SQLite stores NaN as NULL, and NaN equals nothing: no replica could hold it as sent.
        if (std::isnan(o.via.f64)) return std::nullopt;
        return value{o.via.f64};
    case msgpack::type::STR:
        return value{std::string(o.via.str.ptr, o.via.str.size)};
    case msgpack::type::BIN: {
        auto p = reinterpret_cast<const std::uint8_t*>(o.via.bin.ptr);
        return value{blob{std::vector<std::uint8_t>(p, p + o.via.bin.size)}};
    }
    default:
        return std::nullopt;
    }
}

std::optional<version> unpack_version(const msgpack::object& o) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 2) return std::nullopt;
    const auto& h = o.via.array.ptr[0];
    const auto& s = o.via.array.ptr[1];
    if (h.type != msgpack::type::POSITIVE_INTEGER || s.type != msgpack::type::BIN ||
        s.via.bin.size != 16)
        return std::nullopt;
    version v;
    v.hlc = h.via.u64;
    std::memcpy(v.site.data(), s.via.bin.ptr, 16);
    return v;
}

} // namespace noi::proto
