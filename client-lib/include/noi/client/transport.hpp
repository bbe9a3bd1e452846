// How a tablet reaches the server: one message-oriented connection. The Beast WebSocket is
// the default; a tablet app may supply its own (for example the platform's socket).
#pragma once

#include <noi/protocol/deflate.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace noi::client {

enum class transport_errc {
    unreachable,         // could not connect, or the connection broke: retry later
    refused_credentials, // the server answered 401: the token is wrong or revoked
    timeout,             // nothing arrived in time
    bad_url,             // the server address cannot be used
    tls_failed,   // the server's certificate could not be verified: a setting to fix, not a cut
    wipe_ordered, // the device was revoked and the tablet ordered to delete its synced data
};

class transport_error : public std::runtime_error {
public:
    transport_error(transport_errc c, const std::string& what)
        : std::runtime_error(what), code_(c) {}
    transport_errc code() const { return code_; }

private:
    transport_errc code_;
};

class transport {
public:
    virtual ~transport() = default;
    // Opens /sync at url (http://HOST:PORT or https://HOST:PORT) with the device token.
    virtual void connect(const std::string& url, const std::string& token,
                         std::chrono::milliseconds timeout) = 0;
    // Tells the server this tablet deleted its synced data at its order (docs/protocol.md, "A
    // lost tablet's wipe"); returns once the server recorded it, throws transport_error else.
    virtual void report_wiped(const std::string& url, const std::string& token,
                              std::chrono::milliseconds timeout) = 0;
    virtual void send(const std::vector<std::uint8_t>& message,
                      std::chrono::milliseconds timeout) = 0;
    // The next whole message; throws transport_error(timeout) when none arrives in time, and
    // the connection may be gone after it.
    virtual std::vector<std::uint8_t> receive(std::chrono::milliseconds timeout) = 0;
    // The next whole message if one arrives within `timeout`, else nullopt with the connection
    // kept and the wait taken up again by the next poll or receive: a tablet idling for NOTIFY
    // looks at its own writes between polls. A transport without that ability gets receive's
    // behaviour from this default.
    virtual std::optional<std::vector<std::uint8_t>> poll(std::chrono::milliseconds timeout) {
        try {
            return receive(timeout);
        } catch (const transport_error& e) {
            if (e.code() == transport_errc::timeout) return std::nullopt;
            throw;
        }
    }
    virtual void close() noexcept = 0;
    // From another thread: ends within a tenth of a second whatever the connection waits for
    // (connect, send, receive, poll), which then throws transport_error(unreachable) as after a
    // cut; nothing waits after it. A transport that cannot do so leaves the wait to its own
    // timeout.
    virtual void interrupt() noexcept {}
};

struct websocket_options {
    std::string ca_file; // extra trusted CA for https:// (a private provincial CA)
    // The token travels in clear over http://: only to a loopback address, unless the operator
    // says the network between tablet and server is trusted.
    bool allow_plain_http = false;
    proto::deflate_settings deflate;
    // What a refused certificate (or an unreadable CA file) tells the user to run to give the
    // province's CA: noi-client names its replica's path, the C API noi_set_server.
    std::string give_ca_with = "noi-client set-server --db PATH --ca-file FILE";
    // A CA trusted beside the system's, as PEM (one a replica learned through its pin).
    std::string ca_pem;
    // A CA pinned by its SHA-256 and not learned yet: the connection looks for it among the
    // certificates the server sends, and gives it to learned_ca before trusting it.
    std::string ca_sha256;
    std::function<void(const std::string& pem)> learned_ca;
    // Shared by the copies of these options (one per connection): a CA one connection learned,
    // the next ones use without learning it again.
    std::shared_ptr<std::string> learned_pem = std::make_shared<std::string>();
};

std::unique_ptr<transport> make_websocket_transport(websocket_options opt = {});

} // namespace noi::client
