#include "api_query.hpp"

#include <noi/sync/hlc.hpp>
#include <noi/sync/unicode_text.hpp>

#include <cctype>
#include <limits>

namespace noi::server {

std::optional<std::string> percent_decoded(const std::string& s, bool plus_is_space) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += plus_is_space && s[i] == '+' ? ' ' : s[i];
            continue;
        }
        auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
        if (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2])) return std::nullopt;
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
    }
    return out;
}

query query_of(const std::string& target) {
    query q;
    auto pos = target.find('?');
    if (pos == std::string::npos) return q;
    std::string rest = target.substr(pos + 1);
    auto decode = [](const std::string& s) {
        auto d = percent_decoded(s, true);
        if (!d)
            throw bad_query("a query holds '%' not followed by two hex digits; encode it as %25");
        return *d;
    };
    std::size_t start = 0;
    while (start <= rest.size()) {
        auto end = rest.find('&', start);
        auto part = rest.substr(start, end == std::string::npos ? std::string::npos : end - start);
        auto eq = part.find('=');
        if (!part.empty())
            q[decode(part.substr(0, eq))] =
                eq == std::string::npos ? "" : decode(part.substr(eq + 1));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return q;
}

std::optional<std::int64_t> whole_number(const std::string& s) {
    try {
        std::size_t used = 0;
        const auto n = std::stoll(s, &used);
        if (used == s.size()) return n;
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

page page_of(const query& q) {
    page p;
    auto number = [&](const char* name, std::size_t& out, std::int64_t lo, std::int64_t hi) {
        if (!q.count(name)) return;
        auto n = whole_number(q.at(name));
        if (!n || *n < lo || *n > hi)
            p.problem = std::string(name) + " must be a whole number from " + std::to_string(lo) +
                        " to " + std::to_string(hi);
        else
            out = static_cast<std::size_t>(*n);
    };
    number("offset", p.offset, 0, std::numeric_limits<std::int32_t>::max());
    number("limit", p.limit, 1, max_page);
    return p;
}

bool contains_text(const std::string& text, const std::string& part) {
    return nfc(text).find(nfc(part)) != std::string::npos;
}

json time_or_null(const std::optional<std::int64_t>& ms) {
    return ms ? json(iso8601_ms(*ms)) : json(nullptr);
}

json text_or_null(const std::string& text) {
    return text.empty() ? json(nullptr) : json(text);
}

} // namespace noi::server
