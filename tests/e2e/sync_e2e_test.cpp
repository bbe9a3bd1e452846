// Tablets, a real server and real WebSockets on 127.0.0.1 (docs/design.md §4, §6).
#include "cutting_proxy.hpp"
#include "live_server.hpp"

#include <noi/protocol/codec.hpp>
#include <noi/server/server.hpp>
#include <noi/sync/database.hpp>

#include <gtest/gtest.h>

#include <map>

using namespace noi;
using client::sync_outcome;

namespace {

const std::string A = "01849", B = "01864";

struct e2e : ::testing::Test {
    test::temp_dir dir;
    test::live_server server;

    std::unique_ptr<test::test_tablet> tablet_for(const std::string& scope,
                                                  const std::string& name) {
        auto e = server.enrol(scope);
        return std::make_unique<test::test_tablet>(dir.file(name), server.url(), e.token);
    }
    std::int64_t server_count(const std::string& sql) {
        return test::server_count(server.data_dir(), sql);
    }
    static void synced(test::test_tablet& t) {
        auto r = t.sync();
        ASSERT_EQ(r.outcome, sync_outcome::done) << r.message;
    }
};

} // namespace

TEST_F(e2e, tablets_of_two_communes_and_the_province_converge_over_websockets) {
    auto a1 = tablet_for(A, "a1.db"), a2 = tablet_for(A, "a2.db"), b = tablet_for(B, "b.db"),
         p = tablet_for("*", "p.db");
    a1->t->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
                "'Nà Pài', 4)");
    a1->t->exec("INSERT INTO incident(id, commune_code, category, summary) VALUES ('i1', '01849', "
                "'drugs', 'Bí mật')");
    b->t->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h2', '01864', "
               "'Bản Chang', 2)");
    for (auto* t : {a1.get(), a2.get(), b.get(), p.get()})
        synced(*t);
    synced(*a1);
    EXPECT_EQ(a2->count("SELECT count(*) FROM household"), 1);
    EXPECT_EQ(b->count("SELECT count(*) FROM household"), 1);
    EXPECT_EQ(b->count("SELECT count(*) FROM incident"), 0); // never another commune's rows
    EXPECT_EQ(p->count("SELECT count(*) FROM household"), 2);
    EXPECT_EQ(b->count("SELECT count(*) FROM commune"), 92);

    // Different columns of one row merge; the same column converges and records a conflict.
    a1->t->exec("UPDATE household SET members = 5 WHERE id = 'h1'");
    a2->t->exec("UPDATE household SET village = 'Khuổi Bốc' WHERE id = 'h1'");
    synced(*a1);
    synced(*a2);
    a1->t->exec("UPDATE household SET is_safe = 1 WHERE id = 'h1'");
    a2->t->exec("UPDATE household SET is_safe = 0 WHERE id = 'h1'");
    synced(*a1);
    synced(*a2);
    synced(*a1);
    for (auto* t : {a1.get(), a2.get(), p.get()}) {
        synced(*t);
        EXPECT_EQ(t->count("SELECT members FROM household WHERE id = 'h1'"), 5);
        EXPECT_EQ(t->count("SELECT village = 'Khuổi Bốc' FROM household WHERE id = 'h1'"), 1);
    }
    EXPECT_EQ(a1->count("SELECT is_safe FROM household WHERE id = 'h1'"),
              a2->count("SELECT is_safe FROM household WHERE id = 'h1'"));
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_conflicts WHERE col = 'is_safe'"), 1);

    // A delete reaches everyone.
    a2->t->exec("DELETE FROM incident WHERE id = 'i1'");
    synced(*a2);
    synced(*a1);
    synced(*p);
    EXPECT_EQ(a1->count("SELECT count(*) FROM incident"), 0);
    EXPECT_EQ(p->count("SELECT count(*) FROM incident"), 0);
    for (auto* t : {a1.get(), a2.get(), b.get(), p.get()})
        EXPECT_EQ(t->t->status().pending, 0u);
}

TEST_F(e2e, a_row_outside_the_scope_is_quarantined_while_the_rest_of_the_batch_applies) {
    auto a = tablet_for(A, "a.db");
    a->t->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('ok', '01849', 'đúng xã')");
    a->t->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('bad', '01864', 'sai xã')");
    synced(*a);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident"), 1);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine WHERE row_id = 'bad'"), 1);
    auto rej = a->t->rejected();
    ASSERT_EQ(rej.size(), 1u);
    EXPECT_EQ(rej[0].reason, "out_of_scope");
    EXPECT_EQ(a->count("SELECT count(*) FROM incident"), 1);
    EXPECT_EQ(a->t->status().pending, 0u);
}

