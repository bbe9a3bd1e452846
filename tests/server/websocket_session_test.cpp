// websocket_session over an in-memory stream (Beast's test stream): the transport alone, with a
// real server_state (store, database and reader threads) behind it and no socket.
#include "websocket_session_impl.hpp"

#include "temp_dir.hpp"

#include <noi/protocol/codec.hpp>
#include <noi/sync/sqlite_store.hpp>
#include <noi/sync/tablet.hpp>

#include <boost/beast/_experimental/test/stream.hpp>

#include <gtest/gtest.h>

#include <chrono>

using namespace noi;
using namespace noi::server;
using namespace std::chrono_literals;

namespace noi::server {

// Beast's test stream with the two calls the session makes on a TCP stream's lowest layer.
class memory_stream : public beast::test::stream {
public:
    using beast::test::stream::stream;
    void expires_never() {}
    struct closer {
        beast::test::stream& s;
        void close(beast::error_code&) { s.close(); }
    };
    closer socket() { return {*this}; }
};

// A websocket close tears the stream down as Beast's test stream does.
void teardown(beast::role_type role, memory_stream& s, beast::error_code& ec) {
    beast::test::stream& base = s;
    teardown(role, base, ec);
}
template <class Handler> void async_teardown(beast::role_type role, memory_stream& s, Handler&& h) {
    beast::test::stream& base = s;
    async_teardown(role, base, std::forward<Handler>(h));
}

template class websocket_session<memory_stream>;

} // namespace noi::server

namespace {

struct websocket_session_test : ::testing::Test {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    device dev{"tab-a", "01849", "Xã A, máy 1"};
    std::unique_ptr<server_state> state;
    std::unique_ptr<tablet> t = tablet::create(dir.file("a.db"), wall, {2});
    asio::io_context ioc;
    websocket::stream<beast::test::stream> client{ioc};

    void SetUp() override {
        sqlite_store::create(database_path(dir.path()), wall, {1})->add_device(dev);
        server_config cfg;
        cfg.data_dir = dir.path();
        state = std::make_unique<server_state>(cfg, store_location{});
    }

    // Runs the io_context until `done` holds, for at most 10 s of wall time.
    template <class Done> bool run_until(Done done) {
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (!done() && std::chrono::steady_clock::now() < until) {
            ioc.restart();
            ioc.run_for(20ms);
        }
        return done();
    }

    // Connects the client to a session over the in-memory pair, as an upgrade would.
    void connect() {
        memory_stream server_side(ioc);
        server_side.connect(client.next_layer());
        bool shaken = false;
        beast::error_code shake_ec;
        client.async_handshake("noi.test", "/sync/v1", [&](beast::error_code ec) {
            shake_ec = ec;
            shaken = true;
        });
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        bool read = false;
        http::async_read(server_side, buffer, req, [&](beast::error_code ec, std::size_t) {
            ASSERT_FALSE(ec) << ec.message();
            read = true;
        });
        ASSERT_TRUE(run_until([&] { return read; }));
        auto slot = std::make_shared<connection_slot>(*state, "test", false);
        std::make_shared<websocket_session<memory_stream>>(std::move(server_side), dev, *state,
                                                           slot)
            ->run(std::move(req));
        ASSERT_TRUE(run_until([&] { return shaken; }));
        ASSERT_FALSE(shake_ec) << shake_ec.message();
        client.binary(true);
    }

    proto::message exchange(const proto::message& m) {
        bool written = false;
        const auto bytes = proto::encode(m);
        client.async_write(asio::buffer(bytes), [&](beast::error_code ec, std::size_t) {
            EXPECT_FALSE(ec) << ec.message();
            written = true;
        });
        EXPECT_TRUE(run_until([&] { return written; }));
        return receive();
    }

    proto::message receive() {
        beast::flat_buffer in;
        bool got = false;
        client.async_read(in, [&](beast::error_code ec, std::size_t) {
            EXPECT_FALSE(ec) << ec.message();
            got = true;
        });
        EXPECT_TRUE(run_until([&] { return got; }));
        const auto data = in.data();
        auto decoded = proto::decode(
            {static_cast<const std::uint8_t*>(data.data()), static_cast<std::size_t>(data.size())});
        EXPECT_TRUE(std::holds_alternative<proto::message>(decoded));
        return std::get<proto::message>(std::move(decoded));
    }

