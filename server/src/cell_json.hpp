// A cell value as the admin API's JSON (CLI.md: a JSON scalar, a BLOB as a hex string), and a
// JSON scalar read back as a value.
#pragma once

#include "api_reply.hpp"

#include <noi/protocol/types.hpp>

#include <optional>

namespace noi::server {

inline json to_json(const value& v) {
    return std::visit(
        [](const auto& x) -> json {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>)
                return nullptr;
            else if constexpr (std::is_same_v<T, blob>)
                return to_hex(x.bytes);
            else
                return x;
        },
        v);
}

// A JSON scalar as the value it stands for (true and false as 1 and 0); nullopt for an object
// or an array.
inline std::optional<value> from_json(const json& j) {
    if (j.is_null()) return value{};
    if (j.is_boolean()) return value{std::int64_t{j.get<bool>() ? 1 : 0}};
    if (j.is_number_integer()) return value{j.get<std::int64_t>()};
    if (j.is_number_float()) return value{j.get<double>()};
    if (j.is_string()) return value{j.get<std::string>()};
    return std::nullopt;
}

} // namespace noi::server
