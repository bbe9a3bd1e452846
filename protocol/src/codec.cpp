// msgpack codec for the protocol. The decoder reads msgpack-c's object tree through checked
// accessors; every check that fails throws a local exception turned into a decode_error at
// the single entry point, so no path reaches undefined behaviour.
#include <noi/protocol/codec.hpp>
#include <noi/protocol/msgpack_values.hpp>

#include <msgpack.hpp>

#include <algorithm>
#include <cstring>
#include <limits>

namespace noi::proto {
namespace {

void put_bin(packer& p, const std::uint8_t* data, std::size_t n) {
    p.pack_bin(static_cast<std::uint32_t>(n));
    p.pack_bin_body(reinterpret_cast<const char*>(data), static_cast<std::uint32_t>(n));
}

void put_opt_version(packer& p, const std::optional<version>& v) {
    if (v)
        pack_version(p, *v);
    else
        p.pack_nil();
}

void put_row(packer& p, const row_change& r) {
    p.pack_array(8);
    pack_string(p, r.table);
    pack_string(p, r.id);
    pack_value(p, r.scope);
    p.pack_uint64(r.seq);
    if (r.exists) {
        p.pack_array(3);
        if (r.exists->alive)
            p.pack_true();
        else
            p.pack_false();
        pack_version(p, r.exists->ver);
        put_opt_version(p, r.exists->base);
    } else {
        p.pack_nil();
    }
    p.pack_array(static_cast<std::uint32_t>(r.seen.size()));
    for (const auto& v : r.seen)
        pack_version(p, v);
    put_opt_version(p, r.existence_base);
    p.pack_array(static_cast<std::uint32_t>(r.cells.size()));
    for (const auto& c : r.cells) {
        p.pack_array(4);
        pack_string(p, c.column);
        pack_value(p, c.val);
        pack_version(p, c.ver);
        put_opt_version(p, c.base);
    }
}

void put_rows(packer& p, const std::vector<row_change>& rows) {
    p.pack_array(static_cast<std::uint32_t>(rows.size()));
    for (const auto& r : rows)
        put_row(p, r);
}

void put_rejections(packer& p, const std::vector<rejection>& rs) {
    p.pack_array(static_cast<std::uint32_t>(rs.size()));
    for (const auto& r : rs) {
        p.pack_array(6);
        p.pack_uint64(r.quarantine_id);
        pack_string(p, r.table);
        pack_string(p, r.id);
        p.pack_uint64(r.seq);
        p.pack_uint16(static_cast<std::uint16_t>(r.reason));
        pack_string(p, r.message);
    }
}

void put_ids(packer& p, const std::vector<std::uint64_t>& ids) {
    p.pack_array(static_cast<std::uint32_t>(ids.size()));
    for (auto id : ids)
        p.pack_uint64(id);
}

void put_schema(packer& p, const std::optional<schema_offer>& s) {
    if (!s) {
        p.pack_nil();
        return;
    }
    p.pack_array(s->labels.empty() ? 2 : 3);
    p.pack_uint64(s->since);
    p.pack_array(static_cast<std::uint32_t>(s->tables.size()));
    for (const auto& t : s->tables) {
        p.pack_array(3);
        pack_string(p, t.name);
        if (t.scope.empty())
            p.pack_nil();
        else
            pack_string(p, t.scope);
        p.pack_array(static_cast<std::uint32_t>(t.columns.size()));
        for (const auto& c : t.columns) {
            p.pack_array(2);
            pack_string(p, c.name);
            pack_string(p, c.type);
        }
    }
    if (s->labels.empty()) return;
    p.pack_array(static_cast<std::uint32_t>(s->labels.size()));
    const auto text_or_nil = [&](const std::optional<std::string>& t) {
        if (t)
            pack_string(p, *t);
        else
            p.pack_nil();
    };
    for (const auto& l : s->labels) {
        p.pack_array(7);
        pack_string(p, l.table);
        text_or_nil(l.column);
        text_or_nil(l.value);
        pack_string(p, l.vi);
        pack_string(p, l.en);
        text_or_nil(l.description_vi.empty() ? std::nullopt : std::optional(l.description_vi));
        text_or_nil(l.description_en.empty() ? std::nullopt : std::optional(l.description_en));
    }
}

struct encoder {
    packer& p;
    void operator()(const hello& m) {
        // A field added later is sent only when it says something, so the bytes of a message
        // without it are those an older peer sent.
        const bool scoped = !m.scope.empty() || m.scope_version;
        const bool conflicts = m.confirmed_conflict.has_value() || !m.conflicts_open.empty();
        const bool answered = conflicts || !m.answered.empty();
        p.pack_array(conflicts ? 15 : answered ? 13 : scoped ? 12 : 10);
        p.pack_uint8(static_cast<std::uint8_t>(m.type));
        p.pack_uint32(m.version);
        put_bin(p, m.site.data(), m.site.size());
        p.pack_uint32(m.schema_version);
        pack_string(p, m.app_version);
        p.pack_uint64(m.clock_ms);
        p.pack_uint64(m.pending);
        if (m.oldest_pending_ms)
            p.pack_uint64(*m.oldest_pending_ms);
        else
            p.pack_nil();
        p.pack_uint64(m.confirmed_rejection);
        put_ids(p, m.rejected);
        if (scoped || answered) {
            pack_string(p, m.scope);
            p.pack_uint64(m.scope_version);
        }
        if (answered) {
            p.pack_array(static_cast<std::uint32_t>(m.answered.size()));
            for (const auto& a : m.answered) {
                p.pack_array(2);
                p.pack_uint64(a.quarantine_id);
                p.pack_uint8(static_cast<std::uint8_t>(a.answer));
            }
        }
        if (conflicts) {
            p.pack_uint64(m.confirmed_conflict.value_or(0));
            put_ids(p, m.conflicts_open);
        }
    }
    void operator()(const welcome& m) {
        const bool conflicts = !m.conflicts.empty() || m.conflict_head;
        const bool units = conflicts || !m.units.empty() || m.scope_version;
        p.pack_array(conflicts ? 14 : units ? 12 : 10);
        p.pack_uint8(static_cast<std::uint8_t>(m.type));
        p.pack_uint32(m.version);
        p.pack_uint64(m.clock_ms);
        pack_string(p, m.scope);
        put_bin(p, m.epoch.data(), m.epoch.size());
        p.pack_uint64(m.acked_seq);
        put_rejections(p, m.rejections);
        put_ids(p, m.settled);
        p.pack_uint32(m.schema_version);
        put_schema(p, m.schema);
        if (units) {
            p.pack_array(static_cast<std::uint32_t>(m.units.size()));
            for (const auto& u : m.units)
                pack_string(p, u);
            p.pack_uint64(m.scope_version);
        }
        if (conflicts) {
            p.pack_array(static_cast<std::uint32_t>(m.conflicts.size()));
            for (const auto& c : m.conflicts) {
                p.pack_array(6);
                p.pack_uint64(c.conflict_id);
                pack_string(p, c.table);
                pack_string(p, c.id);
                if (c.column)
                    pack_string(p, *c.column);
                else
                    p.pack_nil();
                if (c.decided)
                    p.pack_true();
                else
                    p.pack_false();
                pack_value(p, c.kept);
            }
            p.pack_uint64(m.conflict_head);
        }
    }
    void operator()(const push& m) {
        p.pack_array(4);
        p.pack_uint8(static_cast<std::uint8_t>(m.type));
        p.pack_uint64(m.from_seq);
        p.pack_uint64(m.to_seq);
        put_rows(p, m.rows);
    }
    void operator()(const push_ack& m) {
        p.pack_array(3);
        p.pack_uint8(static_cast<std::uint8_t>(m.type));
        p.pack_uint64(m.acked_seq);
        put_rejections(p, m.rejections);
    }
    void operator()(const pull& m) {
        p.pack_array(4);
        p.pack_uint8(static_cast<std::uint8_t>(m.type));
        p.pack_uint64(m.cursor);
        p.pack_uint32(m.max_rows);
        if (m.own)
            p.pack_true();
        else
            p.pack_false();
    }
    void operator()(const changes& m) {
        p.pack_array(4);
        p.pack_uint8(static_cast<std::uint8_t>(m.type));
        put_rows(p, m.rows);
        p.pack_uint64(m.cursor);
        if (m.more)
            p.pack_true();
        else
            p.pack_false();
    }
    void operator()(const notify& m) {
        p.pack_array(2);
        p.pack_uint8(static_cast<std::uint8_t>(m.type));
        p.pack_uint64(m.server_seq);
    }
    void operator()(const error& m) {
        p.pack_array(5);
        p.pack_uint8(static_cast<std::uint8_t>(m.type));
        p.pack_uint16(static_cast<std::uint16_t>(m.code));
        p.pack_uint8(static_cast<std::uint8_t>(m.cond));
        pack_string(p, m.message);
        p.pack_array(static_cast<std::uint32_t>(m.supported_versions.size()));
        for (auto v : m.supported_versions)
            p.pack_uint32(v);
    }
};

// Thrown inside the decoder only; caught at decode().
struct bad_input {
    decode_errc code;
    std::string detail;
};

[[noreturn]] void fail(decode_errc c, std::string detail) {
    throw bad_input{c, std::move(detail)};
}

struct reader {
    const limits& lim;

