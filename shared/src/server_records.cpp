// The records' names (server_records.hpp), and what a device reads and writes, by unit.
#include <noi/sync/server_records.hpp>

#include <algorithm>

namespace noi {

std::string_view to_string(conflict_status s) {
    return s == conflict_status::open ? "open" : "resolved";
}

std::string_view to_string(merge::conflict_kind k) {
    return k == merge::conflict_kind::update ? "update" : "delete_update";
}

std::string_view to_string(quarantine_state s) {
    switch (s) {
    case quarantine_state::open:
        return "open";
    case quarantine_state::discarded:
        return "discarded";
    case quarantine_state::released:
        return "released";
    }
    return "open";
}

quarantine_state quarantine_state_of(std::string_view s) {
    if (s == "discarded") return quarantine_state::discarded;
    if (s == "released") return quarantine_state::released;
    return quarantine_state::open;
}

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
