#include <noi/beast/certificate_pin.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>

namespace noi {

std::string certificate_sha256(X509* cert) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!cert || X509_digest(cert, EVP_sha256(), digest, &n) != 1) return {};
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xf];
    }
    return out;
}

std::optional<std::string> top_certificate_sha256(const std::string& chain_file) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(chain_file.c_str(), "r"), &std::fclose);
    if (!f) return std::nullopt;
    std::optional<std::string> last;
    while (X509* cert = PEM_read_X509(f.get(), nullptr, nullptr, nullptr)) {
        last = certificate_sha256(cert);
        X509_free(cert);
    }
    return last;
}

bool is_sha256_hex(const std::string& s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

} // namespace noi
