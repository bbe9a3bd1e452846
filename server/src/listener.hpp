// Accepts connections; each gets its own strand, a counted slot and an http_session.
#pragma once

#include "server_state.hpp"

#include <atomic>
#include <memory>

namespace noi::server {

class listener : public std::enable_shared_from_this<listener> {
public:
    // tls: when it points to a context, every connection speaks TLS first (https:// and wss://)
    // with the context it points to at accept (a reload points it to a new one).
    listener(asio::io_context& ioc, tcp::endpoint ep, server_state& state,
             const std::atomic<asio::ssl::context*>* tls);
    void run() { do_accept(); }
    void stop();
    tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

private:
    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);
    // Out of file descriptors (or another accept error): wait before the next accept instead
    // of failing at once in a loop, and say so at most once a minute.
    void back_off(const beast::error_code& ec);

    asio::io_context& ioc_;
    tcp::acceptor acceptor_;
    server_state& state_;
    const std::atomic<asio::ssl::context*>* tls_;
    asio::steady_timer retry_;
    std::chrono::milliseconds backoff_{0};
    std::chrono::steady_clock::time_point last_warned_{};
    std::uint64_t unwarned_ = 0;
};

} // namespace noi::server
