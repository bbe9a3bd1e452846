// A certificate named by its SHA-256 fingerprint: what the console's enrolment QR code carries
// so that a tablet trusts a province's private CA on first scan (docs/protocol.md, "Enrolment
// by QR code"). Both the server, which puts it in the code, and the client library, which
// finds the certificate among those the server sends, compute it here.
#pragma once

#include <openssl/x509.h>

#include <optional>
#include <string>

namespace noi {

// The SHA-256 of the certificate's DER form, in 64 lower-case hex digits.
std::string certificate_sha256(X509* cert);

// The fingerprint of the last certificate of a PEM chain file (the CA at its top, when the
// chain carries it; the server's own certificate when it is self-signed); nullopt when the file
// cannot be read or holds none.
std::optional<std::string> top_certificate_sha256(const std::string& chain_file);

// Whether `s` is a fingerprint as certificate_sha256 writes it (any case of hex digits).
bool is_sha256_hex(const std::string& s);

} // namespace noi
