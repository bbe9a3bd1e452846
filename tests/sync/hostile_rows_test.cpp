// Issue 28, item 1: a row no replica could receive. A push that would make a row larger than a
// CHANGES can carry with room to spare is quarantined (too_large), a pull ends its batch before
// the message limit, and a row an earlier release let grow that large is passed over by pulls
// and named to the admin, so no row can stop its commune's pulls.
#include "hostile_fixture.hpp"

#include <noi/protocol/codec.hpp>
#include <noi/protocol/row_size.hpp>

using namespace noi;
using noi::test::hostile_fixture;

namespace {

// A text cell of about `kib` KiB, under the decoder's 1 MiB string bound.
std::string text_of(std::size_t kib, char fill) {
    return std::string(kib * 1024, fill);
}

// Every CHANGES the device pulls from cursor 0 until `more` is false (at most `bound` of them),
// each checked to decode under the protocol's default limits, as a tablet decodes it.
std::vector<proto::changes> pull_all(server_store& server, const device& d, int bound = 50) {
    std::vector<proto::changes> out;
    std::uint64_t cursor = 0;
    for (int i = 0; i < bound; ++i) {
        auto ch = server.pull(d, proto::pull{cursor, 0});
        const auto bytes = proto::encode(ch);
        EXPECT_LE(bytes.size(), proto::limits{}.max_message_bytes);
        EXPECT_TRUE(std::holds_alternative<proto::message>(proto::decode(bytes)))
            << "a CHANGES of " << bytes.size() << " bytes does not decode";
        cursor = ch.cursor;
        const bool more = ch.more;
        out.push_back(std::move(ch));
        if (!more) break;
    }
    return out;
}

bool pulled(const std::vector<proto::changes>& batches, const std::string& id) {
    for (const auto& b : batches)
        for (const auto& r : b.rows)
            if (r.id == id) return true;
    return false;
}

} // namespace

TEST_F(hostile_fixture, a_row_too_large_for_a_changes_is_quarantined_and_every_pull_finishes) {
    // Four cells just under the string bound: a PUSH under 4 MiB that no CHANGES could carry.
    auto ack = push_a({row("incident", "i-huge", "01849",
                           {{"summary", text_of(1000, 's')},
                            {"village", text_of(1000, 'v')},
                            {"category", text_of(1000, 'c')},
                            {"stage", text_of(1000, 'g')}}),
                       row("incident", "i-small", "01849", {{"summary", std::string("nhỏ")}})});
    ASSERT_EQ(ack.rejections.size(), 1u);
    EXPECT_EQ(ack.rejections[0].id, "i-huge");
    EXPECT_EQ(ack.rejections[0].reason, proto::reject_reason::too_large);
    EXPECT_NE(ack.rejections[0].message.find("shorten"), std::string::npos);
    EXPECT_EQ(count("SELECT count(*) FROM incident WHERE id = 'i-huge'"), 0);

    device colleague{"tab-a2", "01849", "Xã A, máy 2"};
    server->add_device(colleague);
    auto batches = pull_all(*server, colleague);
    EXPECT_FALSE(batches.back().more);
    EXPECT_TRUE(pulled(batches, "i-small"));
    EXPECT_FALSE(pulled(batches, "i-huge"));
}

TEST_F(hostile_fixture, a_row_grown_past_the_limit_by_updates_is_refused_and_may_still_shrink) {
    ASSERT_TRUE(push_a({row("incident", "i-grow", "01849",
                            {{"summary", text_of(900, 's')}, {"village", text_of(900, 'v')}})})
                    .rejections.empty());
    auto set = [&](const std::string& column, std::string text) {
        return push_a({update("incident", "i-grow", "01849", column, std::move(text))});
    };
    // Each cell alone is small enough; together with the two held they pass the limit.
    auto grown = set("category", text_of(400, 'c'));
    ASSERT_EQ(grown.rejections.size(), 1u);
    EXPECT_EQ(grown.rejections[0].reason, proto::reject_reason::too_large);
    EXPECT_TRUE(set("summary", "đã rút gọn").rejections.empty());
    EXPECT_TRUE(set("category", text_of(400, 'c')).rejections.empty());
}

