// What a 32-bit ARM tablet (armhf: a 32-bit long and size_t and, in Debian 12, a 32-bit time_t)
// could get wrong that a 64-bit machine never shows: times past January 2038, and 64-bit
// integers in SQLite and through a sync round. scripts/arm-test.sh runs these under qemu-user
// with the rest of the core's tests.
#include "loopback.hpp"
#include "replica_query.hpp"
#include "temp_dir.hpp"

#include <noi/sync/database.hpp>
#include <noi/sync/hlc.hpp>
#include <noi/sync/sqlite_store.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

using namespace noi;

namespace {

// 2^31 seconds after 1970: the first second a 32-bit time_t cannot hold.
constexpr std::int64_t first_second_past_y2038_ms = (std::int64_t{1} << 31) * 1000;
// 2040-01-01T00:00:00Z.
constexpr std::int64_t new_year_2040_ms = 2'208'988'800'000;

} // namespace

TEST(word_size, times_past_january_2038_are_written_as_their_own_dates) {
    EXPECT_EQ(iso8601_ms(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(iso8601_ms(first_second_past_y2038_ms - 1), "2038-01-19T03:14:07.999Z");
    EXPECT_EQ(iso8601_ms(first_second_past_y2038_ms), "2038-01-19T03:14:08.000Z");
    EXPECT_EQ(iso8601_ms(new_year_2040_ms + 7), "2040-01-01T00:00:00.007Z");
    EXPECT_EQ(iso8601_ms(sane_clock_max_ms - 1), "2099-12-31T23:59:59.999Z");
}

TEST(word_size, hlc_readings_past_2038_keep_their_order_and_their_time) {
    manual_clock wall(first_second_past_y2038_ms - 1);
    hlc_clock c(wall);
    const auto before = c.next();
    wall.advance(1);
    const auto after = c.next();
    EXPECT_LT(before, after);
    EXPECT_EQ(hlc_to_ms(after), first_second_past_y2038_ms);
    wall.set(new_year_2040_ms);
    EXPECT_EQ(iso8601_ms(hlc_to_ms(c.next())), "2040-01-01T00:00:00.000Z");
}

TEST(word_size, sixty_four_bit_integers_keep_every_bit_in_sqlite) {
    test::temp_dir dir;
    database db(dir.file("w.db"), true);
    db.exec("CREATE TABLE t(v INTEGER)");
    const std::int64_t values[] = {std::numeric_limits<std::int64_t>::max(),
                                   std::numeric_limits<std::int64_t>::min(),
                                   std::int64_t{5'000'000'000}, -std::int64_t{5'000'000'000},
                                   static_cast<std::int64_t>(hlc_from_ms(new_year_2040_ms))};
    for (auto v : values)
        db.prepare("INSERT INTO t(v) VALUES (?)").bind(1, v).step();
    auto st = db.prepare("SELECT v FROM t ORDER BY rowid");
    for (auto v : values) {
        ASSERT_TRUE(st.step());
        EXPECT_EQ(st.column_int(0), v);
    }
}

TEST(word_size, a_tablet_in_2040_syncs_a_number_past_two_to_the_32_exactly) {
    test::temp_dir dir;
    // The province's map is Bắc Kạn's before the 2025 reform: made on its day, used in 2040.
    manual_clock wall(1'700'000'000'000);
    auto server = sqlite_store::create(dir.file("server.db"), wall, {1}, {}, {"06", {}});
    const device dev{"tab-a", "01849", "Xã A"}, dev_b{"tab-b", "01849", "Xã A, máy 2"};
    server->add_device(dev);
    server->add_device(dev_b);
    wall.set(new_year_2040_ms);
    auto a = tablet::create(dir.file("a.db"), wall, {2});
    auto b = tablet::create(dir.file("b.db"), wall, {3});
    a->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
            "'Nà Pài', 5000000000)");
    wall.advance(1000);
    ASSERT_TRUE(sim::sync_once(*a, *server, dev).done);
    ASSERT_TRUE(sim::sync_once(*b, *server, dev_b).done);
    EXPECT_EQ(test::count(*b, "SELECT members FROM household WHERE id = 'h1'"), 5'000'000'000);
    const auto records = server->audit("household", "h1");
    ASSERT_EQ(records.size(), 1u);
    ASSERT_FALSE(records[0].cells.empty());
    EXPECT_EQ(iso8601_ms(hlc_to_ms(records[0].cells[0].ver.hlc)), "2040-01-01T00:00:00.000Z");
}
