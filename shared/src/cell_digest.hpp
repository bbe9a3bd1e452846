// A cell value's 64-bit digest. A tablet keeps one per cell of each row, taken when the capture
// log was last folded or a pulled change was applied, and the fold compares a row's current
// values with them to find what an update changed (docs/capture.md). Stable across builds and
// machines: digests are stored in replicas.
#pragma once

#include <noi/protocol/types.hpp>

#include <cstdint>
#include <vector>

namespace noi {

std::uint64_t cell_digest(const value& v);
std::vector<std::uint64_t> cell_digests(const std::vector<value>& values);

} // namespace noi
