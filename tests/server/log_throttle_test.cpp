// The per-device throttle of log lines, with explicit times.
#include "log_throttle.hpp"

#include <gtest/gtest.h>

using noi::server::log_throttle;
using namespace std::chrono_literals;

namespace {

const auto t0 = log_throttle::clock::time_point{} + 1h;

// How many of n lines about `key` at `at` may be written.
int written(log_throttle& l, const std::string& key, int n, log_throttle::clock::time_point at) {
    int w = 0;
    for (int i = 0; i < n; ++i)
        w += l.allow(key, at).write;
    return w;
}

} // namespace

TEST(log_throttle, a_key_writes_its_first_lines_of_a_minute_and_the_rest_are_told_once) {
    log_throttle l(3);
    EXPECT_EQ(written(l, "dev-a", 100, t0), 3);
    EXPECT_EQ(written(l, "dev-b", 2, t0 + 1s), 2) << "another device has lines of its own";
    EXPECT_TRUE(l.ended(t0 + 59s).empty()) << "the minute is not over";
    auto told = l.ended(t0 + 60s);
    ASSERT_EQ(told.size(), 1u) << "dev-b held nothing back: no summary for it";
    EXPECT_EQ(told[0].key, "dev-a");
    EXPECT_EQ(told[0].held_back, 97u);
    EXPECT_TRUE(l.ended(t0 + 120s).empty()) << "each summary is told once";
    EXPECT_EQ(written(l, "dev-a", 5, t0 + 121s), 3) << "a new minute, new lines";
}

TEST(log_throttle, a_key_heard_from_after_its_minute_gets_its_summary_before_its_line) {
    log_throttle l(2);
    EXPECT_EQ(written(l, "dev-a", 10, t0), 2);
    auto v = l.allow("dev-a", t0 + 61s);
    EXPECT_TRUE(v.write);
    EXPECT_EQ(v.held_back, 8u);
    EXPECT_EQ(l.allow("dev-a", t0 + 62s).held_back, 0u) << "told once";
    EXPECT_TRUE(l.ended(t0 + 200s).empty()) << "nothing held back in the second minute";
}

TEST(log_throttle, zero_lines_a_minute_writes_only_the_summaries) {
    log_throttle l(0);
    EXPECT_EQ(written(l, "dev-a", 4, t0), 0);
    auto told = l.ended(t0 + 60s);
    ASSERT_EQ(told.size(), 1u);
    EXPECT_EQ(told[0].held_back, 4u);
}
