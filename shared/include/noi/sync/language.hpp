// The two languages people read Nối in: Vietnamese, which officers read, and English.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace noi {

enum class language : std::uint8_t { vi, en };

// "vi" or "en", or a locale name as LANG holds it ("vi_VN.UTF-8"); nullopt for another.
std::optional<language> language_named(std::string_view name);
const char* language_code(language l);

} // namespace noi