TEST_F(e2e, a_revoked_device_is_refused) {
    auto e = server.enrol(A);
    test::test_tablet a(dir.file("a.db"), server.url(), e.token);
    synced(a);
    server.revoke(e.device_id);
    auto r = a.sync(std::chrono::seconds(5));
    EXPECT_EQ(r.outcome, sync_outcome::credentials) << r.message;
    test::test_tablet bad(dir.file("bad.db"), server.url(), "not-a-token");
    EXPECT_EQ(bad.sync(std::chrono::seconds(5)).outcome, sync_outcome::credentials);
}

TEST_F(e2e, an_unreachable_server_is_a_network_outcome_and_loses_nothing) {
    auto e = server.enrol(A);
    test::test_tablet a(dir.file("a.db"), "http://127.0.0.1:1", e.token);
    a.t->exec("INSERT INTO incident(id, commune_code) VALUES ('i1', '01849')");
    auto r = a.sync(std::chrono::milliseconds(800));
    EXPECT_EQ(r.outcome, sync_outcome::network);
    EXPECT_GE(r.attempts, 2);
    EXPECT_EQ(a.t->status().pending, 1u);
    a.url = server.url();
    synced(a);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident"), 1);
}

TEST_F(e2e, a_backlog_arrives_exactly_once_through_a_link_cut_at_random_bytes) {
    auto a = tablet_for(A, "a.db");
    auto b = tablet_for(A, "b.db");
    a->t->exec("BEGIN");
    for (int i = 0; i < 3000; ++i)
        a->t->exec("INSERT INTO militia_member(id, commune_code, full_name, village, birth_year) "
                   "VALUES ('m" +
                   std::to_string(i) + "', '01849', 'Chiến sĩ " + std::to_string(i) +
                   "', 'Nà Pài', 1999)");
    a->t->exec("COMMIT");
    sim::proxy_options po;
    po.target_port = server.port();
    po.seed = 7;
    po.delay_ms = 1; // and every chunk waits, as on a slow link
    sim::cutting_proxy proxy(po);
    auto via = "http://127.0.0.1:" + std::to_string(proxy.port());
    auto r = a->sync(std::chrono::seconds(120), via);
    ASSERT_EQ(r.outcome, sync_outcome::done) << r.message;
    EXPECT_GT(proxy.cuts(), 3u);
    auto rb = b->sync(std::chrono::seconds(120), via);
    ASSERT_EQ(rb.outcome, sync_outcome::done) << rb.message;
    EXPECT_EQ(server_count("SELECT count(*) FROM militia_member"), 3000);
    EXPECT_EQ(server_count(
                  "SELECT count(DISTINCT row_id) FROM noi_audit_log WHERE tbl = 'militia_member'"),
              3000);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log WHERE tbl = 'militia_member'"),
              3000); // applied once each
    EXPECT_EQ(b->count("SELECT count(*) FROM militia_member"), 3000);
    EXPECT_EQ(a->t->status().pending, 0u);
}

namespace {

// A bare connection that has said HELLO and got WELCOME, as an online tablet holds between rounds.
struct open_connection {
    std::unique_ptr<client::transport> tr = client::make_websocket_transport();
    open_connection(const std::string& url, const std::string& token, tablet& t) {
        tr->connect(url, token, std::chrono::seconds(5));
        tr->send(proto::encode(t.begin_round("test")), std::chrono::seconds(5));
        auto w = proto::decode(tr->receive(std::chrono::seconds(5)));
        EXPECT_TRUE(std::holds_alternative<proto::welcome>(std::get<proto::message>(w)));
    }
    proto::message next(std::chrono::milliseconds timeout) {
        return std::get<proto::message>(proto::decode(tr->receive(timeout)));
    }
};

} // namespace

TEST_F(e2e, an_online_tablet_is_notified_of_new_data_in_its_scope_and_no_other) {
    auto a = tablet_for(A, "a.db"), a2 = tablet_for(A, "a2.db"), b = tablet_for(B, "b.db");
    synced(*a);
    synced(*b);
    open_connection watching_a(server.url(), a->token, *a->t);
    open_connection watching_b(server.url(), b->token, *b->t);
    a2->t->exec("INSERT INTO incident(id, commune_code) VALUES ('i1', '01849')");
    synced(*a2);
    auto m = watching_a.next(std::chrono::seconds(3));
    ASSERT_TRUE(std::holds_alternative<proto::notify>(m));
    EXPECT_GT(std::get<proto::notify>(m).server_seq, 0u);
    // The other commune hears nothing.
    EXPECT_THROW(watching_b.next(std::chrono::milliseconds(300)), client::transport_error);
}

