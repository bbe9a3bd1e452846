#include <noi/sync/unicode_text.hpp>

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace noi {

std::string nfc(std::string_view utf8) {
    utf8proc_uint8_t* out = nullptr;
    const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                                static_cast<utf8proc_ssize_t>(utf8.size()), &out,
                                static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (n < 0) return std::string(utf8);
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
    return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

namespace {

// The bytes of the character at `i`, or 0 when none starts there a store keeps as text (a byte
// that is not UTF-8, an overlong form, a surrogate, a NUL).
std::size_t text_character_at(std::string_view s, std::size_t i) {
    const auto byte = static_cast<unsigned char>(s[i]);
    if (byte != 0 && byte < 0x80) return 1;
    if (byte == 0) return 0;
    utf8proc_int32_t cp = 0;
    const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                    static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

} // namespace

bool storable_text(std::string_view utf8) {
    for (std::size_t i = 0, n; i < utf8.size(); i += n)
        if ((n = text_character_at(utf8, i)) == 0) return false;
    return true;
}

std::string escaped_text(std::string_view bytes) {
    if (storable_text(bytes)) return std::string(bytes);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes.size();) {
        if (const auto n = text_character_at(bytes, i)) {
            out.append(bytes.substr(i, n));
            i += n;
            continue;
        }
        const auto byte = static_cast<unsigned char>(bytes[i++]);
        out += "\\x";
        out += hex[byte >> 4];
        out += hex[byte & 15];
    }
    return out;
}

bool same_text(std::string_view a, std::string_view b) {
    return a == b || nfc(a) == nfc(b);
}

std::string clipped(std::string_view utf8, std::size_t max_bytes) {
    if (utf8.size() <= max_bytes) return std::string(utf8);
    static constexpr std::string_view ellipsis = "…";
    auto cut = max_bytes - ellipsis.size();
    // A UTF-8 continuation byte is 10xxxxxx: back off to the character it continues.
    while (cut > 0 && (static_cast<unsigned char>(utf8[cut]) & 0xc0) == 0x80)
        --cut;
    return std::string(utf8.substr(0, cut)) + std::string(ellipsis);
}

std::size_t display_width(std::string_view utf8) {
    std::size_t width = 0;
    auto p = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
    auto left = static_cast<utf8proc_ssize_t>(utf8.size());
    while (left > 0) {
        utf8proc_int32_t cp = 0;
        auto n = utf8proc_iterate(p, left, &cp);
        if (n <= 0) { // a byte that is not UTF-8 is shown escaped, as one column per byte
            ++width;
            n = 1;
        } else {
            width += static_cast<std::size_t>(std::max(0, utf8proc_charwidth(cp)));
        }
        p += n;
        left -= n;
    }
    return width;
}

} // namespace noi
