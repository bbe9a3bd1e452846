// Hostile clients against a real server on 127.0.0.1: token guessing, slow headers, message
// floods. Each is refused or cut off, and an honest tablet is served meanwhile. Every loop is
// bounded in count and time.
#include "live_server.hpp"

#include <admin/http_client.hpp>
#include <noi/protocol/codec.hpp>
#include <noi/sync/database.hpp>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <fstream>
#include <random>
#include <thread>
#include <tuple>

using namespace noi;
using namespace std::chrono_literals;
using client::sync_outcome;

namespace {

// A sync connection of a device's replica `site0` (its first id byte) that has said HELLO.
std::unique_ptr<client::transport> open_session(const test::live_server& server,
                                                const std::string& token, std::uint8_t site0,
                                                proto::hello& h) {
    auto tr = client::make_websocket_transport();
    tr->connect(server.url(), token, 5s);
    h.site[0] = site0;
    h.clock_ms = static_cast<std::uint64_t>(system_clock().now_ms());
    tr->send(proto::encode(h), 5s);
    return tr;
}

// One raw HTTP request, so a test can send what no client library would (X-Forwarded-For).
unsigned raw_status(std::uint16_t port, const std::string& path, const std::string& token,
                    const std::string& forwarded_for = "") {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    if (!forwarded_for.empty()) req += "X-Forwarded-For: " + forwarded_for + "\r\n";
    boost::asio::write(s, boost::asio::buffer(req + "\r\n"));
    std::string reply(12, '\0');
    boost::system::error_code ec;
    boost::asio::read(s, boost::asio::buffer(reply), ec);
    return reply.rfind("HTTP/1.1 ", 0) == 0 ? static_cast<unsigned>(std::stoul(reply.substr(9, 3)))
                                            : 0;
}

} // namespace

// Issue 14, item 3: 32 bad admin tokens from one address made the valid admin token and a valid
// tablet get 429; behind a TLS proxy every client shares its address.
TEST(hostile_client, others_failures_slow_their_failures_but_never_refuse_a_right_token) {
    test::temp_dir dir;
    test::live_server server(false, [](server::server_config& c) {
        c.auth_failures_per_minute = 5;
        c.auth_failure_delay_max = 1s;
    });
    auto good = server.enrol("01849");
    test::test_tablet honest(dir.file("a.db"), server.url(), good.token);
    ASSERT_EQ(honest.sync().outcome, sync_outcome::done);

    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(admin::request(server.url(), "GET", "/admin/v1/devices",
                                 "guess-" + std::to_string(i), "")
                      .status,
                  401u);
    // The budget is spent: the next failure is answered late, with 429...
    auto started = std::chrono::steady_clock::now();
    auto limited = admin::request(server.url(), "GET", "/admin/v1/devices", "guess-x", "");
    EXPECT_EQ(limited.status, 429u);
    EXPECT_NE(limited.body.find("too many failed authentications"), std::string::npos);
    EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
    // ...while the right admin token and a right device token from that address are served.
    EXPECT_EQ(
        admin::request(server.url(), "GET", "/admin/v1/devices", server.admin_token(), "").status,
        200u);
    honest.t->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', "
                   "'01849', 'Nà Pài', 4)");
    auto r = honest.sync(10s);
    EXPECT_EQ(r.outcome, sync_outcome::done) << r.message;
    // Sync tokens have a budget of their own: a wrong one is refused at once with 401.
    auto tr = client::make_websocket_transport();
    try {
        tr->connect(server.url(), "wrong-device-token", 5s);
        ADD_FAILURE() << "a wrong device token was let in";
    } catch (const client::transport_error& e) {
        EXPECT_NE(std::string(e.what()).find("refused the device token"), std::string::npos)
            << e.what();
    }
    auto metrics = admin::request(server.url(), "GET", "/metrics", "", "").body;
    EXPECT_NE(metrics.find("noi_auth_failures_total 7"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("noi_auth_limited_total 1"), std::string::npos) << metrics;
}

