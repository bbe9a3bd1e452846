// Upper bounds of msgpack sizes, tight enough to size a batch by: headers by their length, a
// number at its widest (9 bytes).
#include <noi/protocol/row_size.hpp>

#include <algorithm>

namespace noi::proto {
namespace {

// msgpack's header of a str or bin, and of an array, of `n` items or bytes.
std::size_t str_header(std::size_t n) {
    return n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5;
}
std::size_t array_header(std::size_t n) {
    return n < 16 ? 1 : n < 65536 ? 3 : 5;
}
constexpr std::size_t number_bound = 9;
constexpr std::size_t version_bound = 1 + number_bound + 2 + 16; // [hlc, bin16 site]

std::size_t string_bound(std::string_view s) {
    return str_header(s.size()) + s.size();
}

std::size_t longest_bytes(const value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return s->size();
    if (const auto* b = std::get_if<blob>(&v)) return b->bytes.size();
    return 0;
}

} // namespace

std::size_t encoded_bound(const value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return string_bound(*s);
    if (const auto* b = std::get_if<blob>(&v)) return str_header(b->bytes.size()) + b->bytes.size();
    return is_null(v) ? 1 : number_bound;
}

std::size_t cell_bound(std::string_view column, const value& v) {
    return 1 + string_bound(column) + encoded_bound(v) + 2 * version_bound;
}

std::size_t encoded_bound(const row_change& r) {
    // A base that is absent is one byte (nil): a CHANGES carries none.
    auto base = [](const std::optional<version>& v) { return v ? version_bound : 1; };
    std::size_t n =
        1 + string_bound(r.table) + string_bound(r.id) + encoded_bound(r.scope) + number_bound;
    n += r.exists ? 1 + 1 + version_bound + base(r.exists->base) : 1;
    n += array_header(r.seen.size()) + r.seen.size() * version_bound;
    n += base(r.existence_base);
    n += array_header(r.cells.size());
    for (const auto& c : r.cells)
        n += 1 + string_bound(c.column) + encoded_bound(c.val) + version_bound + base(c.base);
    return n;
}

bool fits_alone(const row_change& r, const limits& lim) {
    // The CHANGES around the row: its array, type, rows array, cursor and `more`.
    constexpr std::size_t envelope = 1 + 1 + 5 + number_bound + 1;
    if (encoded_bound(r) + envelope > lim.max_message_bytes) return false;
    if (r.cells.size() > lim.max_cells_per_row || r.seen.size() > lim.max_cells_per_row)
        return false;
    const auto string_ok = [&](const std::string& s) { return s.size() <= lim.max_string_bytes; };
    if (!string_ok(r.table) || !string_ok(r.id) || longest_bytes(r.scope) > lim.max_string_bytes)
        return false;
    return std::all_of(r.cells.begin(), r.cells.end(), [&](const cell_change& c) {
        return string_ok(c.column) && longest_bytes(c.val) <= lim.max_string_bytes;
    });
}

} // namespace noi::proto
