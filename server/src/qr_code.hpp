// A QR code for a tablet to scan at enrolment (libqrencode), as the rows of its modules: the
// console draws them on a canvas, so no image is made and no markup comes from the server.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace noi::server {

// {"text": text, "size": N, "modules": [N strings of N '0'/'1']}; error correction M, which a
// tablet camera reads off a screen. Throws std::runtime_error for text too long for a QR code.
nlohmann::json qr_code(const std::string& text);

} // namespace noi::server