TEST(hostile_client, a_forwarded_address_counts_only_from_a_proxy_the_operator_named) {
    for (bool trusted : {false, true}) {
        test::live_server server(false, [trusted](server::server_config& c) {
            c.auth_failures_per_minute = 3;
            c.auth_failure_delay_max = 1s;
            if (trusted) c.trusted_proxies = {"127.0.0.1"};
        });
        for (int i = 0; i < 3; ++i)
            EXPECT_EQ(raw_status(server.port(), "/admin/v1/devices", "bad", "10.0.0.1"), 401u);
        EXPECT_EQ(raw_status(server.port(), "/admin/v1/devices", "bad", "10.0.0.1"), 429u);
        // Behind a named proxy, another client has its own budget; otherwise the header is
        // anyone's to write, and every request counts against the socket's address.
        EXPECT_EQ(raw_status(server.port(), "/admin/v1/devices", "bad", "10.0.0.2"),
                  trusted ? 401u : 429u)
            << (trusted ? "trusted" : "untrusted");
        EXPECT_EQ(raw_status(server.port(), "/admin/v1/devices", server.admin_token(), "10.0.0.1"),
                  200u);
    }
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
    proto::hello h;
    auto tr = open_session(server, flooder.token, 0x77, h);
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

namespace {

std::size_t resident_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
    return 0;
}

std::uint64_t metric(const std::string& url, const std::string& name) {
    auto text = admin::request(url, "GET", "/metrics", "", "").body;
    auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? ~0ull : std::stoull(text.substr(at + name.size() + 2));
}

} // namespace

// Issue 14, item 2: with one large row in its commune, 60 PULLs sent without reading grew the
// server from 27 to 214 MiB: each answer was queued and the next request read at once.
TEST(hostile_client, pulls_nobody_reads_stop_being_read_and_the_session_is_closed) {
    test::temp_dir dir;
    test::live_server server(false, [](server::server_config& c) {
        c.drain_timeout = 2s;
        c.max_unsent_bytes = 256 * 1024;
    });
    auto writer = server.enrol("01849"), flooder = server.enrol("01849");
    test::test_tablet honest(dir.file("a.db"), server.url(), writer.token);
    std::string big(1 << 20, 'x'); // letters at random: deflate cannot shrink it much
    std::mt19937 letters(7);
    for (auto& c : big)
        c = static_cast<char>('a' + letters() % 26);
    honest.t->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01849', '" +
                   big + "')");
    ASSERT_EQ(honest.sync().outcome, sync_outcome::done);

    const auto before = resident_kib();
    proto::hello h;
    auto tr = open_session(server, flooder.token, 0x77, h);
    // Each answer is the large row: the pull starts just before it.
    auto pull = proto::encode(proto::pull{honest.t->status().server_seq - 1, 500, true});
    for (int i = 0; i < 60; ++i)
        tr->send(pull, 5s); // 60 small frames: the socket's buffers take them unread
    std::this_thread::sleep_for(500ms);
    const auto pulls = metric(server.url(), "noi_pulls_total");
    EXPECT_LE(pulls, 8u) << "PULLs answered of 60 sent";
    EXPECT_LT(resident_kib(), before + 30 * 1024) << "KiB before: " << before;
    // Unread past the drain deadline: the server closes the connection. Bounded: 10 s.
    auto until = std::chrono::steady_clock::now() + 10s;
    while (metric(server.url(), "noi_devices_connected") != 0 &&
           std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(100ms);
    EXPECT_EQ(metric(server.url(), "noi_devices_connected"), 0u);
    EXPECT_LE(metric(server.url(), "noi_pulls_total"), 8u);
    EXPECT_EQ(honest.sync(10s).outcome, sync_outcome::done);
}

TEST(hostile_client, one_device_holds_a_bounded_number_of_sessions_and_requests) {
    test::temp_dir dir;
    test::live_server server(false, [](server::server_config& c) {
        c.max_sessions_per_device = 3;
        c.max_requests_per_second = 20;
    });
    auto dev = server.enrol("01849");
    std::vector<std::unique_ptr<client::transport>> open;
    for (int i = 0; i < 3; ++i) {
        open.push_back(client::make_websocket_transport());
        open.back()->connect(server.url(), dev.token, 5s);
    }
    std::this_thread::sleep_for(200ms); // the sessions join once their upgrade is done
    auto extra = client::make_websocket_transport();
    try {
        extra->connect(server.url(), dev.token, 5s);
        ADD_FAILURE() << "a fourth session of one device was let in";
    } catch (const client::transport_error& e) {
        EXPECT_NE(std::string(e.what()).find("connections open already"), std::string::npos)
            << e.what();
    }
    open.pop_back();
    std::this_thread::sleep_for(300ms);
    auto again = client::make_websocket_transport();
    EXPECT_NO_THROW(again->connect(server.url(), dev.token, 5s));

    // Requests past the device's rate are read later: 20 a second after a burst of 40.
    auto& tr = open.front();
    proto::hello h;
    h.site[0] = 0x78;
    h.clock_ms = static_cast<std::uint64_t>(system_clock().now_ms());
    tr->send(proto::encode(h), 5s);
    tr->receive(5s);
    // One row from the start each time: a cursor beyond the feed would be refused (bad_cursor).
    auto pull = proto::encode(proto::pull{0, 1});
    const auto started = std::chrono::steady_clock::now();
    int answered = 0;
    for (; answered < 100 && std::chrono::steady_clock::now() - started < 10s; ++answered) {
        tr->send(pull, 5s);
        tr->receive(5s);
    }
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(answered, 100);
    EXPECT_GE(took, 2s) << "100 requests at 20 a second after a burst of 40 take 3 s";
    EXPECT_LT(took, 8s);
}

