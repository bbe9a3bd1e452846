// Text from tablets (table names, row ids, device names, notes) shown on an admin's terminal:
// control characters are shown escaped, never sent raw, so a crafted name cannot clear the
// screen, move the cursor or rewrite what the admin reads. Vietnamese text passes unchanged.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace noi::tools {

inline std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    auto escape = [&](unsigned v) {
        char buf[16]; // "\\xff" needs 5; the compiler cannot see that v < 256
        std::snprintf(buf, sizeof buf, "\\x%02x", v);
        out += buf;
    };
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        // The length of the UTF-8 sequence c starts, and the least code point it may encode.
        const std::size_t n = c < 0x80           ? 1
                              : (c >> 5) == 0x6  ? 2
                              : (c >> 4) == 0xe  ? 3
                              : (c >> 3) == 0x1e ? 4
                                                 : 0;
        bool valid = n > 0 && i + n <= s.size();
        unsigned cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
        for (std::size_t k = 1; valid && k < n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            valid = (cc & 0xc0) == 0x80;
            cp = cp << 6 | (cc & 0x3f);
        }
        constexpr unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
        if (valid && n > 1 && (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
            valid = false;
        if (!valid) {
            escape(c);
            ++i;
            continue;
        }
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            if (cp == '\n')
                out += "\\n";
            else if (cp == '\t')
                out += "\\t";
            else if (cp == '\r')
                out += "\\r";
            else
                escape(cp);
        } else if (cp == 0x2028 || cp == 0x2029 || cp == 0x202e || cp == 0x2066 || cp == 0x2067 ||
                   cp == 0x2068 || cp == 0x2069 || cp == 0x202a || cp == 0x202b || cp == 0x202c ||
                   cp == 0x202d) {
            // Line separators and bidirectional overrides reorder or break what is shown.
            char buf[12];
            std::snprintf(buf, sizeof buf, "\\u%04x", cp);
            out += buf;
        } else {
            out.append(s.substr(i, n));
        }
        i += n;
    }
    return out;
}

} // namespace noi::tools
