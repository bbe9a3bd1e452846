#include "listener.hpp"

#include "http_session.hpp"

#include <noi/sync/error.hpp>

#include <spdlog/spdlog.h>

namespace noi::server {

listener::listener(asio::io_context& ioc, tcp::endpoint ep, server_state& state,
                   asio::ssl::context* tls)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), state_(state), tls_(tls) {
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

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
        spdlog::warn("accept: {}", ec.message());
    } else if (state_.live_sessions() >= state_.config().max_connections) {
        state_.stats().refused_connections++;
        beast::error_code ignored;
        socket.close(ignored);
    } else {
        state_.stats().connections++;
        // Small messages answer small messages: Nagle's wait for an ACK that the peer delays
        // cost a round trip its whole delayed-ACK time (up to 200 ms) per batch.
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (tls_)
            std::make_shared<http_session<beast::ssl_stream<beast::tcp_stream>>>(
                beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls_), state_)
                ->run();
        else
            std::make_shared<http_session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)),
                                                              state_)
                ->run();
    }
    do_accept();
}

} // namespace noi::server
