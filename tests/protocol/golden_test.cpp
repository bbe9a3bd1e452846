// Golden byte vectors pin the encoding of every message type (docs/protocol.md). A change
// here is a protocol change: bump protocol_version and keep decoding the previous one.
#include "samples.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace noi;

namespace {

const std::map<std::string, std::string> golden = {
#include "golden_vectors.inc"
};

} // namespace

TEST(golden, every_message_type_has_a_pinned_encoding) {
    auto samples = test::sample_messages();
    ASSERT_EQ(samples.size(), 8u);
    for (const auto& [name, m] : samples) {
        auto it = golden.find(name);
        ASSERT_NE(it, golden.end()) << "no golden vector for " << name;
        EXPECT_EQ(test::hex(proto::encode(m)), it->second) << name;
    }
}

TEST(golden, pinned_bytes_decode_to_the_sample_messages) {
    for (const auto& [name, m] : test::sample_messages()) {
        auto r = proto::decode(test::unhex(golden.at(name)));
        ASSERT_TRUE(std::holds_alternative<proto::message>(r)) << name;
        EXPECT_EQ(std::get<proto::message>(r), m) << name;
    }
}

TEST(golden, a_pull_without_the_own_field_asks_for_the_tablets_own_writes_too) {
    // The three-field PULL of tablets from before the field: they get every cell, as then.
    auto r = proto::decode(test::unhex("93052acd01f4"));
    ASSERT_TRUE(std::holds_alternative<proto::message>(r));
    EXPECT_EQ(std::get<proto::message>(r), proto::message(proto::pull{42, 500, true}));
}
