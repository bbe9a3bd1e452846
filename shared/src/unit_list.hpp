// A list of unit ids kept as one text (a tablet's meta, a device's held scopes): ids are codes,
// or codes with a day (docs/design.md §11), never a comma.
#pragma once

#include <string>
#include <vector>

namespace noi {

std::vector<std::string> split_units(const std::string& joined);
std::string join_units(const std::vector<std::string>& units);

} // namespace noi
