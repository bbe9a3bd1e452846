#include "idle_fleet.hpp"

#include <noi/beast/deflate.hpp>
#include <noi/protocol/codec.hpp>
#include <noi/sync/schema.hpp>

#include <utility> // before Asio: Boost 1.74's awaitable.hpp misses it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <random>
#include <thread>

namespace noi::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct connection {
    explicit connection(asio::io_context& ioc) : ws(ioc) {}
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buf;
};

} // namespace

struct idle_fleet::impl {
    idle_fleet_options opt;
    asio::io_context ioc;
    std::vector<std::unique_ptr<connection>> conns;
    std::size_t next = 0, welcomed = 0, openers = 0;
    std::thread keeper; // answers pings and closes once the fleet is open
    std::string first_error;
    std::mt19937_64 rng{std::random_device{}()};

    asio::awaitable<void> open_one(std::size_t i) {
        auto& c = *conns[i];
        beast::get_lowest_layer(c.ws).expires_after(opt.timeout);
        co_await beast::get_lowest_layer(c.ws).async_connect(
            tcp::endpoint(asio::ip::make_address(opt.host), opt.port), asio::use_awaitable);
        c.ws.set_option(beast_support::permessage_deflate(opt.deflate, false));
        const auto& token = opt.tokens[i % opt.tokens.size()];
        c.ws.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
            req.set(beast::http::field::authorization, "Bearer " + token);
        }));
        co_await c.ws.async_handshake(opt.host + ":" + std::to_string(opt.port), "/sync",
                                      asio::use_awaitable);
        c.ws.binary(true);
        proto::hello h;
        for (auto& b : h.site)
            b = static_cast<std::uint8_t>(rng());
        h.app_version = "noi-bench idle";
        h.schema_version = default_schema_version; // a tablet made by init, as the server is
        h.clock_ms =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
        auto bytes = proto::encode(h);
        co_await c.ws.async_write(asio::buffer(bytes), asio::use_awaitable);
        co_await c.ws.async_read(c.buf, asio::use_awaitable);
        auto data = c.buf.cdata();
        auto m = proto::decode({static_cast<const std::uint8_t*>(data.data()), data.size()});
        auto* msg = std::get_if<proto::message>(&m);
        if (!msg || !std::holds_alternative<proto::welcome>(*msg))
            throw std::runtime_error("the server did not answer HELLO with WELCOME");
        c.buf.consume(c.buf.size());
        beast::get_lowest_layer(c.ws).expires_never();
        ++welcomed;
        // An idle tablet keeps a read pending, for NOTIFY and the server's close.
        c.ws.async_read(c.buf, [](beast::error_code, std::size_t) {});
    }

    asio::awaitable<void> opener() {
        while (next < conns.size()) {
            auto i = next++;
            try {
                co_await open_one(i);
            } catch (const std::exception& e) {
                if (first_error.empty()) first_error = e.what();
            }
        }
        --openers;
    }
};

idle_fleet::idle_fleet(idle_fleet_options opt) : impl_(std::make_unique<impl>()) {
    impl_->opt = std::move(opt);
}

idle_fleet::~idle_fleet() {
    impl_->ioc.stop();
    if (impl_->keeper.joinable()) impl_->keeper.join();
}

std::size_t idle_fleet::open() {
    auto& m = *impl_;
    for (std::size_t i = 0; i < m.opt.connections; ++i)
        m.conns.push_back(std::make_unique<connection>(m.ioc));
    m.openers = std::min(m.opt.opening_at_once, m.opt.connections);
    for (std::size_t k = 0; k < m.openers; ++k)
        asio::co_spawn(m.ioc, m.opener(), asio::detached);
    // The pending reads of open connections keep the context busy for ever, so it runs in
    // slices until the openers are done.
    auto deadline = std::chrono::steady_clock::now() + m.opt.timeout;
    while (m.openers > 0 && std::chrono::steady_clock::now() < deadline)
        m.ioc.run_for(std::chrono::milliseconds(50));
    if (m.openers > 0) {
        m.ioc.stop();
        if (m.first_error.empty())
            m.first_error = "opening the connections took longer than the time allowed";
    } else {
        m.keeper = std::thread([&m] { m.ioc.run(); });
    }
    return m.welcomed;
}

const std::string& idle_fleet::first_error() const {
    return impl_->first_error;
}

} // namespace noi::bench
