// A small HTTP client for noi-admin: one request, a deadline, the status and body back.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

namespace noi::admin {

struct http_reply {
    unsigned status = 0;
    std::string body;
};

// The server could not be reached, or the connection broke (exit code 3).
struct unreachable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// base_url is http://HOST:PORT or https://HOST:PORT; for https the server's certificate is
// verified against the system's CAs and ca_file when given.
http_reply request(const std::string& base_url, const std::string& method, const std::string& target,
                   const std::string& token, const std::string& body, const std::string& ca_file = "",
                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

} // namespace noi::admin
