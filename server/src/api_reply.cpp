#include "api_reply.hpp"

namespace noi::server {

language reader_language(std::string_view accept_language) {
    const auto first = accept_language.substr(0, accept_language.find_first_of(",;"));
    return language_named(first).value_or(language::en);
}

std::string for_reader(std::string body, language lang) {
    if (lang == language::en) return body;
    auto j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) return body;
    j["error"] = translate(j["error"].get<std::string>(), lang);
    return text(j);
}

} // namespace noi::server
