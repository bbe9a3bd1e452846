#include "listener.hpp"

#include "http_session.hpp"

#include <noi/sync/error.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace noi::server {

listener::listener(asio::io_context& ioc, tcp::endpoint ep, server_state& state,
                   const std::atomic<asio::ssl::context*>* tls)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), state_(state), tls_(tls),
      retry_(acceptor_.get_executor()) {
    beast::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw sync_error(errc::refused, "cannot listen on " + ep.address().to_string() + ":" +
                                            std::to_string(ep.port()) + ": " + ec.message() +
                                            "; choose a free port or stop the other server");
}

void listener::stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        beast::error_code ec;
        self->acceptor_.close(ec);
    });
}

void listener::do_accept() {
    // The new connection gets its own strand, so its handlers never run concurrently.
    acceptor_.async_accept(asio::make_strand(ioc_),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::back_off(const beast::error_code& ec) {
    backoff_ =
        std::clamp(backoff_ * 2, std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
    const auto now = std::chrono::steady_clock::now();
    if (now - last_warned_ >= std::chrono::minutes(1)) {
        spdlog::warn("cannot accept connections: {} ({} more such errors since the last "
                     "warning); waiting {} ms before the next try. Raise the open-files limit "
                     "(ulimit -n, LimitNOFILE=) or lower the connection limits",
                     ec.message(), unwarned_, backoff_.count());
        last_warned_ = now;
        unwarned_ = 0;
    } else {
        ++unwarned_;
    }
    retry_.expires_after(backoff_);
    retry_.async_wait([self = shared_from_this()](beast::error_code e) {
        if (!e && self->acceptor_.is_open()) self->do_accept();
    });
}

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) return back_off(ec);
    backoff_ = std::chrono::milliseconds(0);
    beast::error_code ignored;
    auto peer = socket.remote_endpoint(ignored);
    auto slot = state_.admit(ignored ? std::string() : plain_address(peer.address()));
    if (!slot) {
        state_.stats().refused_connections++;
        socket.close(ignored);
        return do_accept();
    }
    state_.stats().connections++;
    // Small messages answer small messages: Nagle's wait for an ACK that the peer delays
    // cost a round trip its whole delayed-ACK time (up to 200 ms) per batch.
    socket.set_option(tcp::no_delay(true), ignored);
    if (auto* tls = tls_->load())
        std::make_shared<http_session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls), state_, std::move(slot))
            ->run();
    else
        std::make_shared<http_session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)),
                                                          state_, std::move(slot))
            ->run();
    do_accept();
}

} // namespace noi::server
