// Names and helpers for the message vocabulary.
#include <noi/protocol/messages.hpp>

namespace noi {

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (auto b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

namespace proto {

const char* to_string(reject_reason r) {
    switch (r) {
    case reject_reason::unknown_table:
        return "unknown_table";
    case reject_reason::unknown_column:
        return "unknown_column";
    case reject_reason::out_of_scope:
        return "out_of_scope";
    case reject_reason::global_table:
        return "global_table";
    case reject_reason::scope_changed:
        return "scope_changed";
    case reject_reason::wrong_type:
        return "wrong_type";
    case reject_reason::missing_scope:
        return "missing_scope";
    case reject_reason::foreign_version:
        return "foreign_version";
    case reject_reason::unknown_row:
        return "unknown_row";
    case reject_reason::too_large:
        return "too_large";
    }
    return "unknown";
}

msg_type type_of(const message& m) {
    return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::type; }, m);
}

} // namespace proto
} // namespace noi
