// A site id as the BLOB SQLite stores it, and back.
#pragma once

#include <noi/protocol/types.hpp>

#include <algorithm>
#include <string>

namespace noi {

inline std::string site_bytes(const site_id& s) {
    return std::string(s.begin(), s.end());
}

inline site_id to_site(const std::string& b) {
    site_id s{};
    std::copy_n(b.begin(), std::min(b.size(), s.size()), s.begin());
    return s;
}

} // namespace noi
