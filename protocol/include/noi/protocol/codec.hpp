// Encoding and decoding of protocol messages. Decoding never trusts its input: any byte
// string gives a message or a typed decode_error, and no allocation exceeds what the input
// could hold or the configured bounds.
#pragma once

#include <noi/protocol/messages.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace noi::proto {

enum class decode_errc : std::uint8_t {
    truncated = 1,  // the input ends inside a value
    malformed = 2,  // not msgpack, or trailing bytes after the message
    wrong_type = 3, // a field has the wrong msgpack type or an out-of-range number
    unknown_message = 4,
    unsupported_version = 5,
    too_large = 6, // the message or one of its parts exceeds a bound
};

const char* to_string(decode_errc e);

struct decode_error {
    decode_errc code;
    std::string detail;
};

struct limits {
    std::size_t max_message_bytes = 4u << 20;
    std::size_t max_rows = 10'000;
    std::size_t max_cells_per_row = 256;
    std::size_t max_string_bytes = 1u << 20;
    std::size_t max_depth = 8;
};

std::vector<std::uint8_t> encode(const message& m);

// The ERROR a receiver answers a message it cannot decode with, before it closes: too_large
// for a bound passed, unsupported_version (permanent: the peer must be updated) for a HELLO of
// a version it does not speak, malformed for the rest (a bug in the peer).
error refusal_for(const decode_error& e);

std::variant<message, decode_error> decode(std::span<const std::uint8_t> bytes,
                                           const limits& lim = {});

} // namespace noi::proto
