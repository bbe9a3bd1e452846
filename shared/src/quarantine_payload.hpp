// A quarantined row as every store keeps it: the CHANGES message of that one row, encoded.
#pragma once

#include <noi/protocol/messages.hpp>

#include <optional>
#include <string>

namespace noi {

std::string encode_quarantined(const proto::row_change& r);
// None for bytes that do not decode to one row (a payload of a release that wrote another).
std::optional<proto::row_change> decode_quarantined(const std::string& payload);

} // namespace noi
