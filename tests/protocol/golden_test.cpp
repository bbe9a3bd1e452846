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

TEST(golden, a_hello_and_welcome_without_the_rejected_lists_mean_none) {
    // The nine-field HELLO and seven-field WELCOME of releases before the lists.
    auto h = proto::decode(test::unhex("990101c4100102030405060708090a0b0c0d0e0f1001a96e6f692f302e"
                                       "312e30cf0000018bcfe568000ccf0000018bcf4cd18004"));
    ASSERT_TRUE(std::holds_alternative<proto::message>(h));
    auto hello = std::get<proto::hello>(std::get<proto::message>(h));
    EXPECT_TRUE(hello.rejected.empty());
    EXPECT_EQ(hello.confirmed_rejection, 4u);
    auto w = proto::decode(test::unhex(
        "970201cf0000018bcfe569f4a53031383439c410090a0b0c0d0e0f10111213141516171805919603a7636f6d"
        "6d756e65a530313834390204d922636f6d6d756e652069732070726f76696e6365207265666572656e636520"
        "64617461"));
    ASSERT_TRUE(std::holds_alternative<proto::message>(w));
    auto welcome = std::get<proto::welcome>(std::get<proto::message>(w));
    EXPECT_TRUE(welcome.settled.empty());
    EXPECT_EQ(welcome.rejections.size(), 1u);
}

TEST(golden, a_welcome_without_the_schema_fields_names_no_schema) {
    // The eight-field WELCOME of servers before schema versions: version 0, nothing to adopt.
    auto w = proto::decode(test::unhex(
        "980201cf0000018bcfe569f4a53031383439c410090a0b0c0d0e0f10111213141516171805919603a7636f6d"
        "6d756e65a530313834390204d922636f6d6d756e652069732070726f76696e6365207265666572656e636520"
        "646174619103"));
    ASSERT_TRUE(std::holds_alternative<proto::message>(w));
    auto welcome = std::get<proto::welcome>(std::get<proto::message>(w));
    EXPECT_EQ(welcome.settled, std::vector<std::uint64_t>{3});
    EXPECT_EQ(welcome.schema_version, 0u);
    EXPECT_FALSE(welcome.schema.has_value());
}

TEST(golden, a_hello_and_welcome_without_the_scope_fields_mean_a_scope_that_never_changed) {
    // The ten-field HELLO and WELCOME of releases before the map could change (and of today's,
    // when there is nothing to say): no scope held, and the device reads its scope alone.
    auto h = proto::decode(test::unhex("9a0101c4100102030405060708090a0b0c0d0e0f1001a96e6f692f302e"
                                       "312e30cf0000018bcfe568000ccf0000018bcf4cd18004920304"));
    ASSERT_TRUE(std::holds_alternative<proto::message>(h));
    auto hello = std::get<proto::hello>(std::get<proto::message>(h));
    EXPECT_EQ(hello.rejected, (std::vector<std::uint64_t>{3, 4}));
    EXPECT_TRUE(hello.scope.empty());
    auto w = proto::decode(test::unhex(
        "9a0201cf0000018bcfe569f4a53031383439c410090a0b0c0d0e0f10111213141516171805919603a7636f6d"
        "6d756e65a530313834390204d922636f6d6d756e652069732070726f76696e6365207265666572656e636520"
        "6461746191030292299193ad626f726465725f706174726f6cac636f6d6d756e655f636f64659292ac636f6d"
        "6d756e655f636f6465a45445585492a5726f757465a454455854"));
    ASSERT_TRUE(std::holds_alternative<proto::message>(w));
    auto welcome = std::get<proto::welcome>(std::get<proto::message>(w));
    EXPECT_EQ(welcome.scope, "01849");
    EXPECT_TRUE(welcome.units.empty());
    EXPECT_TRUE(welcome.schema.has_value());
}

