// The rules of HELLO and PUSH that read no storage (shared/src/session_rules.hpp).
#include "session_rules.hpp"

#include <gtest/gtest.h>

using namespace noi;
using proto::error_code;

namespace {

proto::row_change row_at(std::uint64_t seq, std::uint64_t hlc, const site_id& by) {
    proto::row_change r;
    r.table = "household";
    const auto n = std::to_string(seq); // named: see store_invariants_test.cpp
    r.id = "h" + n;
    r.seq = seq;
    r.cells = {{"members", std::int64_t{4}, version{hlc, by}, std::nullopt}};
    return r;
}

} // namespace

TEST(session_rules, a_hello_from_the_server_s_own_ids_or_ahead_of_its_schema_is_refused) {
    site_id server{}, tablet{};
    server.fill(1);
    tablet.fill(7);
    proto::hello h;
    h.site = tablet;
    h.schema_version = 2;
    EXPECT_FALSE(reserved_site(h, server));
    EXPECT_FALSE(schema_ahead(h, 2));
    auto ahead = schema_ahead(h, 1);
    ASSERT_TRUE(ahead);
    EXPECT_EQ(ahead->code, error_code::schema_ahead);
    EXPECT_NE(ahead->message.find("version 2 but the server's is 1"), std::string::npos);
    for (const auto& s : {server, site_id{}}) {
        h.site = s;
        auto refused = reserved_site(h, server);
        ASSERT_TRUE(refused);
        EXPECT_EQ(refused->code, error_code::site_bound_elsewhere);
        EXPECT_EQ(refused->cond, proto::condition::permanent);
    }
}

TEST(session_rules, only_the_pushing_site_s_stamps_past_the_bound_refuse_a_push) {
    site_id mine{}, other{};
    mine.fill(7);
    other.fill(8);
    proto::push p;
    p.rows = {row_at(1, 500, mine), row_at(2, 900, other)};
    EXPECT_FALSE(clock_ahead(p, mine, 600, 600'000)) << "another site's stamp is quarantined";
    p.rows.push_back(row_at(3, 700, mine));
    auto refused = clock_ahead(p, mine, 600, 600'000);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->code, error_code::clock_ahead);
    EXPECT_NE(refused->message.find("600 s"), std::string::npos);
}

TEST(session_rules, a_push_applies_the_rows_above_the_acknowledged_in_order_once) {
    site_id mine{};
    mine.fill(7);
    proto::push p;
    p.from_seq = 3;
    p.to_seq = 6;
    p.rows = {row_at(6, 1, mine), row_at(2, 1, mine), row_at(4, 1, mine), row_at(7, 1, mine),
              row_at(5, 1, mine)};
    EXPECT_FALSE(sequence_gap(p, 3));
    auto gap = sequence_gap(p, 2);
    ASSERT_TRUE(gap);
    EXPECT_EQ(gap->code, error_code::sequence_gap);
    EXPECT_NE(gap->message.find("holds up to 2"), std::string::npos);
    std::vector<std::uint64_t> seqs;
    for (const auto* r : rows_to_apply(p, 4))
        seqs.push_back(r->seq);
    EXPECT_EQ(seqs, (std::vector<std::uint64_t>{5, 6})) << "above 4, up to 6, in order";
    EXPECT_TRUE(rows_to_apply(p, 6).empty()) << "a replayed batch applies nothing";
    EXPECT_EQ(push_before_hello().code, error_code::unexpected_message);
    EXPECT_EQ(site_busy().cond, proto::condition::transient);
    EXPECT_EQ(device_revoked().code, error_code::unknown_device);
    EXPECT_EQ(device_revoked().cond, proto::condition::permanent);
}
