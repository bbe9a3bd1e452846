#include "quarantine_payload.hpp"

#include <noi/protocol/codec.hpp>

namespace noi {

std::string encode_quarantined(const proto::row_change& r) {
    const auto bytes = proto::encode(proto::changes{{r}, 0, false});
    return std::string(bytes.begin(), bytes.end());
}

std::optional<proto::row_change> decode_quarantined(const std::string& payload) {
    auto decoded =
        proto::decode({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
    const auto* ch = std::get_if<proto::message>(&decoded);
    if (!ch || !std::holds_alternative<proto::changes>(*ch) ||
        std::get<proto::changes>(*ch).rows.empty())
        return std::nullopt;
    return std::get<proto::changes>(*ch).rows.front();
}

} // namespace noi
