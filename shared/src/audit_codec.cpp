// Format 2: [2, hlc, site, base-hlc, base-site, cell...], the head being the first cell's
// version and base (nil, nil: no base). A cell is its column name alone when it has the head's
// version and base and no value before; [column, before] when it has the head's version and
// base; [column, before, hlc, site, base-hlc, base-site] otherwise.
// Format 3: [3, hlc, site, base-hlc, base-site, list]: a record of format 2 whose cells are
// all names alone, those of column list number `list`.
// Format 1 was flat: [column, before, after, hlc, site, base-hlc, base-site]..., a version or
// base equal to the previous cell's written as hlc 0 and no site.
#include "audit_codec.hpp"

#include <noi/protocol/msgpack_values.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/store_books.hpp>

#include <algorithm>

namespace noi {
namespace {

using proto::packer;

constexpr std::uint64_t format_2 = 2;
constexpr std::uint64_t format_3 = 3;

[[noreturn]] void corrupt() {
    throw sync_error(errc::corrupt_state,
                     "an audit record does not decode; restore the database from a backup");
}

void put_version(packer& p, const version& v) {
    p.pack_uint64(v.hlc);
    p.pack_bin(static_cast<std::uint32_t>(v.site.size()));
    p.pack_bin_body(reinterpret_cast<const char*>(v.site.data()),
                    static_cast<std::uint32_t>(v.site.size()));
}

void put_base(packer& p, const std::optional<version>& b) {
    if (b) {
        put_version(p, *b);
    } else {
        p.pack_nil();
        p.pack_nil();
    }
}

// The msgpack array a stored record or list is, or a corrupt_state error.
msgpack::object_handle unpack_array(const std::string& bytes) {
    msgpack::object_handle h;
    try {
        h = msgpack::unpack(bytes.data(), bytes.size());
    } catch (const msgpack::unpack_error&) {
        corrupt();
    }
    if (h.get().type != msgpack::type::ARRAY) corrupt();
    return h;
}

std::uint64_t get_u64(const msgpack::object& o) {
    if (o.type != msgpack::type::POSITIVE_INTEGER) corrupt();
    return o.via.u64;
}

std::string get_str(const msgpack::object& o) {
    if (o.type != msgpack::type::STR) corrupt();
    return {o.via.str.ptr, o.via.str.size};
}

value get_value(const msgpack::object& o) {
    auto v = proto::unpack_value(o);
    if (!v) corrupt();
    return *v;
}

version get_version(const msgpack::object& hlc, const msgpack::object& site) {
    if (site.type != msgpack::type::BIN || site.via.bin.size != 16) corrupt();
    version v{get_u64(hlc), {}};
    std::copy_n(reinterpret_cast<const std::uint8_t*>(site.via.bin.ptr), 16, v.site.begin());
    return v;
}

std::optional<version> get_base(const msgpack::object& hlc, const msgpack::object& site) {
    if (hlc.type == msgpack::type::NIL) return std::nullopt;
    return get_version(hlc, site);
}

std::vector<unpacked_audit_cell> unpack_format_1(const msgpack::object* f, std::uint32_t n) {
    std::vector<value> flat;
    flat.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i)
        flat.push_back(get_value(f[i]));
    std::vector<unpacked_audit_cell> out;
    auto version_of = [](const value& hlc, const value& site, const version* prev) {
        const auto* h = std::get_if<std::int64_t>(&hlc);
        if (!h) corrupt();
        if (*h == 0 && prev) return *prev;
        version v{static_cast<std::uint64_t>(*h), {}};
        if (const auto* b = std::get_if<blob>(&site))
            std::copy_n(b->bytes.begin(), std::min<std::size_t>(16, b->bytes.size()),
                        v.site.begin());
        return v;
    };
    for (std::size_t i = 0; i + 7 <= flat.size(); i += 7) {
        const audit_cell* prev = out.empty() ? nullptr : &out.back().cell;
        audit_cell c;
        const auto* column = std::get_if<std::string>(&flat[i]);
        if (!column) corrupt();
        c.column = *column;
        c.old_value = flat[i + 1];
        c.new_value = flat[i + 2];
        c.ver = version_of(flat[i + 3], flat[i + 4], prev ? &prev->ver : nullptr);
        if (!is_null(flat[i + 5]))
            c.base =
                version_of(flat[i + 5], flat[i + 6], prev && prev->base ? &*prev->base : nullptr);
        out.push_back({std::move(c), true});
    }
    return out;
}

bool is_creation_of(const std::vector<audit_change>& cells, const audit_column_list& list) {
    if (cells.size() != list.names.size()) return false;
    const auto& head = cells.front();
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const auto& c = cells[i];
        if (c.column != list.names[i] || c.ver != head.ver || c.base != head.base ||
            !is_null(c.old_value))
            return false;
    }
    return true;
}

} // namespace

