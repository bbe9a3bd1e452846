// The server a replica syncs with and how it trusts it: the address, the CA file the server's
// certificate is checked against, and whether the token may cross the network over http://.
// The replica keeps them in its meta (server_url, ca_file, allow_plain_http). Invariants:
//   1. Every value stored passed check_server_settings: init and set-server (noi-client, the
//      C API) apply one set of rules.
//   2. A change refused changes nothing; one taken is one transaction and touches nothing but
//      these keys, so pending writes, the pull cursor and the token stay as they were.
#pragma once

#include <noi/client/transport.hpp>
#include <noi/sync/replica.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace noi::client {

struct server_settings {
    std::string url;               // https://HOST:PORT, http://, or wss://HOST:PORT/sync
    std::string ca_file;           // absolute path of an extra trusted CA; empty: the system's
    bool allow_plain_http = false; // the network to a server beyond loopback is trusted
    // The SHA-256 of the province's CA certificate, from the enrolment QR code: the first
    // connection finds that certificate among those the server sends and keeps it (ca_pem), to
    // be trusted like a CA file from then on.
    std::string ca_sha256;
    std::string ca_pem;
};

// A setting the user gave that cannot be used; the message says what to give instead.
class settings_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The settings as a replica may keep them: the URL is http:// or https://HOST:PORT; http://
// beyond loopback needs allow_plain_http; a CA file must be a readable file holding at least
// one PEM certificate, and is returned as an absolute path (sync may run from any directory).
// Throws settings_error.
server_settings check_server_settings(server_settings s);

// What a replica keeps (empty values for a replica made without them).
server_settings stored_server_settings(replica& rep);
// Checks `s` and keeps it in the replica; throws settings_error with the replica unchanged.
void store_server_settings(replica& rep, const server_settings& s);

// A change asked for by set-server: a given URL or CA file replaces the stored one (an empty CA
// file goes back to the system's CAs only). A new address needs its own allow_plain_http; an
// address kept keeps what it had, or gains it.
server_settings changed_settings(const server_settings& now, const std::optional<std::string>& url,
                                 const std::optional<std::string>& ca_file, bool allow_plain_http);

// `sha256` as a pin is kept (lower-case hex); throws settings_error for what is not 64 hex
// digits.
std::string checked_ca_pin(const std::string& sha256);

// Pins the CA named by `sha256` (the QR code's ca_sha256): the replica trusts that certificate,
// once the next connection has found it among the server's, beside the system's CAs. Throws
// settings_error for what is not 64 hex digits, with the replica unchanged.
void pin_ca(replica& rep, const std::string& sha256);

// The transport options for a replica's settings. `give_ca_with` is what a certificate refusal
// tells the user to run (websocket_options::give_ca_with). A pinned CA the connection finds is
// kept in `rep`, which must outlive the transports made with them.
websocket_options transport_options(const server_settings& s, std::string give_ca_with,
                                    replica& rep);

} // namespace noi::client
