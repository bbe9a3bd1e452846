// How the admin API's handlers answer: JSON text, and errors as {"error": message}.
#pragma once

#include "admin_api.hpp"

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

} // namespace noi::server
