#include "unit_list.hpp"

namespace noi {

std::vector<std::string> split_units(const std::string& joined) {
    std::vector<std::string> out;
    for (std::size_t at = 0; at < joined.size();) {
        auto comma = joined.find(',', at);
        out.push_back(joined.substr(at, comma == std::string::npos ? comma : comma - at));
        at = comma == std::string::npos ? joined.size() : comma + 1;
    }
    return out;
}

std::string join_units(const std::vector<std::string>& units) {
    std::string out;
    for (const auto& u : units)
        out += (out.empty() ? "" : ",") + u;
    return out;
}

} // namespace noi
