// Guessing console passwords over real HTTP (issue 28, item 4): an address over its budget is
// refused before any check, the queue of checks is bounded, and an admin signing in from
// elsewhere is served while others guess. Clients tell their address through X-Forwarded-For
// from 127.0.0.1, named a trusted proxy. Every loop is bounded in count and time.
#include "http_probe.hpp"
#include "live_server.hpp"

#include <admin/http_client.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

using namespace noi;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

constexpr const char* password = "mật khẩu của chị Hoa";

// A server behind "a proxy" on 127.0.0.1, with the account hoa and her password.
struct guessed_server {
    test::live_server server;

    explicit guessed_server(std::function<void(server::server_config&)> tune)
        : server(false, [tune](server::server_config& c) {
              c.trusted_proxies = {"127.0.0.1"};
              tune(c);
          }) {
        auto r =
            admin::request(server.url(), "POST", "/admin/v1/accounts", server.admin_token(),
                           json{{"name", "hoa"}, {"role", "admin"}, {"password", password}}.dump());
        EXPECT_EQ(r.status, 201u) << r.body;
    }

    test::http_answer sign_in(const std::string& from, const std::string& pw) {
        return test::http_probe(server.url(), "POST", "/console/v1/sign-in",
                                {{"X-Forwarded-For", from}},
                                json{{"name", "hoa"}, {"password", pw}}.dump());
    }

    std::uint64_t metric(const std::string& name) {
        auto text = admin::request(server.url(), "GET", "/metrics", "", "").body;
        auto at = text.find("\n" + name + " ");
        return at == std::string::npos ? ~0ull : std::stoull(text.substr(at + name.size() + 2));
    }
};

// Runs `each(i)` on n threads released together.
template <class F> void at_once(int n, F each) {
    std::latch start(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            each(i);
        });
    for (auto& t : threads)
        t.join();
}

} // namespace

// Issue 28, item 4: sign-ins over the budget were delayed but still checked, so guesses sent
// at once bought ~950 checks a minute from one address, and found the right password.
TEST(console_sign_in, an_address_over_its_budget_is_refused_before_its_password_is_checked) {
    guessed_server g([](server::server_config& c) {
        c.auth_failures_per_minute = 3; // one back every 20 s: none within this test
    });
    // 40 guesses from one address at once: at most its budget of them is checked.
    std::mutex mu;
    std::map<unsigned, int> statuses;
    at_once(40, [&](int i) {
        auto a = g.sign_in("10.0.0.1", "guess " + std::to_string(i));
        std::lock_guard lock(mu);
        ++statuses[a.status];
    });
    EXPECT_EQ(statuses[401] + statuses[429], 40) << "only refusals, of two kinds";
    EXPECT_LE(statuses[401], 3);
    EXPECT_EQ(g.metric("noi_password_checks_total"), static_cast<std::uint64_t>(statuses[401]))
        << "every refusal but a wrong password's came without a check";
    // Spend what is left of the budget, one guess at a time (bounded: 5).
    test::http_answer last;
    for (int i = 0; i < 5; ++i) {
        last = g.sign_in("10.0.0.1", "one more guess");
        if (last.status == 429) break;
    }
    ASSERT_EQ(last.status, 429u) << last.body;
    const auto checks = g.metric("noi_password_checks_total");
    ASSERT_LE(checks, 3u);

    // Over its budget, the address's right password is refused too, and is not checked.
    auto right = g.sign_in("10.0.0.1", password);
    EXPECT_EQ(right.status, 429u) << right.body;
    EXPECT_NE(right.body.find("too many failed sign-ins"), std::string::npos) << right.body;
    EXPECT_GE(std::stoi(right.header("retry-after")), 1);
    EXPECT_EQ(right.header("set-cookie"), "");
    EXPECT_EQ(g.metric("noi_password_checks_total"), checks);
    // Another address has its own budget: the right password signs in, checked once.
    EXPECT_EQ(g.sign_in("10.0.0.2", password).status, 200u);
    EXPECT_EQ(g.metric("noi_password_checks_total"), checks + 1);
}