// Issue 14, item 13: these four answered 500.
TEST(hostile_client, malformed_admin_requests_get_400_or_404_with_a_message_never_500) {
    test::live_server server;
    auto call = [&](const std::string& method, const std::string& target, const std::string& body) {
        return admin::request(server.url(), method, target, server.admin_token(), body);
    };
    for (const auto& [method, target, body, status] :
         std::vector<std::tuple<std::string, std::string, std::string, unsigned>>{
             {"GET", "/admin/v1/conflicts?status=%zz", "", 400},
             {"GET", "/admin/v1/conflicts?status=open%", "", 400},
             {"GET", "/admin/v1/%ff", "", 404},
             {"POST", "/admin/v1/devices", R"({"name":5,"commune":"01849"})", 400},
             {"POST", "/admin/v1/devices", R"({"commune":1849})", 400},
             {"POST", "/admin/v1/devices", R"({"province":"yes"})", 400},
             {"POST", "/admin/v1/conflicts/1/resolve", R"({"force":"yes","value":1})", 400},
             {"POST", "/admin/v1/conflicts/1/resolve", R"({"keep":7})", 400},
         }) {
        auto r = call(method, target, body);
        EXPECT_EQ(r.status, status) << method << " " << target << " " << body << ": " << r.body;
        auto j = nlohmann::json::parse(r.body, nullptr, false);
        EXPECT_TRUE(!j.is_discarded() && j.contains("error")) << r.body;
    }
    EXPECT_EQ(call("GET", "/admin/v1/devices", "").status, 200u);
}

// Issue 14, item 12: /metrics answered anyone, and counted on the writer thread per request.
TEST(hostile_client, metrics_take_a_token_when_given_one_and_count_open_rows_once_a_second) {
    test::temp_dir dir;
    test::live_server server(false, [](server::server_config& c) {
        c.metrics_token = "metrics-secret";
        c.auth_failure_delay_max = 1s;
    });
    EXPECT_EQ(raw_status(server.port(), "/metrics", ""), 401u);
    EXPECT_EQ(raw_status(server.port(), "/metrics", "wrong"), 401u);
    EXPECT_EQ(raw_status(server.port(), "/metrics", server.admin_token()), 401u);
    EXPECT_EQ(raw_status(server.port(), "/healthz", ""), 200u);
    auto scrape = [&] {
        return admin::request(server.url(), "GET", "/metrics", "metrics-secret", "").body;
    };
    auto gauge = [&](const std::string& text, const std::string& name) {
        auto at = text.find("\n" + name + " ");
        return at == std::string::npos ? -1 : std::stoll(text.substr(at + name.size() + 2));
    };
    auto dev = server.enrol("01849");
    test::test_tablet t(dir.file("a.db"), server.url(), dev.token);
    // Written before the tablet knows its scope: the server quarantines it.
    t.t->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('x', '01864', 'nhầm xã')");
    ASSERT_EQ(t.sync().outcome, sync_outcome::done);
    std::this_thread::sleep_for(1100ms);
    auto before = scrape();
    EXPECT_EQ(gauge(before, "noi_rows_quarantined"), 1) << before;
    EXPECT_EQ(gauge(before, "noi_conflicts_open"), 0) << before;
    auto q = nlohmann::json::parse(
        admin::request(server.url(), "GET", "/admin/v1/quarantine", server.admin_token(), "").body);
    ASSERT_EQ(q.size(), 1u);
    ASSERT_EQ(
        admin::request(server.url(), "POST",
                       "/admin/v1/quarantine/" + std::to_string(q[0]["id"].get<int>()) + "/discard",
                       server.admin_token(), "")
            .status,
        200u);
    // Within the second the counts are reused, however many scrapes come...
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(gauge(scrape(), "noi_rows_quarantined"), 1);
    // ...then counted again: a discarded row is no longer in quarantine.
    std::this_thread::sleep_for(1100ms);
    EXPECT_EQ(gauge(scrape(), "noi_rows_quarantined"), 0);
}

