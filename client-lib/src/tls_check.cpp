#include <noi/client/tls_check.hpp>

#include <openssl/x509v3.h>

#include <arpa/inet.h>

namespace noi::client {
namespace {

bool is_ip_address(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

} // namespace

void expect_peer_named(SSL* ssl, const std::string& host) {
    auto* param = SSL_get0_param(ssl);
    if (is_ip_address(host))
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    else
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
}

std::string explain_tls_failure(SSL* ssl, const std::string& host, const std::string& fallback,
                                const std::string& give_ca_with) {
    switch (const long r = SSL_get_verify_result(ssl)) {
    case X509_V_OK:
        return "the TLS handshake with " + host + " failed (" + fallback +
               "); check that the address is the Nối server's and that it serves https";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "the server's certificate does not name " + host + ": it was made for another " +
               (is_ip_address(host) ? "address" : "name") +
               ". Use the address the certificate names, or make the certificate with "
               "subjectAltName=" +
               (is_ip_address(host) ? "IP:" : "DNS:") + host + " (docs/operations.md, TLS)";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "the server's certificate is not signed by a CA this machine trusts; give the "
               "province's CA with " +
               give_ca_with;
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return "the server's certificate has expired; renew it on the server (or, if it is "
               "not old, check this machine's clock)";
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return "the server's certificate is not valid yet; check this machine's clock";
    default:
        return "the server's certificate was refused: " +
               std::string(X509_verify_cert_error_string(r)) +
               "; check the certificate on the server, or give its CA with " + give_ca_with;
    }
}

} // namespace noi::client
