// One HTTP connection: /healthz, /metrics, the admin API, the web console, and the upgrade of
// /sync to a WebSocket once the device token checks out (401 otherwise, and no WebSocket).
#pragma once

#include "server_state.hpp"
#include "web_headers.hpp"

#include <memory>
#include <optional>

namespace noi::server {

// Stream is beast::tcp_stream, or beast::ssl_stream<beast::tcp_stream> for TLS.
template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
public:
    http_session(Stream&& stream, server_state& state, std::shared_ptr<connection_slot> slot);
    void run();

private:
    void on_handshake(beast::error_code ec);
    void do_read();
    void shutdown();
    void on_read(beast::error_code ec, std::size_t n);
    void respond(unsigned status, std::string body, const std::string& content_type,
                 int retry_after_s = 0, const header_list& extra = {});
    // The admin API, for an account's bearer token or a console session's cookie.
    void admin_request(const std::string& target);
    // The web console (http_console.cpp): its files, signing in and out, who is signed in.
    // False when the path is not the console's.
    bool console_request(const std::string& path);
    void sign_in();
    // On the hashing thread, holding the sign-in's place in the queue until the check is over;
    // `address` gets back the failure its sign-in took when the password is right.
    void check_password(std::shared_ptr<sign_in_queue::place> place, std::string address,
                        std::string name, std::string password, std::optional<account> who,
                        std::string hash);
    void sign_out();
    void whoami();
    bool secure_cookies() const;
    void on_write(bool close, beast::error_code ec, std::size_t);
    void upgrade();
    // The client's address: the socket's peer, or the address a trusted proxy forwards for.
    std::string client_address();
    // A refused credential: counted against the client's address, and answered late (429)
    // once that address has failed too often, so guessing costs time; `what` names it in the log.
    void refuse_credential(auth_limiter& limits, const char* what, std::string body,
                           const std::string& content_type);

    Stream stream_;
    server_state& state_;
    std::shared_ptr<connection_slot> slot_; // goes on to the sync session after an upgrade
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::request<http::string_body> req_;
    std::shared_ptr<http::response<http::string_body>> res_;
    std::optional<asio::steady_timer> late_;
};

} // namespace noi::server