std::string pack_audit(const std::vector<audit_change>& cells, const audit_column_list* creation) {
    msgpack::sbuffer buf(proto::small_record_bytes);
    packer p(buf);
    const auto& head = cells.front();
    if (creation && is_creation_of(cells, *creation)) {
        p.pack_array(6);
        p.pack_uint64(format_3);
        put_version(p, head.ver);
        put_base(p, head.base);
        p.pack_uint64(creation->id);
        return {buf.data(), buf.size()};
    }
    p.pack_array(static_cast<std::uint32_t>(5 + cells.size()));
    p.pack_uint64(format_2);
    put_version(p, head.ver);
    put_base(p, head.base);
    for (const auto& c : cells) {
        if (c.ver != head.ver || c.base != head.base) {
            p.pack_array(6);
            proto::pack_string(p, c.column);
            proto::pack_value(p, c.old_value);
            put_version(p, c.ver);
            put_base(p, c.base);
        } else if (!is_null(c.old_value)) {
            p.pack_array(2);
            proto::pack_string(p, c.column);
            proto::pack_value(p, c.old_value);
        } else {
            proto::pack_string(p, c.column);
        }
    }
    return {buf.data(), buf.size()};
}

std::vector<unpacked_audit_cell> unpack_audit(const std::string& bytes,
                                              const audit_column_lookup& lists) {
    const auto h = unpack_array(bytes);
    const auto& top = h.get();
    const auto* f = top.via.array.ptr;
    const auto n = top.via.array.size;
    if (n > 0 && f[0].type == msgpack::type::STR) return unpack_format_1(f, n);
    if (n < 5) corrupt();
    const auto format = get_u64(f[0]);
    if (format != format_2 && (format != format_3 || n != 6)) corrupt();
    const auto head = get_version(f[1], f[2]);
    const auto head_base = get_base(f[3], f[4]);
    std::vector<unpacked_audit_cell> out;
    if (format == format_3) {
        for (auto& name : lists(get_u64(f[5])))
            out.push_back({audit_cell{std::move(name), {}, {}, head, head_base}, false});
        return out;
    }
    out.reserve(n - 5);
    for (std::uint32_t i = 5; i < n; ++i) {
        audit_cell c;
        c.ver = head;
        c.base = head_base;
        if (f[i].type == msgpack::type::STR) {
            c.column = get_str(f[i]);
        } else {
            if (f[i].type != msgpack::type::ARRAY) corrupt();
            const auto* a = f[i].via.array.ptr;
            const auto m = f[i].via.array.size;
            if (m != 2 && m != 6) corrupt();
            c.column = get_str(a[0]);
            c.old_value = get_value(a[1]);
            if (m == 6) {
                c.ver = get_version(a[2], a[3]);
                c.base = get_base(a[4], a[5]);
            }
        }
        out.push_back({std::move(c), false});
    }
    return out;
}

std::vector<std::string> unpack_column_names(const std::string& bytes) {
    const auto h = unpack_array(bytes);
    const auto& top = h.get();
    std::vector<std::string> out;
    for (std::uint32_t i = 0; i < top.via.array.size; ++i)
        out.push_back(get_str(top.via.array.ptr[i]));
    return out;
}

std::vector<std::vector<audit_cell>>
complete_audit(std::vector<std::vector<unpacked_audit_cell>> records,
               std::map<std::string, value> current) {
    std::vector<std::vector<audit_cell>> out(records.size());
    for (std::size_t k = records.size(); k-- > 0;) {
        out[k].reserve(records[k].size());
        for (auto& u : records[k]) {
            auto& now = current[u.cell.column];
            if (!u.has_new) u.cell.new_value = now;
            now = u.cell.old_value;
            out[k].push_back(std::move(u.cell));
        }
    }
    return out;
}

std::vector<std::string> creation_names(const table_def& t) {
    std::vector<std::string> names{exists_column};
    for (const auto& c : t.columns)
        names.push_back(c.name);
    return names;
}

} // namespace noi
