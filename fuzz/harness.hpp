// What every fuzz target shares: the one time its replicas are made at, messages split out of
// an input, and each input run inside a transaction that is rolled back, so inputs stay
// independent of each other while the replica is made once per process.
#pragma once

#include <noi/protocol/codec.hpp>
#include <noi/sync/database.hpp>
#include <noi/sync/hlc.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace noi::fuzz {

constexpr std::int64_t fixed_now_ms = 1'700'000'000'000;

// Splits an input into messages: each is a 2-byte little-endian length and that many bytes,
// decoded by the real codec. Bytes that do not decode are skipped, so the fuzzer can reach
// deep into a session while still feeding it arbitrary bytes.
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

// Runs `body` inside a transaction of `db` that is rolled back afterwards, whatever it did.
template <class Body> void rolled_back(database& db, Body&& body) {
    db.exec("BEGIN");
    struct undo {
        database& db;
        ~undo() { db.exec("ROLLBACK"); }
    } undo_after{db};
    body();
}

} // namespace noi::fuzz