    void TearDown() override {
        bool closed = false;
        client.async_close(websocket::close_code::normal,
                           [&](beast::error_code) { closed = true; });
        run_until([&] { return closed; });
        run_until([&] { return state->live_sessions() == 0; });
        state->stop_db();
    }
};

} // namespace

TEST_F(websocket_session_test, a_round_over_the_transport_is_answered_in_order) {
    t->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
    connect();
    auto welcome = exchange(t->begin_round("test"));
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(welcome));
    t->on_welcome(std::get<proto::welcome>(welcome));
    auto push = t->next_push(0, 100);
    ASSERT_TRUE(push);
    auto ack = exchange(*push);
    ASSERT_TRUE(std::holds_alternative<proto::push_ack>(ack));
    EXPECT_EQ(std::get<proto::push_ack>(ack).acked_seq, push->to_seq);
    EXPECT_EQ(state->stats().rows_pushed.load(), 1u);
    // The PULL is answered by the reader's connection: it sees the push's commit.
    auto changes = exchange(proto::pull{0, 500, true});
    ASSERT_TRUE(std::holds_alternative<proto::changes>(changes));
    const auto& rows = std::get<proto::changes>(changes).rows;
    EXPECT_TRUE(std::any_of(rows.begin(), rows.end(), [](const auto& r) { return r.id == "h1"; }));
    EXPECT_EQ(state->stats().pulls.load(), 1u);
}

TEST_F(websocket_session_test, a_pull_before_hello_is_refused_by_the_writer_and_the_session_ends) {
    connect();
    auto refused = exchange(proto::pull{0, 500, true});
    ASSERT_TRUE(std::holds_alternative<proto::error>(refused));
    EXPECT_EQ(std::get<proto::error>(refused).code, proto::error_code::unexpected_message);
    EXPECT_EQ(state->stats().pulls.load(), 0u) << "the reader never saw it";
    beast::flat_buffer in;
    beast::error_code read_ec;
    bool ended = false;
    client.async_read(in, [&](beast::error_code ec, std::size_t) {
        read_ec = ec;
        ended = true;
    });
    ASSERT_TRUE(run_until([&] { return ended; }));
    EXPECT_EQ(read_ec, websocket::error::closed) << read_ec.message();
}

TEST_F(websocket_session_test, a_text_frame_is_refused_as_not_part_of_the_protocol) {
    connect();
    // Valid UTF-8 (Beast itself closes a text frame that is not, with code 1007): a client
    // that took the protocol for JSON.
    client.text(true);
    const std::string json = R"({"type": "hello", "version": 1})";
    bool written = false;
    client.async_write(asio::buffer(json), [&](beast::error_code ec, std::size_t) {
        EXPECT_FALSE(ec) << ec.message();
        written = true;
    });
    ASSERT_TRUE(run_until([&] { return written; }));
    auto refused = receive();
    ASSERT_TRUE(std::holds_alternative<proto::error>(refused));
    const auto& e = std::get<proto::error>(refused);
    EXPECT_EQ(e.code, proto::error_code::malformed);
    EXPECT_NE(e.message.find("binary"), std::string::npos) << e.message;
}

TEST_F(websocket_session_test, a_message_over_a_decoder_limit_is_refused_as_too_large) {
    connect();
    auto welcome = exchange(t->begin_round("test"));
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(welcome));
    proto::push p{0, 1, {}};
    proto::row_change r;
    r.table = "household";
    r.id = "h1";
    r.seen.resize(257); // a row holds at most 256 seen versions (the decoder's limit)
    r.exists = proto::existence_change{false, {1, {}}, std::nullopt};
    p.rows.push_back(r);
    auto refused = exchange(p);
    ASSERT_TRUE(std::holds_alternative<proto::error>(refused));
    EXPECT_EQ(std::get<proto::error>(refused).code, proto::error_code::too_large);
}

TEST_F(websocket_session_test, a_pull_cursor_beyond_the_feed_is_refused_by_the_reader) {
    connect();
    auto welcome = exchange(t->begin_round("test"));
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(welcome));
    auto refused = exchange(proto::pull{std::uint64_t{1} << 63, 500, true});
    ASSERT_TRUE(std::holds_alternative<proto::error>(refused));
    const auto& e = std::get<proto::error>(refused);
    EXPECT_EQ(e.code, proto::error_code::bad_cursor);
    EXPECT_NE(e.message.find("9223372036854775808"), std::string::npos) << e.message;
}