    std::span<const msgpack::object> array(const msgpack::object& o, const char* what) const {
        if (o.type != msgpack::type::ARRAY)
            fail(decode_errc::wrong_type, std::string(what) + " is not an array");
        return {o.via.array.ptr, o.via.array.size};
    }

    std::span<const msgpack::object> fields(const msgpack::object& o, std::size_t n,
                                            const char* what) const {
        auto a = array(o, what);
        if (a.size() < n) fail(decode_errc::wrong_type, std::string(what) + " has too few fields");
        return a;
    }

    std::uint64_t u64(const msgpack::object& o, const char* what) const {
        if (o.type != msgpack::type::POSITIVE_INTEGER)
            fail(decode_errc::wrong_type, std::string(what) + " is not an unsigned integer");
        return o.via.u64;
    }

    template <class T> T unsigned_as(const msgpack::object& o, const char* what) const {
        auto v = u64(o, what);
        if (v > std::numeric_limits<T>::max())
            fail(decode_errc::wrong_type, std::string(what) + " is out of range");
        return static_cast<T>(v);
    }

    bool boolean(const msgpack::object& o, const char* what) const {
        if (o.type != msgpack::type::BOOLEAN)
            fail(decode_errc::wrong_type, std::string(what) + " is not a boolean");
        return o.via.boolean;
    }

