// A console session lasts while it is used, ends after its idle time, and makes room for new
// ones; a password's hash checks only that password.
#include "console_sessions.hpp"
#include "password_hash.hpp"

#include <gtest/gtest.h>

using namespace noi::server;
using namespace std::chrono_literals;

TEST(console_sessions, a_session_lasts_while_used_and_ends_after_its_idle_time) {
    console_sessions sessions(30min);
    const auto t0 = console_sessions::clock::time_point{} + 24h;
    auto s = sessions.open("hoa", t0);
    EXPECT_EQ(s.id.size(), 96u);
    EXPECT_EQ(s.session.csrf.size(), 48u);
    auto used = sessions.use(s.id, t0 + 29min);
    ASSERT_TRUE(used);
    EXPECT_EQ(used->account, "hoa");
    EXPECT_EQ(used->csrf, s.session.csrf);
    EXPECT_TRUE(sessions.use(s.id, t0 + 58min)) << "each use restarts the idle time";
    EXPECT_FALSE(sessions.use(s.id, t0 + 89min));
    EXPECT_FALSE(sessions.use(s.id, t0 + 90min)) << "an ended session stays ended";
    EXPECT_FALSE(sessions.use("not-a-session", t0));
}

TEST(console_sessions, the_least_recently_used_makes_room_and_an_account_closes_at_once) {
    console_sessions sessions(30min, 2);
    const auto t0 = console_sessions::clock::time_point{} + 24h;
    auto a = sessions.open("hoa", t0), b = sessions.open("mai", t0 + 1min);
    ASSERT_TRUE(sessions.use(a.id, t0 + 2min));
    auto c = sessions.open("hoa", t0 + 3min);
    EXPECT_TRUE(sessions.use(a.id, t0 + 4min));
    EXPECT_FALSE(sessions.use(b.id, t0 + 4min));
    sessions.close_account("hoa");
    EXPECT_FALSE(sessions.use(a.id, t0 + 5min));
    EXPECT_FALSE(sessions.use(c.id, t0 + 5min));
}

TEST(password_hash, only_the_password_checks_and_each_hash_is_salted) {
    const std::string pw = "mật khẩu của chị Hoa";
    const auto h = hash_password(pw);
    EXPECT_EQ(h.rfind("$argon2id$", 0), 0u) << h;
    EXPECT_NE(hash_password(pw), h);
    EXPECT_TRUE(verify_password(h, pw));
    EXPECT_FALSE(verify_password(h, "mật khẩu của chị Hoà"));
    EXPECT_FALSE(verify_password("", pw));
    EXPECT_FALSE(verify_password("not a hash", pw));
}

TEST(password_hash, a_password_is_long_enough_and_one_line) {
    EXPECT_TRUE(password_problem("ngắn quá"));
    EXPECT_FALSE(password_problem("mười ký tự")) << "ten characters, more bytes";
    EXPECT_TRUE(password_problem(std::string(1025, 'a')));
    EXPECT_TRUE(password_problem("two lines\nof password"));
}
