// Wrong clocks (docs/design.md §5): tablets a year ahead or behind, and a server whose clock steps
// back. No tablet is refused for ever, every write that loses to a concurrent one is a
// recorded conflict, replicas converge, and the skew is on record for the admin.
#include "loopback.hpp"
#include "temp_dir.hpp"
#include <noi/sync/sqlite_store.hpp>

#include <gtest/gtest.h>

using namespace noi;

namespace {

constexpr std::int64_t day_ms = 24LL * 3600 * 1000, year_ms = 365 * day_ms;

struct clock_fixture : ::testing::Test {
    test::temp_dir dir;
    manual_clock server_wall{1'700'000'000'000};
    manual_clock wall_a{1'700'000'000'000}, wall_a2{1'700'000'000'000};
    std::unique_ptr<sqlite_store> server =
        sqlite_store::create(dir.file("server.db"), server_wall, {1});
    device dev_a{"tab-a", "01849", "Xã A, máy 1"}, dev_a2{"tab-a2", "01849", "Xã A, máy 2"};
    std::unique_ptr<tablet> a = tablet::create(dir.file("a.db"), wall_a, {2});
    std::unique_ptr<tablet> a2 = tablet::create(dir.file("a2.db"), wall_a2, {3});

    void SetUp() override {
        for (const auto* d : {&dev_a, &dev_a2})
            server->add_device(*d);
    }
    void tick(std::int64_t ms) {
        for (auto* w : {&server_wall, &wall_a, &wall_a2})
            w->advance(ms);
    }
    // Rounds until one finishes; a clock refusal costs one round, never more.
    int sync(tablet& t, const device& d) {
        for (int round = 1; round <= 3; ++round) {
            tick(1000);
            if (sim::sync_once(t, *server, d).done) return round;
        }
        ADD_FAILURE() << d.id << " was refused three rounds running";
        return 0;
    }
    std::int64_t members(tablet& t) {
        auto st = t.rep().db().prepare("SELECT members FROM household WHERE id = 'h1'");
        return st.step() ? st.column_int(0) : -1;
    }
    std::int64_t skew(const std::string& device_id) {
        auto st = server->rep().db().prepare(
            "SELECT clock_skew_ms FROM noi_devices WHERE device_id = ?1");
        st.bind(1, device_id);
        st.step();
        return st.column_int(0);
    }
    // Both tablets hold h1, then change its members concurrently: a first, then a2.
    void concurrent_edits() {
        a2->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
                 "'Nà Pài', 4)");
        sync(*a2, dev_a2);
        sync(*a, dev_a);
        a->exec("UPDATE household SET members = 5 WHERE id = 'h1'");
        tick(10'000);
        a2->exec("UPDATE household SET members = 6 WHERE id = 'h1'");
    }
};

} // namespace

TEST_F(clock_fixture,
       a_tablet_a_year_ahead_is_refused_once_then_accepted_and_its_conflict_recorded) {
    wall_a.advance(year_ms);
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01849', 'viết trước "
            "lần đồng bộ đầu')");
    EXPECT_EQ(sync(*a, dev_a), 2) << "refused once for its clock, then re-stamped and accepted";
    concurrent_edits();
    EXPECT_EQ(sync(*a, dev_a), 1) << "the server's offset now corrects its stamps";
    EXPECT_EQ(sync(*a2, dev_a2), 1);
    sync(*a, dev_a);
    EXPECT_EQ(members(*a), members(*a2));
    auto c = server->conflicts();
    ASSERT_EQ(c.size(), 1u) << "the concurrent write that lost is on record";
    EXPECT_EQ(c[0].column, "members");
    EXPECT_NEAR(static_cast<double>(skew("tab-a")), static_cast<double>(year_ms),
                static_cast<double>(day_ms));
    EXPECT_NEAR(static_cast<double>(skew("tab-a2")), 0.0, static_cast<double>(day_ms));
}

TEST_F(clock_fixture, a_tablet_a_year_behind_is_never_refused_and_its_lost_write_is_a_conflict) {
    wall_a.advance(-year_ms);
    concurrent_edits();
    EXPECT_EQ(sync(*a, dev_a), 1);
    EXPECT_EQ(sync(*a2, dev_a2), 1);
    sync(*a, dev_a);
    EXPECT_EQ(members(*a), members(*a2));
    EXPECT_EQ(server->conflicts().size(), 1u);
    EXPECT_NEAR(static_cast<double>(skew("tab-a")), static_cast<double>(-year_ms),
                static_cast<double>(day_ms));
}

TEST_F(clock_fixture, a_server_clock_stepping_back_a_day_keeps_its_stamps_rising) {
    concurrent_edits();
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    ASSERT_EQ(server->conflicts().size(), 1u);
    server_wall.advance(-day_ms); // an NTP correction, a wrong manual setting
    // Tablets now look a day ahead: each is refused at most once, then accepted.
    a->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h2', '01849', 'Bản "
            "Chang', 2)");
    EXPECT_GE(sync(*a, dev_a), 1);
    // A resolution is stamped above everything the server holds, though its wall went back.
    server_store::resolution how;
    how.new_value = std::int64_t{9};
    how.by = "test";
    ASSERT_EQ(server->resolve_conflict(server->conflicts()[0].id, how).status,
              server_store::resolve_status::resolved);
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    EXPECT_EQ(members(*a), 9);
    EXPECT_EQ(members(*a2), 9);
}