TEST_F(e2e, revoking_a_device_closes_its_open_connection_at_once) {
    auto e = server.enrol(A);
    test::test_tablet a(dir.file("a.db"), server.url(), e.token);
    open_connection conn(server.url(), e.token, *a.t);
    server.revoke(e.device_id);
    auto m = conn.next(std::chrono::seconds(2));
    ASSERT_TRUE(std::holds_alternative<proto::error>(m));
    EXPECT_EQ(std::get<proto::error>(m).code, proto::error_code::unknown_device);
    EXPECT_THROW(conn.next(std::chrono::seconds(2)), client::transport_error);
}

TEST_F(e2e, malformed_frames_get_an_error_and_a_close_while_others_are_served) {
    auto a = tablet_for(A, "a.db");
    auto tr = client::make_websocket_transport();
    tr->connect(server.url(), a->token, std::chrono::seconds(5));
    // An array claiming four billion elements: a count past the decoder's bounds.
    tr->send({0xdd, 0xff, 0xff, 0xff, 0xff}, std::chrono::seconds(5));
    auto m = std::get<proto::message>(proto::decode(tr->receive(std::chrono::seconds(5))));
    ASSERT_TRUE(std::holds_alternative<proto::error>(m));
    EXPECT_EQ(std::get<proto::error>(m).code, proto::error_code::too_large);
    // Bytes that are not msgpack at all.
    tr = client::make_websocket_transport();
    tr->connect(server.url(), a->token, std::chrono::seconds(5));
    tr->send({0xc1}, std::chrono::seconds(5));
    m = std::get<proto::message>(proto::decode(tr->receive(std::chrono::seconds(5))));
    ASSERT_TRUE(std::holds_alternative<proto::error>(m));
    EXPECT_EQ(std::get<proto::error>(m).code, proto::error_code::malformed);
    EXPECT_THROW(tr->receive(std::chrono::seconds(2)), client::transport_error);
    synced(*a);
}

TEST(e2e_tls, a_tablet_syncs_over_wss_and_refuses_an_unverified_certificate) {
    test::temp_dir dir;
    test::live_server server(true);
    ASSERT_EQ(server.url().rfind("https://", 0), 0u);
    auto e = server.enrol(A);
    test::test_tablet a(dir.file("a.db"), server.url(), e.token);
    a.t->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('t1', '01849', 'qua TLS')");
    // Verification is on by default: without the provincial CA the handshake is refused.
    auto refused = a.sync(std::chrono::seconds(10));
    EXPECT_EQ(refused.outcome, sync_outcome::refused); // a setting to fix: no point retrying
    EXPECT_EQ(refused.attempts, 1);
    EXPECT_NE(refused.message.find("not signed by a CA this machine trusts"), std::string::npos)
        << refused.message;
    a.ca_file = server.ca_file();
    auto r = a.sync();
    ASSERT_EQ(r.outcome, sync_outcome::done) << r.message;
    EXPECT_EQ(a.count("SELECT count(*) FROM commune"), 92);
    EXPECT_EQ(a.t->status().pending, 0u);
}

TEST_F(e2e, batches_shrink_on_a_link_that_cuts_before_any_batch_returns) {
    auto a = tablet_for(A, "a.db");
    a->t->exec("BEGIN");
    for (int i = 0; i < 400; ++i)
        a->t->exec("INSERT INTO household(id, commune_code, head_name) VALUES ('h" +
                   std::to_string(i) + "', '01849', 'Chủ hộ có tên rất dài để làm lô lớn " +
                   std::to_string(i) + "')");
    a->t->exec("COMMIT");
    sim::proxy_options po;
    po.target_port = server.port();
    po.min_cut_bytes = 3'000; // less than one default batch of these rows, compressed
    po.max_cut_bytes = 6'000;
    sim::cutting_proxy proxy(po);
    auto r = a->sync(std::chrono::seconds(120), "http://127.0.0.1:" + std::to_string(proxy.port()));
    ASSERT_EQ(r.outcome, sync_outcome::done) << r.message;
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), 400);
    EXPECT_LT(a->t->rep().meta_int("push_rows", 200), 200);
}

