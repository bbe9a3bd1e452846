// Packing of row_state as msgpack: [alive, exists, seen, cells, tomb, audit-seq, digests], where
// a cell is [version, base-or-nil, seq], nil when absent, or true when it equals the existence
// cell: a row written in one change (most rows) then costs one byte per column, not thirty.
// Trailing fields are left out when empty: the audit sequence when 0 (every tablet row, and
// server rows of older databases), the digests (a bin of 8 little-endian bytes per column) on
// servers and in tablet rows written before the capture log's format 2.
#include <noi/sync/database.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema.hpp>

#include <noi/protocol/msgpack_values.hpp>

#include <algorithm>
#include <cstring>

namespace noi {
namespace {

using proto::packer;

void put_cell(packer& p, const std::optional<cell_state>& c) {
    if (!c) {
        p.pack_nil();
        return;
    }
    p.pack_array(3);
    proto::pack_version(p, c->ver);
    if (c->base)
        proto::pack_version(p, *c->base);
    else
        p.pack_nil();
    p.pack_uint64(c->seq);
}

[[noreturn]] void corrupt() {
    throw sync_error(errc::corrupt_state,
                     "a row's sync state does not decode; restore the replica from a backup");
}

version get_version(const msgpack::object& o) {
    auto v = proto::unpack_version(o);
    if (!v) corrupt();
    return *v;
}

std::optional<cell_state> get_cell(const msgpack::object& o) {
    if (o.type == msgpack::type::NIL) return std::nullopt;
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 3) corrupt();
    cell_state c;
    c.ver = get_version(o.via.array.ptr[0]);
    if (o.via.array.ptr[1].type != msgpack::type::NIL) c.base = get_version(o.via.array.ptr[1]);
    if (o.via.array.ptr[2].type != msgpack::type::POSITIVE_INTEGER) corrupt();
    c.seq = o.via.array.ptr[2].via.u64;
    return c;
}

value get_value(const msgpack::object& o) {
    auto v = proto::unpack_value(o);
    if (!v) corrupt();
    return *v;
}

} // namespace

std::string pack_values(const std::vector<value>& values) {
    msgpack::sbuffer buf(proto::small_record_bytes);
    packer p(buf);
    p.pack_array(static_cast<std::uint32_t>(values.size()));
    for (const auto& v : values)
        proto::pack_value(p, v);
    return std::string(buf.data(), buf.size());
}

std::vector<value> unpack_values(std::string_view bytes) {
    try {
        auto h = msgpack::unpack(bytes.data(), bytes.size());
        const auto& o = h.get();
        if (o.type != msgpack::type::ARRAY) corrupt();
        std::vector<value> out;
        for (std::uint32_t i = 0; i < o.via.array.size; ++i)
            out.push_back(get_value(o.via.array.ptr[i]));
        return out;
    } catch (const msgpack::unpack_error&) {
        corrupt();
    }
}

std::string pack_row_state(const row_state& s) {
    msgpack::sbuffer buf(proto::small_record_bytes);
    packer p(buf);
    p.pack_array(!s.digests.empty() ? 7 : s.audit_seq ? 6 : 5);
    if (s.alive)
        p.pack_true();
    else
        p.pack_false();
    put_cell(p, s.exists);
    p.pack_array(static_cast<std::uint32_t>(s.seen.size()));
    for (const auto& v : s.seen)
        proto::pack_version(p, v);
    p.pack_array(static_cast<std::uint32_t>(s.cells.size()));
    for (const auto& c : s.cells)
        if (c && c == s.exists)
            p.pack_true();
        else
            put_cell(p, c);
    p.pack_array(static_cast<std::uint32_t>(s.tomb.size()));
    for (const auto& v : s.tomb)
        proto::pack_value(p, v);
    if (s.audit_seq || !s.digests.empty()) p.pack_uint64(s.audit_seq);
    if (!s.digests.empty()) {
        std::string bytes(8 * s.digests.size(), '\0');
        for (std::size_t i = 0; i < s.digests.size(); ++i)
            for (std::size_t b = 0; b < 8; ++b)
                bytes[8 * i + b] = static_cast<char>(s.digests[i] >> (8 * b));
        p.pack_bin(static_cast<std::uint32_t>(bytes.size()));
        p.pack_bin_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
    }
    return std::string(buf.data(), buf.size());
}

