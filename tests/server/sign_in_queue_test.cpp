// The queue of console sign-ins waiting for their password's check: bounded, one per address.
#include "sign_in_queue.hpp"

#include <gtest/gtest.h>

#include <vector>

using noi::server::sign_in_queue;

namespace {

using place = std::shared_ptr<sign_in_queue::place>;

bool entered(const std::variant<place, sign_in_queue::refusal>& v) {
    return std::holds_alternative<place>(v);
}

} // namespace

TEST(sign_in_queue, one_sign_in_per_address_and_a_bounded_number_in_all) {
    sign_in_queue q(3);
    auto first = q.enter("10.0.0.1");
    ASSERT_TRUE(entered(first));
    auto again = q.enter("10.0.0.1");
    ASSERT_FALSE(entered(again));
    EXPECT_EQ(std::get<sign_in_queue::refusal>(again), sign_in_queue::refusal::address_busy);
    std::vector<place> held{std::get<place>(first)};
    for (const char* a : {"10.0.0.2", "10.0.0.3"})
        held.push_back(std::get<place>(q.enter(a)));
    EXPECT_EQ(q.pending(), 3u);
    auto beyond = q.enter("10.0.0.4");
    ASSERT_FALSE(entered(beyond));
    EXPECT_EQ(std::get<sign_in_queue::refusal>(beyond), sign_in_queue::refusal::full);
    EXPECT_EQ(q.pending(), 3u) << "a refused sign-in holds no place";
}

TEST(sign_in_queue, a_place_is_freed_once_whoever_holds_it_last_lets_it_go) {
    sign_in_queue q(1);
    auto p = std::get<place>(q.enter("10.0.0.1"));
    auto copy = p; // the database job and the hashing job each hold it
    p.reset();
    EXPECT_FALSE(entered(q.enter("10.0.0.2"))) << "still held by the copy";
    copy.reset();
    EXPECT_EQ(q.pending(), 0u);
    EXPECT_TRUE(entered(q.enter("10.0.0.1")));
}
