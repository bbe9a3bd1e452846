#include <noi/sync/hlc.hpp>

#include <gtest/gtest.h>

using namespace noi;

TEST(hlc, readings_follow_the_wall_clock_in_the_high_bits) {
    manual_clock wall(1'000);
    hlc_clock c(wall);
    EXPECT_EQ(c.next(), hlc_from_ms(1'000));
    wall.advance(5);
    EXPECT_EQ(c.next(), hlc_from_ms(1'005));
}

TEST(hlc, readings_increase_when_the_wall_clock_stands_still_or_goes_back) {
    manual_clock wall(1'000);
    hlc_clock c(wall);
    auto a = c.next();
    auto b = c.next();
    wall.set(500);
    auto d = c.next();
    EXPECT_LT(a, b);
    EXPECT_LT(b, d);
    EXPECT_EQ(hlc_to_ms(d), 1'000);
}

TEST(hlc, a_counter_overflow_carries_into_the_milliseconds) {
    manual_clock wall(1'000);
    hlc_clock c(wall);
    c.observe(hlc_from_ms(1'000) + 0xffff);
    auto h = c.next();
    EXPECT_EQ(h, hlc_from_ms(1'001));
    EXPECT_EQ(h & 0xffff, 0u);
}

TEST(hlc, never_goes_below_an_observed_reading) {
    manual_clock wall(1'000);
    hlc_clock c(wall);
    c.observe(hlc_from_ms(9'000) + 3);
    EXPECT_EQ(c.next(), hlc_from_ms(9'000) + 4);
}

TEST(hlc, the_server_offset_corrects_a_wrong_wall_clock) {
    manual_clock wall(1'000);
    hlc_clock c(wall, 86'400'000);
    EXPECT_EQ(hlc_to_ms(c.next()), 86'401'000);
}

TEST(hlc, formats_iso8601_utc) {
    EXPECT_EQ(iso8601_ms(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
}

TEST(hlc, refuses_to_issue_a_reading_past_the_greatest_instead_of_wrapping) {
    manual_clock wall(1'000);
    hlc_clock c(wall);
    c.observe(hlc_max - 1);
    EXPECT_EQ(c.next(), hlc_max);
    try {
        c.next();
        FAIL() << "the clock wrapped";
    } catch (const sync_error& e) {
        EXPECT_EQ(e.code(), errc::clock_exhausted);
        EXPECT_NE(std::string(e.what()).find("repair-clock"), std::string::npos);
    }
    EXPECT_EQ(c.floor(), hlc_max);
}

TEST(hlc, a_wall_time_past_the_year_10889_saturates_instead_of_losing_its_high_bits) {
    EXPECT_EQ(hlc_from_ms(static_cast<std::int64_t>(hlc_max_ms) + 5), hlc_max_ms << 16);
    manual_clock wall(static_cast<std::int64_t>(hlc_max_ms) + 1'000);
    hlc_clock c(wall);
    EXPECT_EQ(c.next(), hlc_max_ms << 16);
}
