#include "samples.hpp"

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <random>

using namespace noi;
using namespace noi::proto;

namespace {

decode_errc error_of(const std::vector<std::uint8_t>& bytes, const limits& lim = {}) {
    auto r = decode(bytes, lim);
    EXPECT_TRUE(std::holds_alternative<decode_error>(r));
    return std::holds_alternative<decode_error>(r) ? std::get<decode_error>(r).code
                                                   : decode_errc::malformed;
}

std::vector<std::uint8_t> pack_object(const auto& obj) {
    msgpack::sbuffer buf;
    msgpack::pack(buf, obj);
    return {reinterpret_cast<const std::uint8_t*>(buf.data()),
            reinterpret_cast<const std::uint8_t*>(buf.data()) + buf.size()};
}

} // namespace

TEST(codec, every_message_round_trips) {
    for (const auto& [name, m] : test::sample_messages()) {
        auto bytes = encode(m);
        auto back = decode(bytes);
        ASSERT_TRUE(std::holds_alternative<message>(back))
            << name << ": " << std::get<decode_error>(back).detail;
        EXPECT_EQ(std::get<message>(back), m) << name;
    }
}

TEST(codec, vietnamese_text_round_trips_byte_for_byte) {
    auto r = test::sample_row();
    r.cells[0].val = std::string("Nguyễn Thị Minh Khai — Tiếng mõ an ninh trật tự");
    auto back = std::get<message>(decode(encode(changes{{r}, 1, false})));
    EXPECT_EQ(std::get<std::string>(std::get<changes>(back).rows[0].cells[0].val),
              "Nguyễn Thị Minh Khai — Tiếng mõ an ninh trật tự");
}

TEST(codec, a_real_with_an_integral_value_stays_a_real) {
    auto r = test::sample_row();
    for (double d : {3.0, -819200.0, 0.0, 1e18}) {
        r.cells[0].val = d;
        auto back = std::get<message>(decode(encode(changes{{r}, 1, false})));
        const auto& v = std::get<changes>(back).rows[0].cells[0].val;
        ASSERT_TRUE(std::holds_alternative<double>(v)) << d;
        EXPECT_EQ(std::get<double>(v), d);
    }
}

TEST(codec, a_nan_is_refused_because_no_replica_could_store_it) {
    auto r = test::sample_row();
    r.cells[0].val = std::numeric_limits<double>::quiet_NaN();
    EXPECT_TRUE(std::holds_alternative<decode_error>(decode(encode(changes{{r}, 1, false}))));
}

TEST(codec, every_truncation_is_a_typed_error) {
    for (const auto& [name, m] : test::sample_messages()) {
        auto bytes = encode(m);
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
            auto r = decode(cut);
            ASSERT_TRUE(std::holds_alternative<decode_error>(r)) << name << " cut at " << n;
        }
    }
}

TEST(codec, trailing_bytes_are_malformed) {
    auto bytes = encode(notify{1});
    bytes.push_back(0xc0);
    EXPECT_EQ(error_of(bytes), decode_errc::malformed);
}

TEST(codec, unknown_message_type_is_reported) {
    EXPECT_EQ(error_of(pack_object(std::vector<int>{99, 1})), decode_errc::unknown_message);
}

TEST(codec, unsupported_protocol_version_is_reported) {
    auto h = std::get<hello>(test::sample_messages()[0].second);
    h.version = 99;
    EXPECT_EQ(error_of(encode(h)), decode_errc::unsupported_version);
}

TEST(codec, wrong_field_types_are_reported) {
    EXPECT_EQ(error_of(pack_object(std::vector<std::string>{"x"})), decode_errc::wrong_type);
    EXPECT_EQ(error_of(pack_object(std::make_tuple(7, "not a number"))), decode_errc::wrong_type);
    EXPECT_EQ(error_of(pack_object(std::make_tuple(5, -1, 10))), decode_errc::wrong_type);
    EXPECT_EQ(error_of(pack_object(42)), decode_errc::wrong_type);
    EXPECT_EQ(error_of(pack_object(std::vector<int>{})), decode_errc::wrong_type);
    // A PUSH whose range runs backwards.
    EXPECT_EQ(error_of(encode(push{10, 5, {}})), decode_errc::wrong_type);
}

TEST(codec, a_tiny_input_claiming_a_huge_array_allocates_nothing_big) {
    // 0xdd: array 32 with 2^32-1 elements, in five bytes.
    EXPECT_NE(error_of({0xdd, 0xff, 0xff, 0xff, 0xff}), decode_errc::unknown_message);
    // str 32 and bin 32 claiming 4 GiB.
    EXPECT_NE(error_of({0x92, 0x07, 0xdb, 0xff, 0xff, 0xff, 0xff}), decode_errc::unknown_message);
    EXPECT_NE(error_of({0x92, 0x07, 0xc6, 0xff, 0xff, 0xff, 0xff}), decode_errc::unknown_message);
    // map 32 claiming 4 billion pairs.
    EXPECT_NE(error_of({0xdf, 0xff, 0xff, 0xff, 0xff}), decode_errc::unknown_message);
}

TEST(codec, oversized_messages_and_parts_are_refused) {
    limits small;
    small.max_message_bytes = 16;
    EXPECT_EQ(error_of(encode(test::sample_messages()[2].second), small), decode_errc::too_large);
    limits few_rows;
    few_rows.max_rows = 1;
    EXPECT_EQ(error_of(encode(test::sample_messages()[2].second), few_rows),
              decode_errc::too_large);
    limits deep;
    deep.max_depth = 2;
    EXPECT_EQ(error_of(encode(test::sample_messages()[2].second), deep), decode_errc::too_large);
}

TEST(codec, random_bytes_never_crash) {
    std::mt19937 rng(12345);
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::uint8_t> b(rng() % 64);
        for (auto& x : b)
            x = static_cast<std::uint8_t>(rng());
        (void)decode(b);
    }
    // Mutations of valid messages reach deeper into the decoder.
    auto msgs = test::sample_messages();
    for (int i = 0; i < 20000; ++i) {
        auto b = encode(msgs[rng() % msgs.size()].second);
        for (int k = 0; k < 3; ++k)
            b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
        (void)decode(b);
    }
    SUCCEED();
}

TEST(codec, an_undecodable_message_gets_the_error_its_failure_names) {
    const auto too_large = proto::refusal_for({proto::decode_errc::too_large, "too many rows"});
    EXPECT_EQ(too_large.code, proto::error_code::too_large);
    EXPECT_EQ(too_large.cond, proto::condition::protocol);
    const auto version =
        proto::refusal_for({proto::decode_errc::unsupported_version, "protocol version 9"});
    EXPECT_EQ(version.code, proto::error_code::unsupported_version);
    EXPECT_EQ(version.cond, proto::condition::permanent) << "an update fixes it, not a retry";
    EXPECT_EQ(
        version.supported_versions,
        (std::vector<std::uint32_t>{proto::oldest_supported_version, proto::protocol_version}));
    for (auto c : {proto::decode_errc::truncated, proto::decode_errc::malformed,
                   proto::decode_errc::wrong_type, proto::decode_errc::unknown_message}) {
        const auto e = proto::refusal_for({c, "x"});
        EXPECT_EQ(e.code, proto::error_code::malformed) << proto::to_string(c);
        EXPECT_EQ(e.cond, proto::condition::protocol);
    }
}
