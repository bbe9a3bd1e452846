// The per-address budget of failed authentications, with explicit times.
#include "auth_limiter.hpp"

#include <gtest/gtest.h>

using noi::server::auth_limiter;
using namespace std::chrono_literals;

TEST(auth_limiter, an_address_is_refused_once_its_budget_is_spent_and_regains_it_with_time) {
    auth_limiter l(6); // 6 a minute: one back every 10 s
    auto t0 = auth_limiter::clock::time_point{} + 1h;
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(l.blocked_for("10.0.0.1", t0), 0);
        l.failed("10.0.0.1", t0);
    }
    EXPECT_EQ(l.blocked_for("10.0.0.1", t0), 10);
    EXPECT_EQ(l.blocked_for("10.0.0.2", t0), 0) << "another address has its own budget";
    EXPECT_EQ(l.blocked_for("10.0.0.1", t0 + 5s), 5);
    EXPECT_EQ(l.blocked_for("10.0.0.1", t0 + 10s), 0);
    l.failed("10.0.0.1", t0 + 10s);
    EXPECT_GT(l.blocked_for("10.0.0.1", t0 + 10s), 0);
}

TEST(auth_limiter, zero_means_no_limit) {
    auth_limiter l(0);
    for (int i = 0; i < 1000; ++i)
        l.failed("10.0.0.1");
    EXPECT_EQ(l.blocked_for("10.0.0.1"), 0);
}

TEST(auth_limiter, a_flood_of_addresses_keeps_memory_bounded_and_recent_offenders_blocked) {
    auth_limiter l(2, 100);
    auto t0 = auth_limiter::clock::time_point{} + 1h;
    for (int i = 0; i < 10'000; ++i)
        l.failed("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                 t0 + std::chrono::milliseconds(i));
    l.failed("10.9.9.9", t0 + 20s);
    l.failed("10.9.9.9", t0 + 20s);
    EXPECT_GT(l.blocked_for("10.9.9.9", t0 + 20s), 0);
    EXPECT_LE(l.addresses_tracked(), 100u);
}

// Issue 28, item 4: sign-ins checked at once all passed the budget check before any failed.
TEST(auth_limiter, checks_take_their_failure_ahead_so_concurrent_ones_cannot_pass_the_budget) {
    auth_limiter l(3);
    auto t0 = auth_limiter::clock::time_point{} + 1h;
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(l.take("10.0.0.1", t0), 0) << "check " << i + 1 << ", none answered yet";
    EXPECT_EQ(l.take("10.0.0.1", t0), 20) << "a fourth waits for the budget to refill";
    EXPECT_EQ(l.take("10.0.0.2", t0), 0) << "another address has its own budget";
    // A right password gives its failure back: success costs nothing.
    l.give_back("10.0.0.1", t0);
    EXPECT_EQ(l.take("10.0.0.1", t0), 0);
    EXPECT_GT(l.take("10.0.0.1", t0), 0);
    // Refused takes took nothing: the budget refills at its rate, one every 20 s.
    EXPECT_EQ(l.take("10.0.0.1", t0 + 15s), 5);
    EXPECT_EQ(l.take("10.0.0.1", t0 + 20s), 0);
    // Giving back never fills a bucket past its budget.
    for (int i = 0; i < 10; ++i)
        l.give_back("10.0.0.2", t0 + 21s);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(l.take("10.0.0.2", t0 + 21s), 0);
    EXPECT_GT(l.take("10.0.0.2", t0 + 21s), 0);
}
