// Requests per device, with explicit times.
#include "rate_limiter.hpp"

#include <gtest/gtest.h>

using noi::server::rate_limiter;
using namespace std::chrono_literals;

TEST(rate_limiter, a_device_bursts_twice_its_rate_then_waits_and_others_do_not) {
    rate_limiter l(10);
    auto t0 = rate_limiter::clock::time_point{} + 1h;
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(l.take("dev-a", 1, t0), rate_limiter::clock::duration::zero()) << i;
    EXPECT_EQ(l.take("dev-a", 1, t0), 100ms);
    EXPECT_EQ(l.take("dev-a", 1, t0), 200ms);
    EXPECT_EQ(l.take("dev-b", 1, t0), rate_limiter::clock::duration::zero());
    // A second later ten more came back, less the two taken on credit.
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(l.take("dev-a", 1, t0 + 1s), rate_limiter::clock::duration::zero()) << i;
    EXPECT_GT(l.take("dev-a", 1, t0 + 1s), rate_limiter::clock::duration::zero());
}

TEST(rate_limiter, zero_means_no_limit) {
    rate_limiter l(0);
    for (int i = 0; i < 10'000; ++i)
        EXPECT_EQ(l.take("dev-a"), rate_limiter::clock::duration::zero());
}

TEST(rate_limiter, try_take_takes_only_what_the_budget_covers) {
    rate_limiter l(100, 1000); // bytes: 1000 at once, 100 more a second
    auto t0 = rate_limiter::clock::time_point{} + 1h;
    EXPECT_TRUE(l.try_take("dev-a", 900, t0));
    EXPECT_FALSE(l.try_take("dev-a", 200, t0)); // refused, and nothing taken...
    EXPECT_TRUE(l.try_take("dev-a", 100, t0));  // ...so the rest is still there
    EXPECT_FALSE(l.try_take("dev-a", 1, t0));
    EXPECT_TRUE(l.try_take("dev-a", 150, t0 + 2s));
}
