// Requests per device, with explicit times.
#include "request_limiter.hpp"

#include <gtest/gtest.h>

using noi::server::request_limiter;
using namespace std::chrono_literals;

TEST(request_limiter, a_device_bursts_twice_its_rate_then_waits_and_others_do_not) {
    request_limiter l(10);
    auto t0 = request_limiter::clock::time_point{} + 1h;
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(l.take("dev-a", t0), request_limiter::clock::duration::zero()) << i;
    EXPECT_EQ(l.take("dev-a", t0), 100ms);
    EXPECT_EQ(l.take("dev-a", t0), 200ms);
    EXPECT_EQ(l.take("dev-b", t0), request_limiter::clock::duration::zero());
    // A second later ten more came back, less the two taken on credit.
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(l.take("dev-a", t0 + 1s), request_limiter::clock::duration::zero()) << i;
    EXPECT_GT(l.take("dev-a", t0 + 1s), request_limiter::clock::duration::zero());
}

TEST(request_limiter, zero_means_no_limit) {
    request_limiter l(0);
    for (int i = 0; i < 10'000; ++i)
        EXPECT_EQ(l.take("dev-a"), request_limiter::clock::duration::zero());
}