TEST(console_sign_in, the_queue_of_checks_is_bounded_and_a_sign_in_beyond_it_is_refused_at_once) {
    guessed_server g([](server::server_config& c) {
        c.auth_failures_per_minute = 0; // no budget: the queue's bound alone holds them
        c.max_pending_password_checks = 2;
    });
    std::mutex mu;
    std::map<unsigned, int> statuses;
    bool every_503_says_when = true;
    std::atomic<bool> done{false};
    std::uint64_t most_pending = 0;
    // Samples the queue while 24 addresses sign in at once (bounded: 400 samples).
    std::thread sampler([&] {
        for (int i = 0; i < 400 && !done; ++i)
            most_pending = std::max(most_pending, g.metric("noi_password_checks_pending"));
    });
    at_once(24, [&](int i) {
        auto a = g.sign_in("10.0.1." + std::to_string(i), "guess");
        std::lock_guard lock(mu);
        ++statuses[a.status];
        if (a.status == 503) every_503_says_when &= !a.header("retry-after").empty();
    });
    done = true;
    sampler.join();
    EXPECT_EQ(statuses[401] + statuses[503], 24);
    EXPECT_GE(statuses[503], 1) << "24 sign-ins at once never found the queue of 2 full";
    EXPECT_TRUE(every_503_says_when);
    EXPECT_LE(most_pending, 2u);
    EXPECT_EQ(g.metric("noi_password_checks_total"), static_cast<std::uint64_t>(statuses[401]));
    EXPECT_EQ(g.metric("noi_sign_ins_shed_total"), static_cast<std::uint64_t>(statuses[503]));
    EXPECT_EQ(g.metric("noi_password_checks_pending"), 0u);
    EXPECT_EQ(g.sign_in("10.0.2.1", password).status, 200u) << "the queue emptied";
}

// Issue 28, item 4: a real admin's sign-in took 9–12 s while four addresses guessed, each
// keeping many checks queued ahead of it.
TEST(console_sign_in, an_admin_signs_in_from_elsewhere_while_four_addresses_guess_at_once) {
    guessed_server g([](server::server_config& c) {
        c.auth_failures_per_minute = 0; // the guessers are never slowed by a budget
    });
    // 4 addresses, 6 connections each, guessing until the admin is in: at most 300 guesses a
    // connection, or 30 s.
    std::atomic<bool> admin_done{false};
    std::atomic<int> guesses{0};
    const auto until = std::chrono::steady_clock::now() + 30s;
    std::vector<std::thread> guessers;
    for (int i = 0; i < 24; ++i)
        guessers.emplace_back([&, i] {
            const auto from = "10.0.3." + std::to_string(i % 4);
            for (int n = 0; n < 300 && !admin_done && std::chrono::steady_clock::now() < until;
                 ++n) {
                auto a = g.sign_in(from, "guess " + std::to_string(n));
                ++guesses;
                if (a.status == 429) std::this_thread::sleep_for(20ms); // as Retry-After asks
            }
        });
    // The guessing is under way: some guesses were checked (bounded: 10 s).
    const auto settle = std::chrono::steady_clock::now() + 10s;
    while (g.metric("noi_password_checks_total") < 8 && std::chrono::steady_clock::now() < settle)
        std::this_thread::sleep_for(20ms);
    const auto before = g.metric("noi_password_checks_total");
    const auto started = std::chrono::steady_clock::now();
    auto in = g.sign_in("10.0.9.9", password);
    const auto took = std::chrono::steady_clock::now() - started;
    const auto checked_meanwhile = g.metric("noi_password_checks_total") - before;
    admin_done = true;
    for (auto& t : guessers)
        t.join();
    EXPECT_GE(before, 8u) << "the guessing never got going";
    EXPECT_EQ(in.status, 200u) << in.body;
    // At most one check of each guessing address ahead of hers, hers, and those begun before
    // the count was read: within the queue's bound of 8, not the 24 the guessers' connections
    // would have queued.
    EXPECT_LE(checked_meanwhile, 8u);
    EXPECT_LT(took, 10s);
    EXPECT_GT(guesses.load(), 24);
}
