// What a device reads and writes, by unit (server_records.hpp).
#include <noi/sync/server_records.hpp>

#include <algorithm>

namespace noi {

bool device::reads(const std::string& unit) const {
    return scope == "*" || unit == scope ||
           std::find(units.begin(), units.end(), unit) != units.end();
}

std::vector<std::string> device::read_units() const {
    return units.empty() ? std::vector<std::string>{scope} : units;
}

bool device::writes(const std::string& unit) const {
    return reads(unit) || std::find(held_units.begin(), held_units.end(), unit) != held_units.end();
}

} // namespace noi