TEST_F(e2e, a_backlog_crosses_a_2g_link_cut_every_few_seconds_making_progress_on_each_connection) {
    constexpr int rows = 400;
    auto a = tablet_for(A, "a.db");
    a->t->exec("BEGIN");
    for (int i = 0; i < rows; ++i)
        a->t->exec(
            "INSERT INTO household(id, commune_code, village, head_name, members) VALUES ('h" +
            std::to_string(i) + "', '01849', 'Bản Nà " + std::to_string(i % 13) + "', 'Chủ hộ " +
            std::to_string(i) + "', " + std::to_string(i % 7) + ")");
    a->t->exec("COMMIT");
    // 2G as the field has it, about 20 kbit/s with 300 ms latency and a cut every 30 s,
    // scaled down in time by 15: the same rate, 20 ms latency, a cut every 2 s (5 KB a link).
    sim::proxy_options po;
    po.target_port = server.port();
    po.cut_share = 0;
    po.rate_bytes_per_s = 2'500;
    po.delay_ms = 20;
    po.cut_after_ms = 2'000;
    sim::cutting_proxy proxy(po);
    // The rows still pending, seen after each message of each attempt.
    std::map<int, std::pair<std::uint64_t, std::uint64_t>> pending_by_attempt; // first, last
    std::uint64_t lowest = rows;
    bool went_back = false;
    client::replicator_options opt;
    opt.url = "http://127.0.0.1:" + std::to_string(proxy.port());
    opt.token = a->token;
    opt.first_backoff = std::chrono::milliseconds(50);
    opt.max_backoff = std::chrono::milliseconds(200);
    client::replicator rep(
        *a->t, [] { return client::make_websocket_transport(); }, opt);
    auto r = rep.sync(std::chrono::seconds(150), [&](const client::sync_progress& p) {
        auto pending = a->t->status().pending;
        went_back = went_back || pending > lowest;
        lowest = std::min(lowest, pending);
        auto [it, fresh] = pending_by_attempt.try_emplace(p.attempt, pending, pending);
        if (!fresh) it->second.second = pending;
    });
    ASSERT_EQ(r.outcome, sync_outcome::done) << r.message;
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), rows);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log WHERE tbl = 'household'"), rows);
    EXPECT_FALSE(went_back) << "a round restarted from zero";
    EXPECT_GT(proxy.cuts(), 3u) << "the link was not cut; make the backlog larger";
    // Once the first connections have shrunk the batches to what the link carries (each cut
    // before an ack halves them), the connections that got as far as pushing move the backlog
    // on. A batch that only just fits can still miss on a loaded machine (CTest runs this
    // beside the chaos tests): one such connection is allowed, and it halves the batch too.
    int learning = 0, stalled = 0, progressed = 0;
    bool learnt = false;
    for (const auto& [attempt, span] : pending_by_attempt) {
        if (span.first == 0) continue;
        bool moved = span.second < span.first;
        if (!moved) (learnt ? stalled : learning)++;
        learnt = learnt || moved;
        progressed += moved;
    }
    EXPECT_LE(learning, 2);
    EXPECT_LE(stalled, 1) << "connections made no progress after the batches had shrunk to fit";
    EXPECT_GE(progressed, 2);
}

TEST_F(e2e, stopping_the_server_closes_open_sync_connections_with_a_close_frame) {
    auto a = tablet_for(A, "a.db");
    open_connection conn(server.url(), a->token, *a->t);
    std::thread stopper([&] { server.stop(); });
    try {
        conn.next(std::chrono::seconds(5));
        FAIL() << "a message arrived after the stop";
    } catch (const client::transport_error& e) {
        EXPECT_NE(std::string(e.what()).find("code 1001"), std::string::npos)
            << e.what(); // going away
    }
    stopper.join();
}

TEST(e2e_limits,
     an_oversized_message_is_refused_with_close_code_1009_and_the_connection_limit_holds) {
    test::temp_dir dir;
    test::live_server server(false, [](server::server_config& c) {
        c.max_message_bytes = 64 * 1024;
        c.max_connections = 2;
    });
    auto e = server.enrol(A);
    test::test_tablet a(dir.file("a.db"), server.url(), e.token);
    auto tr = client::make_websocket_transport();
    tr->connect(server.url(), e.token, std::chrono::seconds(5));
    std::vector<std::uint8_t> big(200 * 1024, 0x90);
    tr->send(big, std::chrono::seconds(5));
    // Beast refuses the frame itself: a close frame with code 1009 (message too big).
    try {
        tr->receive(std::chrono::seconds(5));
        FAIL() << "the oversized message was answered";
    } catch (const client::transport_error& err) {
        EXPECT_NE(std::string(err.what()).find("1009"), std::string::npos) << err.what();
    }
    tr->close();
    ASSERT_EQ(a.sync().outcome, sync_outcome::done); // the server goes on serving

    // Two sync sessions fill the server; a third connection is refused; the two keep working.
    auto other = server.enrol(A), third = server.enrol(A);
    test::test_tablet b(dir.file("b.db"), server.url(), other.token),
        c(dir.file("c.db"), server.url(), third.token);
    open_connection first(server.url(), e.token, *a.t);
    open_connection second(server.url(), other.token, *b.t);
    EXPECT_NE(c.sync(std::chrono::seconds(2)).outcome, sync_outcome::done);
}
