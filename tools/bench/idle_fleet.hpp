// Many idle tablets for noi-bench: WebSocket connections that authenticate, say HELLO, get
// WELCOME, and then stay open without a word, as tablets waiting for NOTIFY do. They all run
// on one io_context and one thread, so the bench itself needs one descriptor per connection.
#pragma once

#include <noi/protocol/deflate.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace noi::bench {

struct idle_fleet_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::vector<std::string> tokens; // connection i uses tokens[i % size]
    std::size_t connections = 0;
    // Handshakes in flight: inside the listen backlog, and under the server's bound on
    // connections from one address that are not sync sessions yet (64).
    std::size_t opening_at_once = 32;
    proto::deflate_settings deflate;
    std::chrono::seconds timeout{300};
};

class idle_fleet {
public:
    explicit idle_fleet(idle_fleet_options opt);
    ~idle_fleet(); // closes every connection
    idle_fleet(const idle_fleet&) = delete;
    idle_fleet& operator=(const idle_fleet&) = delete;

    // Opens the connections; returns how many reached WELCOME. The first failure's message
    // is kept in first_error().
    std::size_t open();
    const std::string& first_error() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace noi::bench
