// How the admin API's handlers answer: JSON text, and errors as {"error": message}.
#pragma once

#include "admin_api.hpp"

#include <noi/sync/messages.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace noi::server {

using json = nlohmann::json;

// Text from tablets and requests may hold bytes that are not UTF-8: they are replaced in the
// answer instead of failing it.
inline std::string text(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

inline api_response error(unsigned status, const std::string& message) {
    return {status, text(json{{"error", message}})};
}

// A text in both languages, as answers give words beside a machine field: {"vi", "en"}.
inline json both(const texts& t) {
    return {{"vi", t.vi}, {"en", t.en}};
}

// The language an Accept-Language header asks for first: Vietnamese for "vi", "vi-VN"…,
// English for anything else.
language reader_language(std::string_view accept_language);

// An error answer ({"error": message}) with its message in `lang` (the message catalogue's
// words, docs/messages.md); any other body as it is.
std::string for_reader(std::string body, language lang);

} // namespace noi::server