TEST(hostile_client,
     a_device_pushing_past_its_hourly_bytes_is_told_to_retry_later_and_keeps_its_data) {
    test::temp_dir dir;
    test::live_server server(false, [](server::server_config& c) { c.max_push_mib_per_hour = 1; });
    auto dev = server.enrol("01849");
    test::test_tablet t(dir.file("a.db"), server.url(), dev.token);
    std::string big(600'000, 'x');
    std::mt19937 letters(3);
    for (auto& c : big)
        c = static_cast<char>('a' + letters() % 26);
    t.t->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01849', '" + big +
              "')");
    ASSERT_EQ(t.sync(30s).outcome, sync_outcome::done); // the first fits the hour's megabyte
    t.t->exec("UPDATE incident SET summary = summary || 'y'");
    // A colleague's record still reaches the held-back tablet: it pulls without pushing.
    auto colleague = server.enrol("01849");
    test::test_tablet c(dir.file("c.db"), server.url(), colleague.token);
    c.t->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('i-c', '01849', 'Mất trộm "
              "bò')");
    ASSERT_EQ(c.sync(30s).outcome, sync_outcome::done);
    const auto held = t.sync(10s);
    EXPECT_EQ(held.outcome, sync_outcome::network);
    EXPECT_NE(held.message.find("within the last hour"), std::string::npos) << held.message;
    EXPECT_NE(held.message.find("pulled"), std::string::npos) << held.message;
    auto got = t.t->rep().db().prepare("SELECT summary FROM incident WHERE id = 'i-c'");
    ASSERT_TRUE(got.step());
    EXPECT_EQ(got.column_text(0), "Mất trộm bò");
    EXPECT_GT(t.t->status().pending, 0u); // kept, for a later hour
    // What the server answers such a push, seen on the wire.
    proto::hello h;
    auto tr = open_session(server, dev.token, 0x79, h);
    tr->receive(5s);
    proto::row_change row;
    row.table = "incident";
    row.id = "i9";
    row.scope = std::string("01849");
    row.seq = 1;
    row.exists = proto::existence_change{true, {hlc_from_ms(system_clock().now_ms()), h.site}, {}};
    row.cells.push_back({"summary", big, row.exists->ver, std::nullopt});
    tr->send(proto::encode(proto::push{0, 1, {row}}), 5s);
    auto answer = proto::decode(tr->receive(10s));
    ASSERT_TRUE(std::holds_alternative<proto::message>(answer));
    const auto* e = std::get_if<proto::error>(&std::get<proto::message>(answer));
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->code, proto::error_code::quota_exceeded);
    EXPECT_EQ(e->cond, proto::condition::transient);
    EXPECT_NE(e->message.find("within the last hour"), std::string::npos) << e->message;
}

// Issue 28, item 10: a HELLO's app_version of 1 MiB was stored whole and sent in every fleet
// page, to the console and to noi-admin status. It is cut at a character, and one an earlier
// release stored whole is cut when read.
TEST(hostile_client, a_tablets_long_app_version_is_kept_short_in_the_fleet) {
    test::live_server server;
    auto dev = server.enrol("01849");
    proto::hello h;
    h.app_version = "noi-client/1 "; // so that byte 61, where the cut falls, is inside "ả"
    while (h.app_version.size() < (1u << 20) - 16)
        h.app_version += "phiên bản ";
    auto tr = open_session(server, dev.token, 0x7a, h);
    auto welcome = proto::decode(tr->receive(10s));
    ASSERT_TRUE(std::holds_alternative<proto::message>(welcome));
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(std::get<proto::message>(welcome)));
    tr->close();
    auto shown = [&] {
        auto r = admin::request(server.url(), "GET", "/admin/v1/status", server.admin_token(), "");
        EXPECT_EQ(r.status, 200u);
        EXPECT_LT(r.body.size(), 2000u);
        return nlohmann::json::parse(r.body).at(0)["app_version"].get<std::string>();
    };
    const auto kept = shown();
    EXPECT_LE(kept.size(), 64u);
    EXPECT_TRUE(kept.starts_with("noi-client/1 phiên bản")) << kept;
    EXPECT_TRUE(kept.ends_with("…")) << kept;
    EXPECT_EQ(kept.find("\xef\xbf\xbd"), std::string::npos) << "cut inside a character: " << kept;
    EXPECT_EQ(
        test::server_count(server.data_dir(),
                           "SELECT count(*) FROM noi_devices WHERE app_version = '" + kept + "'"),
        1);

    test::server_exec(server.data_dir(),
                      test::servers_on_postgresql()
                          ? "UPDATE noi_devices SET app_version = 'noi/1 ' || repeat('ab', 500000)"
                          : "UPDATE noi_devices SET app_version = 'noi/1 ' || "
                            "hex(randomblob(500000))");
    const auto old = shown();
    EXPECT_LE(old.size(), 64u);
    EXPECT_TRUE(old.starts_with("noi/1 ") && old.ends_with("…")) << old;
}
