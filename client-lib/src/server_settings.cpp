#include <noi/client/server_settings.hpp>

#include <noi/beast/certificate_pin.hpp>
#include <noi/sync/database.hpp>
#include <noi/sync/server_address.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace noi::client {
namespace {

constexpr const char* where_the_ca_comes_from =
    "give the province's CA certificate, the ca.pem made with the server's certificate "
    "(docs/operations.md, TLS)";

// The certificates OpenSSL finds in a PEM file, read as the transport's load_verify_file does.
std::size_t pem_certificates(const std::string& path) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
    if (!bio) return 0;
    STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr);
    std::size_t n = 0;
    if (infos) {
        for (int i = 0; i < sk_X509_INFO_num(infos); ++i)
            n += sk_X509_INFO_value(infos, i)->x509 != nullptr;
        sk_X509_INFO_pop_free(infos, X509_INFO_free);
    }
    // What OpenSSL said about a file that is not PEM is in the message already.
    ERR_clear_error();
    return n;
}

std::string checked_ca_file(const std::string& given) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(given, ec))
        throw settings_error("the CA file " + given + " does not exist; " +
                             where_the_ca_comes_from);
    // The directory as the kernel finds it, the file by its own name: a ca.pem that is a
    // symbolic link, renewed by moving the link, is still followed.
    const auto absolute = fs::absolute(given);
    const auto path = (fs::canonical(absolute.parent_path()) / absolute.filename()).string();
    if (!fs::is_regular_file(path, ec))
        throw settings_error("the CA file " + given + " is not a file; " + where_the_ca_comes_from);
    if (!std::ifstream(path))
        throw settings_error("cannot read the CA file " + given + " (" + std::strerror(errno) +
                             "); make it readable by the user that syncs");
    if (pem_certificates(path) == 0)
        throw settings_error("the CA file " + given +
                             " holds no certificate in PEM form (-----BEGIN CERTIFICATE-----); " +
                             where_the_ca_comes_from +
                             ", not its key; a DER file converts with openssl x509 -inform der "
                             "-in FILE -out ca.pem");
    return path;
}

} // namespace

server_settings check_server_settings(server_settings s) {
    bool beyond_loopback = false;
    try {
        const auto a = parse_server_address(s.url);
        beyond_loopback = !a.tls && !a.loopback();
    } catch (const bad_server_address& e) {
        throw settings_error(e.what());
    }
    if (beyond_loopback && !s.allow_plain_http)
        throw settings_error("http:// would send the device token in clear text to a server beyond "
                             "this machine; use https:// (docs/operations.md, TLS), or allow "
                             "plain http (--allow-plain-http) if the network to the server is "
                             "trusted");
    if (!s.ca_file.empty()) s.ca_file = checked_ca_file(s.ca_file);
    return s;
}

server_settings stored_server_settings(replica& rep) {
    return {rep.meta_text("server_url").value_or(""), rep.meta_text("ca_file").value_or(""),
            rep.meta_int("allow_plain_http") != 0, rep.meta_text("ca_sha256").value_or(""),
            rep.meta_text("ca_pem").value_or("")};
}

std::string checked_ca_pin(const std::string& sha256) {
    if (!is_sha256_hex(sha256))
        throw settings_error("the CA's fingerprint is the 64 hex digits of its SHA-256 (the "
                             "enrolment QR code's ca_sha256), not \"" +
                             sha256 + "\"");
    std::string lower(sha256);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

void pin_ca(replica& rep, const std::string& sha256) {
    const auto lower = checked_ca_pin(sha256);
    transaction tx(rep.db());
    rep.set_meta_text("ca_sha256", lower);
    // Another pin is learned again from the server.
    rep.set_meta_text("ca_pem", "");
    tx.commit();
}

void store_server_settings(replica& rep, const server_settings& s) {
    const auto c = check_server_settings(s);
    transaction tx(rep.db());
    rep.set_meta_text("server_url", c.url);
    rep.set_meta_text("ca_file", c.ca_file);
    rep.set_meta_int("allow_plain_http", c.allow_plain_http ? 1 : 0);
    tx.commit();
}

server_settings changed_settings(const server_settings& now, const std::optional<std::string>& url,
                                 const std::optional<std::string>& ca_file, bool allow_plain_http) {
    server_settings s = now;
    if (url) s.url = *url;
    if (ca_file) s.ca_file = *ca_file;
    // Consent to plain http was given for one network path; another address asks again.
    s.allow_plain_http = allow_plain_http || (!url && now.allow_plain_http);
    return s;
}

websocket_options transport_options(const server_settings& s, std::string give_ca_with,
                                    replica& rep) {
    websocket_options o;
    o.ca_file = s.ca_file;
    o.allow_plain_http = s.allow_plain_http;
    o.give_ca_with = std::move(give_ca_with);
    o.ca_sha256 = s.ca_sha256;
    o.ca_pem = s.ca_pem;
    o.learned_ca = [&rep](const std::string& pem) { rep.set_meta_text("ca_pem", pem); };
    return o;
}

} // namespace noi::client
