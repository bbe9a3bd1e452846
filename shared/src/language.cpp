#include <noi/sync/language.hpp>

namespace noi {

std::optional<language> language_named(std::string_view name) {
    const auto lang = name.substr(0, name.find_first_of("_.@-"));
    if (lang == "vi") return language::vi;
    if (lang == "en" || lang == "C" || lang == "POSIX") return language::en;
    return std::nullopt;
}

const char* language_code(language l) {
    return l == language::vi ? "vi" : "en";
}

} // namespace noi
