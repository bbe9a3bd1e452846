// How many bytes a row takes on the wire, bounded from above without encoding it, so that a
// server refuses a row no replica could receive and a pull ends its batch before the message
// limit (docs/protocol.md, Limits).
#pragma once

#include <noi/protocol/codec.hpp>
#include <noi/protocol/messages.hpp>

#include <cstddef>
#include <string_view>

namespace noi::proto {

// The largest row a server takes: a PUSH row that would make the row larger, with every cell
// it holds, is rejected with reject_reason::too_large. Half the message limit, so the row fits
// a CHANGES with room to spare even with a longer table name, id or versions around it.
inline constexpr std::size_t max_row_bytes = 2u << 20;

// The bytes one cell value takes at most, and one cell of a row (its column, value, version
// and base).
std::size_t encoded_bound(const value& v);
std::size_t cell_bound(std::string_view column, const value& v);

// The bytes `r` takes at most inside a PUSH or a CHANGES.
std::size_t encoded_bound(const row_change& r);

// Whether a CHANGES holding `r` alone decodes under `lim`: its size, every string and blob, and
// its cell count within bounds. A row that does not can never reach a replica.
bool fits_alone(const row_change& r, const limits& lim = {});

} // namespace noi::proto
