#include "unit_lineage.hpp"

#include <algorithm>
#include <set>

namespace noi {

std::vector<std::string> members_of(unit_registry& units, const std::string& id) {
    std::vector<std::string> out{id};
    // Breadth first; lineage never loops (a change only makes new units), but a unit reached
    // twice is listed once.
    for (std::size_t at = 0; at < out.size(); ++at)
        for (auto& old : units.whole_parts(out[at]))
            if (std::find(out.begin(), out.end(), old) == out.end()) out.push_back(std::move(old));
    return out;
}

std::vector<std::string> heirs_of(unit_registry& units, const std::string& id) {
    std::vector<std::string> out;
    std::set<std::string> seen{id};
    std::vector<std::string> todo{id};
    while (!todo.empty()) {
        auto at = std::move(todo.back());
        todo.pop_back();
        const auto next = units.successors(at);
        for (const auto& n : next)
            if (seen.insert(n).second) todo.push_back(n);
        if (next.empty() && at != id) out.push_back(at);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace noi
