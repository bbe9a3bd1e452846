// What an admin API request asks for beyond its path: the query's fields, whole numbers in
// them, and which page of a list it wants.
#pragma once

#include "api_reply.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace noi::server {

using query = std::map<std::string, std::string>;

struct bad_query : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// %XX escapes decoded (and '+' as a space in a query); nullopt for a '%' without two hex digits.
std::optional<std::string> percent_decoded(const std::string& s, bool plus_is_space);
// The fields of the target's query; throws bad_query on a malformed escape.
query query_of(const std::string& target);
// A whole number with nothing after it ("7", not "7d"); nullopt for anything else.
std::optional<std::int64_t> whole_number(const std::string& s);
// Whether `text` contains `part` once both are NFC (a search typed either way finds the name).
bool contains_text(const std::string& text, const std::string& part);
// A time for JSON: ISO 8601 UTC, or null.
json time_or_null(const std::optional<std::int64_t>& ms);
// Text for JSON, or null for none.
json text_or_null(const std::string& text);

// A request's field of the expected type, or the reason it is not.
template <class T>
std::optional<std::string> field(const json& req, const char* name, T& out, const char* what) {
    if (!req.contains(name) || req[name].is_null()) return std::nullopt;
    const auto& v = req[name];
    bool ok = false;
    if constexpr (std::is_same_v<T, std::string>)
        ok = v.is_string();
    else if constexpr (std::is_same_v<T, bool>)
        ok = v.is_boolean();
    if (!ok) return "\"" + std::string(name) + "\" must be " + what;
    out = v.get<T>();
    return std::nullopt;
}

// Which part of a list a request wants: ?offset=N&limit=N. Without a limit, the whole list
// (what noi-admin reads); a page is at most max_page items.
struct page {
    std::size_t offset = 0, limit = 0;
    std::string problem; // why the query is refused, when it is
};
constexpr std::size_t max_page = 500;
page page_of(const query& q);

// The page's part of a list as the answer, with the whole list's size beside it.
template <class T, class ToJson>
api_response paged(const std::vector<T>& items, const page& p, ToJson&& to_json_item) {
    json out = json::array();
    const auto end = p.limit ? std::min(items.size(), p.offset + p.limit) : items.size();
    for (auto i = p.offset; i < end; ++i)
        out.push_back(to_json_item(items[i]));
    return {200, text(out), static_cast<std::int64_t>(items.size())};
}

} // namespace noi::server
