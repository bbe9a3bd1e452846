#include "web_headers.hpp"

#include <openssl/crypto.h>

namespace noi::server {

void add_security_headers(http::response<http::string_body>& res) {
    res.set("Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Frame-Options", "DENY");
    res.set("Referrer-Policy", "no-referrer");
    res.set(http::field::cache_control, "no-store");
}

std::optional<std::string> cookie_of(const http::request<http::string_body>& req,
                                     std::string_view name) {
    const auto fields = req.equal_range(http::field::cookie);
    for (auto field = fields.first; field != fields.second; ++field) {
        std::string_view list(field->value().data(), field->value().size());
        while (!list.empty()) {
            auto semi = list.find(';');
            auto part = list.substr(0, semi);
            list = semi == std::string_view::npos ? std::string_view() : list.substr(semi + 1);
            while (!part.empty() && part.front() == ' ')
                part.remove_prefix(1);
            auto eq = part.find('=');
            if (eq != std::string_view::npos && part.substr(0, eq) == name)
                return std::string(part.substr(eq + 1));
        }
    }
    return std::nullopt;
}

std::string session_cookie(const std::string& id, bool secure) {
    return std::string(session_cookie_name) + "=" + id + "; Path=/; HttpOnly; SameSite=Strict" +
           (secure ? "; Secure" : "");
}

std::string cleared_session_cookie(bool secure) {
    return std::string(session_cookie_name) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
           (secure ? "; Secure" : "");
}

bool carries_csrf(const http::request<http::string_body>& req, const std::string& csrf) {
    auto sent = req.find("X-CSRF-Token");
    return sent != req.end() &&
           same_secret(std::string_view(sent->value().data(), sent->value().size()), csrf);
}

bool same_secret(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace noi::server