    std::string str(const msgpack::object& o, const char* what) const {
        if (o.type != msgpack::type::STR)
            fail(decode_errc::wrong_type, std::string(what) + " is not a string");
        return std::string(o.via.str.ptr, o.via.str.size);
    }

    site_id site(const msgpack::object& o, const char* what) const {
        if (o.type != msgpack::type::BIN || o.via.bin.size != 16)
            fail(decode_errc::wrong_type, std::string(what) + " is not a 16-byte id");
        site_id s;
        std::memcpy(s.data(), o.via.bin.ptr, 16);
        return s;
    }

    version ver(const msgpack::object& o) const {
        auto v = unpack_version(o);
        if (!v) fail(decode_errc::wrong_type, "a version is not [hlc, 16-byte site]");
        return *v;
    }

    std::optional<version> opt_ver(const msgpack::object& o) const {
        if (o.type == msgpack::type::NIL) return std::nullopt;
        return ver(o);
    }

    value val(const msgpack::object& o) const {
        auto v = unpack_value(o);
        if (!v)
            fail(decode_errc::wrong_type,
                 "a cell value is not a scalar in the 64-bit signed range");
        return *v;
    }

    row_change row(const msgpack::object& o) const {
        auto f = fields(o, 8, "row");
        row_change r;
        r.table = str(f[0], "table");
        r.id = str(f[1], "id");
        r.scope = val(f[2]);
        r.seq = u64(f[3], "row seq");
        if (f[4].type != msgpack::type::NIL) {
            auto e = fields(f[4], 3, "existence");
            r.exists = existence_change{boolean(e[0], "alive"), ver(e[1]), opt_ver(e[2])};
        }
        auto seen = array(f[5], "seen");
        if (seen.size() > lim.max_cells_per_row)
            fail(decode_errc::too_large, "too many seen versions");
        for (const auto& s : seen)
            r.seen.push_back(ver(s));
        r.existence_base = opt_ver(f[6]);
        auto cells = array(f[7], "cells");
        if (cells.size() > lim.max_cells_per_row)
            fail(decode_errc::too_large, "too many cells in a row");
        r.cells.reserve(cells.size());
        for (const auto& c : cells) {
            auto cf = fields(c, 4, "cell");
            r.cells.push_back(
                cell_change{str(cf[0], "column"), val(cf[1]), ver(cf[2]), opt_ver(cf[3])});
        }
        return r;
    }