TEST(golden, a_hello_without_answers_answers_nothing_and_one_with_a_new_answer_is_read) {
    // The twelve-field HELLO of releases before a tablet could answer its rejected rows.
    auto h = proto::decode(test::unhex("9c0101c4100102030405060708090a0b0c0d0e0f1001a96e6f692f302e"
                                       "312e30cf0000018bcfe568000ccf0000018bcf4cd18004920304a530"
                                       "3138343902"));
    ASSERT_TRUE(std::holds_alternative<proto::message>(h));
    auto hello = std::get<proto::hello>(std::get<proto::message>(h));
    EXPECT_EQ(hello.scope, "01849");
    EXPECT_TRUE(hello.answered.empty());
    // An answer a later release adds (9) is carried as its number, for the server to pass over.
    h = proto::decode(test::unhex("9d0101c4100102030405060708090a0b0c0d0e0f1001a96e6f692f302e312e"
                                  "30cf0000018bcfe568000ccf0000018bcf4cd18004920304a00091920309"));
    ASSERT_TRUE(std::holds_alternative<proto::message>(h));
    hello = std::get<proto::hello>(std::get<proto::message>(h));
    ASSERT_EQ(hello.answered.size(), 1u);
    EXPECT_EQ(hello.answered[0].quarantine_id, 3u);
    EXPECT_EQ(static_cast<int>(hello.answered[0].answer), 9);
    EXPECT_FALSE(hello.confirmed_conflict) << "a tablet that hears no conflicts is sent none";
}

TEST(golden, a_welcome_before_conflict_notices_tells_none) {
    // The twelve-field WELCOME of releases before them (and of today's to such a tablet).
    auto w = proto::decode(test::unhex(
        "9c0201cf0000018bcfe569f4a53031383439c410090a0b0c0d0e0f10111213141516171805919603a7636f6d"
        "6d756e65a530313834390204d922636f6d6d756e652069732070726f76696e6365207265666572656e636520"
        "6461746191030292299193ad626f726465725f706174726f6cac636f6d6d756e655f636f64659292ac636f6d"
        "6d756e655f636f6465a45445585492a5726f757465a45445585492a53031383439a5303139383402"));
    ASSERT_TRUE(std::holds_alternative<proto::message>(w));
    const auto welcome = std::get<proto::welcome>(std::get<proto::message>(w));
    EXPECT_EQ(welcome.scope_version, 2u);
    EXPECT_TRUE(welcome.conflicts.empty());
    EXPECT_EQ(welcome.conflict_head, 0u) << "the tablet's confirmed conflict does not move";
}

TEST(golden, each_message_names_its_own_wire_number) {
    // Fixed forever (docs/protocol.md): a retired message leaves its number unused.
    const std::map<std::string, int> numbers = {{"hello", 1},    {"welcome", 2}, {"push", 3},
                                                {"push_ack", 4}, {"pull", 5},    {"changes", 6},
                                                {"notify", 7},   {"error", 8}};
    for (const auto& [name, m] : test::sample_messages()) {
        EXPECT_EQ(static_cast<int>(proto::type_of(m)), numbers.at(name)) << name;
        EXPECT_EQ(test::unhex(golden.at(name)).at(1), numbers.at(name)) << name;
    }
}

TEST(golden, a_schema_offer_without_labels_means_none) {
    // The WELCOME of a server before labels: its schema offer has two fields.
    auto w = proto::decode(test::unhex(
        "9e0201cf0000018bcfe569f4a53031383439c410090a0b0c0d0e0f10111213141516171805919603a7636f6d"
        "6d756e65a530313834390204d922636f6d6d756e652069732070726f76696e6365207265666572656e636520"
        "6461746191030292299193ad626f726465725f706174726f6cac636f6d6d756e655f636f64659292ac636f6d"
        "6d756e655f636f6465a45445585492a5726f757465a45445585492a53031383439a5303139383402929605a9"
        "686f757365686f6c64a26831a76d656d62657273c3049606a9686f757365686f6c64a26832c0c20106"));
    ASSERT_TRUE(std::holds_alternative<proto::message>(w));
    const auto& offer = std::get<proto::welcome>(std::get<proto::message>(w)).schema;
    ASSERT_TRUE(offer.has_value());
    EXPECT_EQ(offer->tables.size(), 1u);
    EXPECT_TRUE(offer->labels.empty());
}
