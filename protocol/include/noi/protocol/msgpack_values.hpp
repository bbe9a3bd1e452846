// msgpack encoding of the shared vocabulary (cell values, versions), for the codec and for
// anything else that stores them packed (the sync core's row state). Includes msgpack-c:
// include it from .cpp files only.
#pragma once

#include <noi/protocol/types.hpp>

#include <msgpack.hpp>

#include <optional>
#include <string_view>

namespace noi::proto {

using packer = msgpack::packer<msgpack::sbuffer>;

// The buffer size for a record of a few hundred bytes (a row state, an audit record): an
// sbuffer starts at 8 KiB, which malloc serves from its slow path on every record.
inline constexpr std::size_t small_record_bytes = 256;

void pack_value(packer& p, const value& v);
void pack_string(packer& p, std::string_view s);
void pack_version(packer& p, const version& v);

// Return none when the object has another shape; the caller says what that means.
std::optional<value> unpack_value(const msgpack::object& o);
std::optional<version> unpack_version(const msgpack::object& o);

} // namespace noi::proto