    std::vector<row_change> rows(const msgpack::object& o) const {
        auto a = array(o, "rows");
        if (a.size() > lim.max_rows) fail(decode_errc::too_large, "too many rows in one message");
        std::vector<row_change> out;
        out.reserve(a.size());
        for (const auto& r : a)
            out.push_back(row(r));
        return out;
    }

    std::vector<std::uint64_t> ids(const msgpack::object& o, const char* what) const {
        auto a = array(o, what);
        if (a.size() > lim.max_rows) fail(decode_errc::too_large, std::string("too many ") + what);
        std::vector<std::uint64_t> out;
        out.reserve(a.size());
        for (const auto& x : a)
            out.push_back(u64(x, what));
        return out;
    }

    std::vector<std::string> strings(const msgpack::object& o, const char* what) const {
        auto a = array(o, what);
        if (a.size() > lim.max_rows) fail(decode_errc::too_large, std::string("too many ") + what);
        std::vector<std::string> out;
        out.reserve(a.size());
        for (const auto& x : a)
            out.push_back(str(x, what));
        return out;
    }

    std::optional<schema_offer> schema(const msgpack::object& o) const {
        if (o.type == msgpack::type::NIL) return std::nullopt;
        auto f = fields(o, 2, "schema");
        schema_offer s{u64(f[0], "schema since"), {}};
        auto tables = array(f[1], "schema tables");
        if (tables.size() > lim.max_rows) fail(decode_errc::too_large, "too many tables");
        for (const auto& t : tables) {
            auto tf = fields(t, 3, "schema table");
            table_spec spec{str(tf[0], "table name"),
                            tf[1].type == msgpack::type::NIL ? std::string()
                                                             : str(tf[1], "scope column"),
                            {}};
            auto columns = array(tf[2], "schema columns");
            if (columns.size() > lim.max_cells_per_row)
                fail(decode_errc::too_large, "too many columns in a table");
            for (const auto& c : columns) {
                auto cf = fields(c, 2, "schema column");
                spec.columns.push_back({str(cf[0], "column name"), str(cf[1], "column type")});
            }
            s.tables.push_back(std::move(spec));
        }
        if (f.size() > 2) s.labels = labels(f[2]);
        return s;
    }

    std::vector<schema_label> labels(const msgpack::object& o) const {
        auto a = array(o, "schema labels");
        if (a.size() > lim.max_rows) fail(decode_errc::too_large, "too many schema labels");
        const auto text_or_none = [&](const msgpack::object& x, const char* what) {
            return x.type == msgpack::type::NIL ? std::optional<std::string>()
                                                : std::optional(str(x, what));
        };
        std::vector<schema_label> out;
        out.reserve(a.size());
        for (const auto& x : a) {
            auto f = fields(x, 7, "schema label");
            out.push_back({str(f[0], "label table"), text_or_none(f[1], "label column"),
                           text_or_none(f[2], "label value"), str(f[3], "label vi"),
                           str(f[4], "label en"), text_or_none(f[5], "description vi").value_or(""),
                           text_or_none(f[6], "description en").value_or("")});
        }
        return out;
    }

    std::vector<answered_rejection> answers(const msgpack::object& o) const {
        auto a = array(o, "answered rejections");
        if (a.size() > lim.max_rows) fail(decode_errc::too_large, "too many answered rejections");
        std::vector<answered_rejection> out;
        out.reserve(a.size());
        for (const auto& x : a) {
            auto f = fields(x, 2, "answered rejection");
            // A newer tablet may answer otherwise: the server passes over what it does not know.
            out.push_back(
                {u64(f[0], "quarantine id"),
                 static_cast<rejection_answer>(unsigned_as<std::uint8_t>(f[1], "answer"))});
        }
        return out;
    }

    std::vector<conflict_notice> conflict_notices(const msgpack::object& o) const {
        auto a = array(o, "conflicts");
        if (a.size() > lim.max_rows) fail(decode_errc::too_large, "too many conflicts");
        std::vector<conflict_notice> out;
        for (const auto& x : a) {
            auto f = fields(x, 6, "conflict");
            conflict_notice c{u64(f[0], "conflict id"), str(f[1], "table"), str(f[2], "id")};
            if (f[3].type != msgpack::type::NIL) c.column = str(f[3], "column");
            if (f[4].type != msgpack::type::BOOLEAN)
                fail(decode_errc::wrong_type, "a conflict's decided is not a boolean");
            c.decided = f[4].via.boolean;
            c.kept = val(f[5]);
            out.push_back(std::move(c));
        }
        return out;
    }

