#include "cutting_proxy.hpp"

#include <utility>

#include <boost/asio.hpp>

#include <array>
#include <atomic>
#include <limits>
#include <random>
#include <thread>

namespace noi::sim {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

struct link : std::enable_shared_from_this<link> {
    tcp::socket client, server;
    std::size_t budget;
    int delay_ms, rate;
    asio::steady_timer deadline;
    std::atomic<std::uint64_t>& cuts;
    std::atomic<std::uint64_t>& bytes;
    std::array<char, 4096> up{}, down{};
    bool closed = false;

    link(tcp::socket c, asio::io_context& ioc, std::size_t b, const proxy_options& o,
         std::atomic<std::uint64_t>& cuts_, std::atomic<std::uint64_t>& bytes_)
        : client(std::move(c)), server(ioc), budget(b), delay_ms(o.delay_ms),
          rate(o.rate_bytes_per_s), deadline(ioc), cuts(cuts_), bytes(bytes_) {}

    void start(std::uint16_t port, int cut_after_ms) {
        auto self = shared_from_this();
        if (cut_after_ms > 0) {
            deadline.expires_after(std::chrono::milliseconds(cut_after_ms));
            deadline.async_wait([self](boost::system::error_code ec) {
                if (ec || self->closed) return;
                self->cuts++;
                self->close();
            });
        }
        server.async_connect({asio::ip::address_v4::loopback(), port},
                             [self](boost::system::error_code ec) {
                                 if (ec) return self->close();
                                 // A proxy must not add Nagle's waits the two ends turned off.
                                 self->client.set_option(tcp::no_delay(true), ec);
                                 self->server.set_option(tcp::no_delay(true), ec);
                                 self->pump(self->client, self->server, self->up);
                                 self->pump(self->server, self->client, self->down);
                             });
    }

    void pump(tcp::socket& from, tcp::socket& to, std::array<char, 4096>& buf) {
        auto self = shared_from_this();
        from.async_read_some(asio::buffer(buf), [self, &from, &to, &buf](
                                                    boost::system::error_code ec, std::size_t n) {
            if (ec) return self->close();
            if (n >= self->budget) {
                // Forward part of the chunk, then cut: the cut lands inside a message.
                auto part = self->budget;
                asio::write(to, asio::buffer(buf.data(), part), ec);
                self->cuts++;
                return self->close();
            }
            self->budget -= n;
            self->bytes += n;
            // The proxy's one thread sleeps: every link through it shares the slow line.
            auto wait = std::chrono::milliseconds(self->delay_ms);
            if (self->rate > 0)
                wait += std::chrono::milliseconds(static_cast<std::int64_t>(n) * 1000 / self->rate);
            if (wait.count() > 0) std::this_thread::sleep_for(wait);
            asio::async_write(to, asio::buffer(buf.data(), n),
                              [self, &from, &to, &buf](boost::system::error_code e, std::size_t) {
                                  if (e) return self->close();
                                  self->pump(from, to, buf);
                              });
        });
    }

    void close() {
        if (closed) return;
        closed = true;
        deadline.cancel();
        boost::system::error_code ignored;
        client.close(ignored);
        server.close(ignored);
    }
};

} // namespace

struct cutting_proxy::impl {
    proxy_options opt;
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc, {asio::ip::address_v4::loopback(), 0}};
    std::mt19937_64 rng;
    std::atomic<std::uint64_t> connections{0}, cuts{0}, bytes{0};
    std::thread thread;

    explicit impl(proxy_options o) : opt(o), rng(o.seed) {
        accept();
        thread = std::thread([this] { ioc.run(); });
    }

    void accept() {
        acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
            if (ec) return;
            connections++;
            std::uniform_int_distribution<std::size_t> d(opt.min_cut_bytes, opt.max_cut_bytes);
            std::uniform_real_distribution<double> share(0, 1);
            auto budget =
                share(rng) < opt.cut_share ? d(rng) : std::numeric_limits<std::size_t>::max();
            std::make_shared<link>(std::move(s), ioc, budget, opt, cuts, bytes)
                ->start(opt.target_port, opt.cut_after_ms);
            accept();
        });
    }
};

cutting_proxy::cutting_proxy(proxy_options opt) : impl_(std::make_unique<impl>(opt)) {}

cutting_proxy::~cutting_proxy() {
    impl_->ioc.stop();
    impl_->thread.join();
}

std::uint16_t cutting_proxy::port() const {
    return impl_->acceptor.local_endpoint().port();
}
std::uint64_t cutting_proxy::connections() const {
    return impl_->connections;
}
std::uint64_t cutting_proxy::cuts() const {
    return impl_->cuts;
}
std::uint64_t cutting_proxy::bytes() const {
    return impl_->bytes;
}

} // namespace noi::sim