row_state unpack_row_state(std::string_view bytes, std::size_t columns) {
    try {
        auto h = msgpack::unpack(bytes.data(), bytes.size());
        const auto& o = h.get();
        if (o.type != msgpack::type::ARRAY || o.via.array.size < 5 || o.via.array.size > 7)
            corrupt();
        const auto* f = o.via.array.ptr;
        if (f[0].type != msgpack::type::BOOLEAN || f[2].type != msgpack::type::ARRAY ||
            f[3].type != msgpack::type::ARRAY || f[4].type != msgpack::type::ARRAY)
            corrupt();
        row_state s;
        s.alive = f[0].via.boolean;
        s.exists = get_cell(f[1]);
        for (std::uint32_t i = 0; i < f[2].via.array.size; ++i)
            s.seen.push_back(get_version(f[2].via.array.ptr[i]));
        // A table that gained columns since the state was written reads the new ones as absent.
        s.cells.resize(std::max<std::size_t>(columns, f[3].via.array.size));
        for (std::uint32_t i = 0; i < f[3].via.array.size; ++i) {
            const auto& c = f[3].via.array.ptr[i];
            if (c.type == msgpack::type::BOOLEAN && c.via.boolean && s.exists)
                s.cells[i] = s.exists;
            else
                s.cells[i] = get_cell(c);
        }
        s.cells.resize(columns);
        for (std::uint32_t i = 0; i < f[4].via.array.size; ++i)
            s.tomb.push_back(get_value(f[4].via.array.ptr[i]));
        if (o.via.array.size >= 6) {
            if (f[5].type != msgpack::type::POSITIVE_INTEGER) corrupt();
            s.audit_seq = f[5].via.u64;
        }
        if (o.via.array.size == 7) {
            const auto& d = f[6];
            if (d.type != msgpack::type::BIN || d.via.bin.size % 8) corrupt();
            const auto* p = reinterpret_cast<const unsigned char*>(d.via.bin.ptr);
            s.digests.resize(d.via.bin.size / 8);
            for (std::size_t i = 0; i < s.digests.size(); ++i)
                for (std::size_t b = 0; b < 8; ++b)
                    s.digests[i] |= std::uint64_t{p[8 * i + b]} << (8 * b);
        }
        return s;
    } catch (const msgpack::unpack_error&) {
        corrupt();
    } catch (const msgpack::type_error&) {
        corrupt();
    }
}

std::optional<row_state> row_state_store::load(const std::string& table, const std::string& id,
                                               std::size_t columns) {
    auto& st = db_.cached("SELECT state FROM noi_rows WHERE tbl = ?1 AND id = ?2");
    st.bind(1, table).bind(2, id);
    if (!st.step()) return std::nullopt;
    auto bytes = st.column_blob(0);
    st.reset();
    return unpack_row_state(bytes, columns);
}

void row_state_store::save(const std::string& table, const std::string& id, const row_state& s) {
    auto bytes = pack_row_state(s);
    auto& st = db_.cached("INSERT INTO noi_rows(tbl, id, state) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT(tbl, id) DO UPDATE SET state = excluded.state");
    st.bind(1, table).bind(2, id).bind_blob(3, bytes.data(), bytes.size());
    st.run();
}

bool row_state_store::insert_new(const std::string& table, const std::string& id,
                                 const row_state& s) {
    auto bytes = pack_row_state(s);
    auto& st = db_.cached("INSERT INTO noi_rows(tbl, id, state) VALUES (?1, ?2, ?3) "
                          "ON CONFLICT(tbl, id) DO NOTHING");
    st.bind(1, table).bind(2, id).bind_blob(3, bytes.data(), bytes.size());
    st.run();
    return db_.changes() == 1;
}

void row_state_store::erase(const std::string& table, const std::string& id) {
    auto& st = db_.cached("DELETE FROM noi_rows WHERE tbl = ?1 AND id = ?2");
    st.bind(1, table).bind(2, id);
    st.run();
}

std::vector<std::tuple<std::string, std::string, row_state>>
row_state_book::all(const schema& tables) {
    std::vector<std::tuple<std::string, std::string, row_state>> rows;
    for_each(tables, [&](const std::string& table, const std::string& id, const row_state& st) {
        rows.emplace_back(table, id, st);
    });
    return rows;
}

void row_state_store::for_each(
    const schema& tables,
    const std::function<void(const std::string&, const std::string&, const row_state&)>& fn) {
    auto st = db_.prepare("SELECT tbl, id, state FROM noi_rows");
    while (st.step())
        if (const auto* def = tables.find(st.column_text(0)))
            fn(st.column_text(0), st.column_text(1),
               unpack_row_state(st.column_blob(2), def->columns.size()));
}

std::vector<std::uint64_t> sequences_of(const row_state& st) {
    std::vector<std::uint64_t> out;
    if (st.exists) out.push_back(st.exists->seq);
    for (const auto& c : st.cells)
        if (c) out.push_back(c->seq);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void stamp_all(row_state& st, std::uint64_t seq) {
    if (st.exists) st.exists->seq = seq;
    for (auto& c : st.cells)
        if (c) c->seq = seq;
}

} // namespace noi
