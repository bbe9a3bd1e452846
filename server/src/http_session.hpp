// One HTTP connection: /healthz, /metrics, the admin API, and the upgrade of /sync to a
// WebSocket once the device token checks out (401 otherwise, and no WebSocket).
#pragma once

#include "server_state.hpp"

#include <memory>
#include <optional>

namespace noi::server {

class http_session : public std::enable_shared_from_this<http_session> {
public:
    http_session(tcp::socket&& socket, server_state& state);
    void run();

private:
    void do_read();
    void on_read(beast::error_code ec, std::size_t n);
    void respond(unsigned status, std::string body, const char* content_type);
    void on_write(bool close, beast::error_code ec, std::size_t);
    void upgrade();

    beast::tcp_stream stream_;
    server_state& state_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::request<http::string_body> req_;
    std::shared_ptr<http::response<http::string_body>> res_;
};

} // namespace noi::server
