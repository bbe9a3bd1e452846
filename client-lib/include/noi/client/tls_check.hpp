// Checking a server's certificate as the province's set-ups need: the certificate may name the
// server by DNS name or by IP address (many provinces have no internal DNS), and a refusal says
// which check failed, since "certificate verify failed" alone sends people to the network.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace noi::client {

// Makes OpenSSL's verification of the peer also require that its certificate names `host`:
// an IP address must be in the certificate's subjectAltName as IP, a name as DNS (or the CN).
void expect_peer_named(SSL* ssl, const std::string& host);

// After a failed handshake: which check failed (the name, the CA, the dates) and what to do.
// `fallback` is the handshake's own error, used when the certificate was not the cause.
// `give_ca_with` is how this program takes the province's CA ("--ca-file FILE" for noi-admin,
// "noi-client set-server --db PATH --ca-file FILE" for a replica): the refusal names it.
std::string explain_tls_failure(SSL* ssl, const std::string& host, const std::string& fallback,
                                const std::string& give_ca_with);

} // namespace noi::client
