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

// The server was reached but its certificate refused: a setting to fix, not a network fault
// (exit code 1); the message says which check failed.
struct tls_refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// `s` as one path segment or query value: every byte but A-Z a-z 0-9 - . _ ~ percent-encoded
// (UTF-8 bytes each as %XX), so names with spaces, commas, & or Vietnamese letters arrive whole.
std::string encode_component(const std::string& s);

// base_url is http://HOST:PORT or https://HOST:PORT; for https the server's certificate is
// verified against the system's CAs and ca_file when given.
http_reply request(const std::string& base_url, const std::string& method,
                   const std::string& target, const std::string& token, const std::string& body,
                   const std::string& ca_file = "",
                   std::chrono::milliseconds timeout = std::chrono::seconds(30),
                   const std::string& accept_language = "");

} // namespace noi::admin
