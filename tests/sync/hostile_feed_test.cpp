// Issue 28, items 2 and 3: refused writes must not fill other devices' feeds, a pull never pages
// through superseded entries, and the quarantine counts and bounds everything it stores.
#include "hostile_fixture.hpp"

using namespace noi;
using noi::test::hostile_fixture;

namespace {

// PULLs a device needs from cursor 0 until `more` is false (at most `bound`), and the rows.
struct pulled_all {
    int pulls = 0;
    std::vector<proto::row_change> rows;
};

pulled_all pull_all(server_store& server, const device& d, const std::optional<site_id>& site,
                    int bound = 5000) {
    pulled_all out;
    std::uint64_t cursor = 0;
    for (; out.pulls < bound;) {
        auto ch = server.pull(d, proto::pull{cursor, 0, false}, site);
        ++out.pulls;
        cursor = ch.cursor;
        for (auto& r : ch.rows)
            out.rows.push_back(std::move(r));
        if (!ch.more) break;
    }
    return out;
}

std::size_t rows_of(const pulled_all& p, const std::string& id) {
    return static_cast<std::size_t>(std::count_if(
        p.rows.begin(), p.rows.end(), [&](const proto::row_change& r) { return r.id == id; }));
}

} // namespace

TEST_F(hostile_fixture, refused_writes_to_reference_rows_are_answered_to_the_pusher_alone) {
    device newcomer{"tab-new", "01852", "Xã B, máy mới"};
    server->add_device(newcomer);
    const auto before = pull_all(*server, newcomer, std::nullopt);

    // A commune tablet rewrites the reference row of its own commune again and again.
    for (int i = 0; i < 300; ++i) {
        auto r = row("commune", "01849", "", {{"name", std::string("Xã đổi tên")}});
        r.exists.reset();
        auto ack = push_a({r});
        ASSERT_EQ(ack.rejections.size(), 1u);
        EXPECT_EQ(ack.rejections[0].reason, proto::reject_reason::global_table);
    }
    // Another commune's new tablet pages through nothing more than before.
    const auto after = pull_all(*server, newcomer, std::nullopt);
    EXPECT_EQ(after.pulls, before.pulls);
    EXPECT_EQ(after.rows.size(), before.rows.size());
    EXPECT_EQ(rows_of(after, "01849"), 1u);

    // The pusher gets the server's row back, whole, once.
    const auto mine = pull_all(*server, dev_a, site_a);
    ASSERT_EQ(rows_of(mine, "01849"), 2u); // its bootstrap entry, and the answer
    const auto& answer = *std::find_if(mine.rows.rbegin(), mine.rows.rend(),
                                       [](const auto& r) { return r.id == "01849"; });
    const auto name = std::find_if(answer.cells.begin(), answer.cells.end(),
                                   [](const auto& c) { return c.column == "name"; });
    ASSERT_NE(name, answer.cells.end());
    EXPECT_EQ(name->val, value(std::string("Xã Dương Quang")));
    EXPECT_EQ(count("SELECT count(*) FROM noi_feed WHERE only_site IS NOT NULL AND dead IS NULL"),
              1);
}

TEST_F(hostile_fixture, collapsed_repeats_of_a_refused_row_count_against_the_quota) {
    server_options so;
    so.max_quarantine_rows_per_device = 50;
    restart(so);
    std::optional<proto::error> refused;
    for (int i = 0; i < 60 && !refused; ++i) {
        auto r = row("commune", "01849", "", {{"name", std::string("lần ") + std::to_string(i)}});
        proto::push p{r.seq - 1, r.seq, {r}};
        auto res = server->push(dev_a, site_a, p);
        if (auto* e = std::get_if<proto::error>(&res)) refused = *e;
    }
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->code, proto::error_code::quota_exceeded);
    EXPECT_EQ(count("SELECT count(*) FROM noi_quarantine"), 1);
    EXPECT_EQ(count("SELECT repeats FROM noi_quarantine"), 50);
}

TEST_F(hostile_fixture, a_pull_never_pages_through_superseded_entries) {
    ASSERT_TRUE(push_a({row("incident", "i-1", "01849", {{"summary", std::string("bản 0")}})})
                    .rejections.empty());
    std::uint64_t last = 0;
    for (int i = 1; i <= 2000; ++i) {
        auto r = update("incident", "i-1", "01849", "summary", "bản " + std::to_string(i));
        last = r.cells[0].ver.hlc;
        ASSERT_TRUE(push_a({r}).rejections.empty());
    }
    EXPECT_GE(count("SELECT count(*) FROM noi_feed WHERE dead = 1"), 1999);
    device newcomer{"tab-a2", "01849", "Xã A, máy 2"};
    server->add_device(newcomer);
    const auto p = pull_all(*server, newcomer, std::nullopt);
    // 108 communes and one incident: one PULL, where 2,000 dead entries took five.
    EXPECT_EQ(p.pulls, 1);
    ASSERT_EQ(rows_of(p, "i-1"), 2u); // its insert (the commune cell) and its newest summary
    bool newest = false;
    for (const auto& r : p.rows)
        for (const auto& c : r.cells)
            newest |= r.id == "i-1" && c.column == "summary" &&
                      c.val == value(std::string("bản 2000")) && c.ver.hlc == last;
    EXPECT_TRUE(newest);
}

TEST_F(hostile_fixture, the_quarantine_bounds_and_counts_every_field_and_sends_no_discarded_entry) {
    server_options so;
    so.max_quarantine_bytes_per_device = 16 * 1024;
    restart(so);
    const std::string huge(1'000'000, 'x');
    auto ack = push_a({row(huge, "x1", "01849", {}), row("incident", huge, "01852", {}),
                       row("incident", "i-b", "01852", {{huge.substr(0, 1000), value{}}})});
    ASSERT_EQ(ack.rejections.size(), 3u);
    for (const auto& rej : ack.rejections) {
        EXPECT_LE(rej.table.size(), 256u);
        EXPECT_LE(rej.id.size(), 1024u);
        EXPECT_LE(rej.message.size(), 2048u);
    }
    EXPECT_LE(count("SELECT max(length(tbl) + length(row_id) + length(message)) FROM "
                    "noi_quarantine"),
              256 + 1024 + 2048);
    // The names and messages alone (no payload is over 64 KiB here) reach the byte quota.
    for (int i = 0; i < 10; ++i) {
        auto r = row("incident", huge.substr(0, 900) + std::to_string(i), "01852", {});
        auto res = server->push(dev_a, site_a, proto::push{r.seq - 1, r.seq, {r}});
        if (std::holds_alternative<proto::error>(res)) {
            EXPECT_EQ(std::get<proto::error>(res).code, proto::error_code::quota_exceeded);
            break;
        }
        ASSERT_LT(i, 9) << "ten rejections of about 2 KiB each never reached a 16 KiB quota";
    }

    // A discarded rejection is never sent again, and its payload is gone.
    for (const auto& q : server->quarantine())
        EXPECT_EQ(server->discard_quarantined(q.id).status, server_store::quarantine_status::done);
    EXPECT_TRUE(welcome_again(dev_a, site_a).rejections.empty());
    EXPECT_EQ(count("SELECT count(*) FROM noi_quarantine WHERE payload IS NOT NULL"), 0);
}
