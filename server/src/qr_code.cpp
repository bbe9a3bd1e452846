#include "qr_code.hpp"

#include <qrencode.h>

#include <memory>
#include <stdexcept>

namespace noi::server {

nlohmann::json qr_code(const std::string& text) {
    std::unique_ptr<QRcode, void (*)(QRcode*)> code(
        QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_M), QRcode_free);
    if (!code) throw std::runtime_error("the enrolment text is too long for a QR code");
    const int n = code->width;
    nlohmann::json rows = nlohmann::json::array();
    for (int y = 0; y < n; ++y) {
        std::string row(static_cast<std::size_t>(n), '0');
        for (int x = 0; x < n; ++x)
            if (code->data[y * n + x] & 1) row[static_cast<std::size_t>(x)] = '1';
        rows.push_back(row);
    }
    return {{"text", text}, {"size", n}, {"modules", rows}};
}

} // namespace noi::server
