// A Nối server's address as every program and the library take it. Two spellings name one
// connection: http://HOST:PORT and https://HOST:PORT (what noi-client, noi-admin and noi_init
// always took), and ws://HOST:PORT/sync and wss://HOST:PORT/sync (what the console's enrolment
// QR code carries). The path, if any, is "/" or "/sync": the server serves sync there and
// nowhere else, so any other path is a mistyped address, refused rather than ignored.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace noi {

struct server_address {
    std::string scheme; // http, https, ws or wss, as written (in lower case)
    std::string host;   // a name, an IPv4 address or an IPv6 one in brackets
    std::string port;   // 1 to 65535, in digits
    bool tls = false;   // https or wss

    // HOST:PORT, for an HTTP Host header.
    std::string host_port() const { return host + ":" + port; }
    // The host without an IPv6 address's brackets: what name resolution and certificate checks
    // take.
    std::string bare_host() const;
    // localhost, 127.0.0.0/8 or ::1: a token sent there in clear never crosses the network.
    bool loopback() const;
};

// An address the user gave that names no server; the message says what to give instead.
class bad_server_address : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Throws bad_server_address.
server_address parse_server_address(std::string_view url);

} // namespace noi
