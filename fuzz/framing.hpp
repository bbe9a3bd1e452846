// Splits a fuzz input into messages: each is a 2-byte little-endian length and that many
// bytes, decoded by the real codec. Bytes that do not decode are skipped, so the fuzzer can
// reach deep into a session while still feeding it arbitrary bytes.
#pragma once

#include <noi/protocol/codec.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace noi::fuzz {

inline std::vector<proto::message> split_messages(const std::uint8_t* data, std::size_t size) {
    std::vector<proto::message> out;
    std::size_t at = 0;
    while (at + 2 <= size) {
        std::size_t len = data[at] | (static_cast<std::size_t>(data[at + 1]) << 8);
        at += 2;
        len = std::min(len, size - at);
        auto decoded = proto::decode({data + at, len});
        if (auto* m = std::get_if<proto::message>(&decoded)) out.push_back(std::move(*m));
        at += len;
    }
    return out;
}

} // namespace noi::fuzz
