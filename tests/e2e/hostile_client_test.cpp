// Hostile clients against a real server on 127.0.0.1: token guessing, slow headers, message
// floods. Each is refused or cut off, and an honest tablet is served meanwhile. Every loop is
// bounded in count and time.
#include "live_server.hpp"

#include <admin/http_client.hpp>
#include <noi/protocol/codec.hpp>

#include <gtest/gtest.h>

#include <boost/asio.hpp>

using namespace noi;
using namespace std::chrono_literals;
using client::sync_outcome;

TEST(hostile_client, failed_authentications_are_rate_limited_per_address) {
    test::temp_dir dir;
    test::live_server server(false,
                             [](server::server_config& c) { c.auth_failures_per_minute = 5; });
    auto good = server.enrol("01849");
    test::test_tablet honest(dir.file("a.db"), server.url(), good.token);
    ASSERT_EQ(honest.sync().outcome, sync_outcome::done);

    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(admin::request(server.url(), "GET", "/admin/v1/devices",
                                 "guess-" + std::to_string(i), "")
                      .status,
                  401u);
    // The budget is spent: refused before any token is looked at, even a right one.
    auto limited =
        admin::request(server.url(), "GET", "/admin/v1/devices", server.admin_token(), "");
    EXPECT_EQ(limited.status, 429u);
    EXPECT_NE(limited.body.find("too many failed authentications"), std::string::npos);
    auto r = honest.sync(5s);
    EXPECT_EQ(r.outcome, sync_outcome::network);
    EXPECT_NE(r.message.find("too many failed authentications"), std::string::npos) << r.message;
    // What needs no token is still served, and the refusals are counted.
    EXPECT_EQ(admin::request(server.url(), "GET", "/healthz", "", "").status, 200u);
    auto metrics = admin::request(server.url(), "GET", "/metrics", "", "").body;
    EXPECT_NE(metrics.find("noi_auth_failures_total 5"), std::string::npos) << metrics;
    EXPECT_EQ(metrics.find("noi_auth_limited_total 0"), std::string::npos) << metrics;
}

TEST(hostile_client, a_client_sending_its_headers_slowly_is_cut_off_while_others_are_served) {
    test::temp_dir dir;
    test::live_server server(
        false, [](server::server_config& c) { c.handshake_timeout = std::chrono::seconds(1); });
    auto good = server.enrol("01849");
    test::test_tablet honest(dir.file("a.db"), server.url(), good.token);

    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket slow(ioc);
    slow.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
    boost::asio::write(slow, boost::asio::buffer(std::string("GET /sync HTTP/1.1\r\nHost: x\r\n")));
    const std::string drip = "Authorization: Bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    auto started = std::chrono::steady_clock::now();
    bool cut = false;
    for (std::size_t i = 0; i < drip.size() && !cut; ++i) { // one byte every 200 ms: at most ~14 s
        boost::system::error_code ec;
        boost::asio::write(slow, boost::asio::buffer(&drip[i], 1), ec);
        if (ec) cut = true;
        if (i == 2) {
            EXPECT_EQ(honest.sync(10s).outcome, sync_outcome::done); // served meanwhile
        }
        std::this_thread::sleep_for(200ms);
        char c;
        slow.non_blocking(true);
        slow.read_some(boost::asio::buffer(&c, 1), ec);
        slow.non_blocking(false);
        if (ec && ec != boost::asio::error::would_block) cut = true;
    }
    EXPECT_TRUE(cut) << "the server kept a connection that never finished its headers";
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(hostile_client, a_flood_of_messages_is_read_one_at_a_time_and_others_are_served) {
    test::temp_dir dir;
    test::live_server server;
    auto flooder = server.enrol("01849"), good = server.enrol("01849");
    test::test_tablet honest(dir.file("a.db"), server.url(), good.token);
    auto tr = client::make_websocket_transport();
    tr->connect(server.url(), flooder.token, 5s);
    proto::hello h;
    h.site[0] = 0x77;
    h.clock_ms = static_cast<std::uint64_t>(system_clock().now_ms());
    tr->send(proto::encode(h), 5s);
    // PULLs sent without reading a single answer: the server stops reading when its answers
    // back up, so the flood costs it bounded memory. Bounded: 100,000 sends or 10 s.
    auto pull = proto::encode(proto::pull{0, 500});
    std::size_t sent = 0;
    auto until = std::chrono::steady_clock::now() + 10s;
    try {
        for (; sent < 100'000 && std::chrono::steady_clock::now() < until; ++sent)
            tr->send(pull, 200ms);
    } catch (const client::transport_error&) {
    }
    auto metrics = admin::request(server.url(), "GET", "/metrics", "", "").body;
    auto at = metrics.find("\nnoi_pulls_total ");
    ASSERT_NE(at, std::string::npos);
    auto answered = std::stoull(metrics.substr(at + 17));
    EXPECT_LT(answered * 10, sent)
        << "answered " << answered << " of " << sent << " PULLs nobody read";
    honest.t->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', "
                   "'01849', 'Nà Pài', 4)");
    auto r = honest.sync(20s);
    EXPECT_EQ(r.outcome, sync_outcome::done) << r.message;
}
