// Walks of the map's lineage over any store's unit registry (docs/design.md §11).
#pragma once

#include <noi/sync/store_books.hpp>

#include <string>
#include <vector>

namespace noi {

// The unit's id first, then every unit that went into it whole, at any depth: the rows a
// device of the unit reads.
std::vector<std::string> members_of(unit_registry& units, const std::string& id);

// The units a retired unit went into: the newest units its rows now belong to, sorted.
std::vector<std::string> heirs_of(unit_registry& units, const std::string& id);

} // namespace noi