TEST_F(hostile_fixture, a_pull_ends_its_batch_before_its_size_and_a_large_row_travels_alone) {
    // Rows of 30 KiB around two of about half the message limit (two of them in one CHANGES
    // would pass it).
    std::vector<proto::row_change> rows;
    for (int i = 0; i < 10; ++i) {
        const bool large = i == 5 || i == 6;
        rows.push_back(row("incident", "i-" + std::to_string(i), "01849",
                           {{"summary", text_of(large ? 1000 : 30, 'a')},
                            {"village", text_of(large ? 990 : 0, 'b')}}));
    }
    ASSERT_TRUE(push_a(std::move(rows)).rejections.empty());
    device colleague{"tab-a2", "01849", "Xã A, máy 2"};
    server->add_device(colleague);
    auto batches = pull_all(*server, colleague);
    std::size_t rows_pulled = 0;
    for (const auto& b : batches) {
        for (const auto& r : b.rows)
            rows_pulled += r.table == "incident";
        // The batch's size (server_options::max_pull_bytes) is passed only by a row alone.
        if (b.rows.size() > 1) {
            EXPECT_LE(proto::encode(b).size(), 64u * 1024);
        }
    }
    EXPECT_EQ(rows_pulled, 10u); // and the 108 reference communes
}

TEST(hostile_rows, a_row_an_earlier_release_let_grow_too_large_is_passed_over_and_listed) {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    const device tablet{"tab-a", "01849", "Xã A"}, colleague{"tab-a2", "01849", "Xã A, máy 2"};
    site_id site{};
    site[0] = 0xa;
    // An earlier release took any row: the store is made with no bound, as it was.
    {
        server_options unbounded;
        unbounded.max_row_bytes = ~std::size_t{0};
        auto old = sqlite_store::create(dir.file("server.db"), wall, {1}, unbounded);
        old->add_device(tablet);
        old->add_device(colleague);
        proto::hello h;
        h.site = site;
        h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
        ASSERT_TRUE(std::holds_alternative<proto::welcome>(old->hello(tablet, h)));
        proto::push p{0, 3, {}};
        for (std::uint64_t i = 1; i <= 3; ++i) {
            proto::row_change r;
            r.table = "incident";
            r.id = "i-" + std::to_string(i);
            r.scope = std::string("01849");
            r.seq = i;
            const version v{hlc_from_ms(wall.now_ms()) + i, site};
            r.exists = proto::existence_change{true, v, std::nullopt};
            r.cells.push_back({"commune_code", std::string("01849"), v, std::nullopt});
            r.cells.push_back({"summary", text_of(i == 2 ? 1000 : 1, 'x'), v, std::nullopt});
            if (i == 2)
                for (const char* c : {"village", "category", "stage", "status"})
                    r.cells.push_back({c, text_of(1000, 'y'), v, std::nullopt});
            p.rows.push_back(std::move(r));
        }
        auto ack = old->push(tablet, site, p);
        ASSERT_TRUE(std::holds_alternative<proto::push_ack>(ack));
        ASSERT_TRUE(std::get<proto::push_ack>(ack).rejections.empty());
    }
    auto server = sqlite_store::open(dir.file("server.db"), wall, {1});
    auto batches = pull_all(*server, colleague);
    EXPECT_FALSE(batches.back().more);
    EXPECT_TRUE(pulled(batches, "i-1"));
    EXPECT_FALSE(pulled(batches, "i-2"));
    EXPECT_TRUE(pulled(batches, "i-3"));

    auto listed = server->oversized_rows();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].table, "incident");
    EXPECT_EQ(listed[0].id, "i-2");
    EXPECT_EQ(listed[0].scope, value(std::string("01849")));
    EXPECT_GT(listed[0].bytes, 5u * 1000 * 1024);
    EXPECT_FALSE(listed[0].pulled);
}

TEST(row_size, the_bound_is_never_below_the_encoding) {
    proto::row_change r;
    r.table = "incident";
    r.id = "0193a4f0-0000-7000-8000-000000000001";
    r.scope = std::string("01849");
    r.seq = ~0ull;
    const version v{~0ull, site_id{}};
    r.exists = proto::existence_change{false, v, v};
    r.seen = {v, v, v};
    r.existence_base = v;
    r.cells = {{"summary", std::string(70'000, 'x'), v, v},
               {"persons", std::int64_t{-1} << 62, v, v},
               {"ratio", 0.5, v, std::nullopt},
               {"photo", blob{std::vector<std::uint8_t>(300, 7)}, v, v},
               {"note", value{}, v, v}};
    const auto encoded = proto::encode(proto::changes{{r}, ~0ull, true}).size();
    const auto row_bytes = encoded - proto::encode(proto::changes{{}, ~0ull, true}).size();
    EXPECT_GE(proto::encoded_bound(r), row_bytes);
    // An upper bound, not a loose one: a few bytes of headers per part.
    EXPECT_LE(proto::encoded_bound(r), row_bytes + 200);
    EXPECT_TRUE(proto::fits_alone(r));
    proto::limits tight;
    tight.max_string_bytes = 60'000;
    EXPECT_FALSE(proto::fits_alone(r, tight));
    tight = {};
    tight.max_message_bytes = encoded - 1;
    EXPECT_FALSE(proto::fits_alone(r, tight));
}