    std::vector<rejection> rejections(const msgpack::object& o) const {
        auto a = array(o, "rejections");
        if (a.size() > lim.max_rows) fail(decode_errc::too_large, "too many rejections");
        std::vector<rejection> out;
        for (const auto& x : a) {
            auto f = fields(x, 6, "rejection");
            auto reason = unsigned_as<std::uint16_t>(f[4], "reason");
            // A newer server may add reasons: any is a rejection (an unknown one reads "unknown").
            if (reason < 1) fail(decode_errc::wrong_type, "unknown rejection reason");
            out.push_back(rejection{u64(f[0], "quarantine id"), str(f[1], "table"), str(f[2], "id"),
                                    u64(f[3], "seq"), static_cast<reject_reason>(reason),
                                    str(f[5], "message")});
        }
        return out;
    }

    void check_version(std::uint32_t v) const {
        if (v < oldest_supported_version || v > protocol_version)
            fail(decode_errc::unsupported_version,
                 "protocol version " + std::to_string(v) + " is not supported");
    }

    message msg(const msgpack::object& o) const {
        auto top = array(o, "message");
        if (top.empty()) fail(decode_errc::wrong_type, "empty message");
        auto t = unsigned_as<std::uint8_t>(top[0], "message type");
        switch (static_cast<msg_type>(t)) {
        case msg_type::hello: {
            auto f = fields(o, 9, "HELLO");
            hello m;
            m.version = unsigned_as<std::uint32_t>(f[1], "version");
            check_version(m.version);
            m.site = site(f[2], "site");
            m.schema_version = unsigned_as<std::uint32_t>(f[3], "schema version");
            m.app_version = str(f[4], "app version");
            m.clock_ms = u64(f[5], "clock");
            m.pending = u64(f[6], "pending");
            if (f[7].type != msgpack::type::NIL) m.oldest_pending_ms = u64(f[7], "oldest pending");
            m.confirmed_rejection = u64(f[8], "confirmed rejection");
            if (f.size() > 9) m.rejected = ids(f[9], "rejected");
            if (f.size() > 10) m.scope = str(f[10], "scope");
            if (f.size() > 11) m.scope_version = u64(f[11], "scope version");
            if (f.size() > 12) m.answered = answers(f[12]);
            if (f.size() > 13) m.confirmed_conflict = u64(f[13], "confirmed conflict");
            if (f.size() > 14) m.conflicts_open = ids(f[14], "open conflicts");
            return m;
        }
        case msg_type::welcome: {
            auto f = fields(o, 7, "WELCOME");
            welcome m;
            m.version = unsigned_as<std::uint32_t>(f[1], "version");
            check_version(m.version);
            m.clock_ms = u64(f[2], "clock");
            m.scope = str(f[3], "scope");
            m.epoch = site(f[4], "epoch");
            m.acked_seq = u64(f[5], "acked seq");
            m.rejections = rejections(f[6]);
            if (f.size() > 7) m.settled = ids(f[7], "settled");
            if (f.size() > 8) m.schema_version = unsigned_as<std::uint32_t>(f[8], "schema version");
            if (f.size() > 9) m.schema = schema(f[9]);
            if (f.size() > 10) m.units = strings(f[10], "units");
            if (f.size() > 11) m.scope_version = u64(f[11], "scope version");
            if (f.size() > 12) m.conflicts = conflict_notices(f[12]);
            if (f.size() > 13) m.conflict_head = u64(f[13], "conflict head");
            return m;
        }
        case msg_type::push: {
            auto f = fields(o, 4, "PUSH");
            push m{u64(f[1], "from"), u64(f[2], "to"), rows(f[3])};
            if (m.to_seq < m.from_seq) fail(decode_errc::wrong_type, "PUSH range is reversed");
            return m;
        }
        case msg_type::push_ack: {
            auto f = fields(o, 3, "PUSH_ACK");
            return push_ack{u64(f[1], "acked"), rejections(f[2])};
        }
        case msg_type::pull: {
            auto f = fields(o, 3, "PULL");
            return pull{u64(f[1], "cursor"), unsigned_as<std::uint32_t>(f[2], "max rows"),
                        f.size() < 4 || boolean(f[3], "own")};
        }
        case msg_type::changes: {
            auto f = fields(o, 4, "CHANGES");
            auto r = rows(f[1]);
            return changes{std::move(r), u64(f[2], "cursor"), boolean(f[3], "more")};
        }
        case msg_type::notify: {
            auto f = fields(o, 2, "NOTIFY");
            return notify{u64(f[1], "server seq")};
        }
        case msg_type::error: {
            auto f = fields(o, 5, "ERROR");
            error m;
            m.code = static_cast<error_code>(unsigned_as<std::uint16_t>(f[1], "error code"));
            auto c = unsigned_as<std::uint8_t>(f[2], "condition");
            if (c < 1 || c > 3) fail(decode_errc::wrong_type, "unknown error condition");
            m.cond = static_cast<condition>(c);
            m.message = str(f[3], "message");
            auto vs = array(f[4], "supported versions");
            if (vs.size() > 16) fail(decode_errc::too_large, "too many versions");
            for (const auto& v : vs)
                m.supported_versions.push_back(unsigned_as<std::uint32_t>(v, "version"));
            return m;
        }
        }
        fail(decode_errc::unknown_message, "unknown message type " + std::to_string(t));
    }
};

} // namespace

std::vector<std::uint8_t> encode(const message& m) {
    msgpack::sbuffer buf;
    packer p(buf);
    std::visit(encoder{p}, m);
    return {reinterpret_cast<const std::uint8_t*>(buf.data()),
            reinterpret_cast<const std::uint8_t*>(buf.data()) + buf.size()};
}

std::variant<message, decode_error> decode(std::span<const std::uint8_t> bytes, const limits& lim) {
    if (bytes.size() > lim.max_message_bytes)
        return decode_error{decode_errc::too_large, "message of " + std::to_string(bytes.size()) +
                                                        " bytes exceeds the limit"};
    // Every msgpack element takes at least one byte, so no honest count exceeds the input
    // size: bounding counts by it stops a tiny input from making msgpack-c allocate gigabytes.
    const std::size_t n = bytes.size();
    msgpack::unpack_limit ul(std::min(n, lim.max_rows * 16 + 16), std::min<std::size_t>(n, 64),
                             std::min(n, lim.max_string_bytes), std::min(n, lim.max_string_bytes),
                             0, lim.max_depth);
    try {
        std::size_t off = 0;
        auto handle = msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), n, off, nullptr,
                                      nullptr, ul);
        if (off != n)
            return decode_error{decode_errc::malformed, "trailing bytes after the message"};
        return reader{lim}.msg(handle.get());
    } catch (const bad_input& e) {
        return decode_error{e.code, e.detail};
    } catch (const msgpack::insufficient_bytes&) {
        return decode_error{decode_errc::truncated, "the message ends early"};
    } catch (const msgpack::size_overflow&) {
        return decode_error{decode_errc::too_large,
                            "a part of the message exceeds a size or nesting limit"};
    } catch (const msgpack::parse_error&) {
        return decode_error{decode_errc::malformed, "the bytes are not msgpack"};
    } catch (const msgpack::unpack_error& e) {
        return decode_error{decode_errc::malformed, e.what()};
    } catch (const std::bad_alloc&) {
        return decode_error{decode_errc::too_large, "the message needs too much memory"};
    }
}

const char* to_string(decode_errc e) {
    switch (e) {
    case decode_errc::truncated:
        return "truncated";
    case decode_errc::malformed:
        return "malformed";
    case decode_errc::wrong_type:
        return "wrong_type";
    case decode_errc::unknown_message:
        return "unknown_message";
    case decode_errc::unsupported_version:
        return "unsupported_version";
    case decode_errc::too_large:
        return "too_large";
    }
    return "unknown";
}

error refusal_for(const decode_error& e) {
    error out{error_code::malformed,
              condition::protocol,
              "the server could not read the message: " + e.detail,
              {oldest_supported_version, protocol_version}};
    if (e.code == decode_errc::too_large) {
        out.code = error_code::too_large;
        out.message = "the message is over a limit of the protocol (" + e.detail +
                      "); send fewer rows per message";
    } else if (e.code == decode_errc::unsupported_version) {
        out.code = error_code::unsupported_version;
        out.cond = condition::permanent;
        out.message = "the server does not speak this protocol version (" + e.detail +
                      "); update the app to one that speaks a version in supported_versions";
    }
    return out;
}

} // namespace noi::proto
