// The server role. Server sequences number row emissions: noi_feed appends (seq, row), and a
// cell's state records the seq it was last emitted at, so a pull sends each cell once, at its
// newest emission, in scope order.
#include <noi/protocol/codec.hpp>
#include <noi/sync/dates.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/merge.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/server_store.hpp>

#include "audit_codec.hpp"
#include "site_bytes.hpp"
#include "table_io.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace noi {
namespace {

constexpr const char* server_schema = R"sql(
CREATE TABLE IF NOT EXISTS noi_feed (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, id TEXT NOT NULL, scope TEXT, site BLOB,
  at INTEGER, device_id TEXT, writer BLOB, cells BLOB, prev INTEGER);
CREATE INDEX IF NOT EXISTS noi_feed_scope ON noi_feed (scope, seq);
CREATE TABLE IF NOT EXISTS noi_devices (
  device_id TEXT PRIMARY KEY, scope TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
  last_contact_at INTEGER, last_sync_at INTEGER, pending INTEGER, oldest_pending_at INTEGER,
  clock_skew_ms INTEGER, app_version TEXT, schema_version INTEGER, refused_at INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noi_sites (
  site BLOB PRIMARY KEY, device_id TEXT NOT NULL, acked_seq INTEGER NOT NULL DEFAULT 0,
  confirmed_rejection INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noi_conflicts (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, tbl TEXT NOT NULL, row_id TEXT NOT NULL, col TEXT,
  scope TEXT, status TEXT NOT NULL DEFAULT 'open', created_at INTEGER NOT NULL,
  w_value, w_site BLOB, w_hlc INTEGER, w_deleted INTEGER,
  l_value, l_site BLOB, l_hlc INTEGER, l_deleted INTEGER,
  resolved_by TEXT, resolved_at INTEGER, resolution TEXT);
CREATE TABLE IF NOT EXISTS noi_quarantine (
  id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, site BLOB NOT NULL, tbl TEXT NOT NULL,
  row_id TEXT NOT NULL, seq INTEGER NOT NULL, reason INTEGER NOT NULL, message TEXT NOT NULL,
  payload BLOB, received_at INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'open',
  repeats INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS noi_quarantine_site ON noi_quarantine (site, id);
CREATE INDEX IF NOT EXISTS noi_quarantine_device ON noi_quarantine (device_id, status);
CREATE TABLE IF NOT EXISTS noi_audit (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, device_id TEXT NOT NULL, site BLOB NOT NULL,
  tbl TEXT NOT NULL, row_id TEXT NOT NULL, cells BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS noi_audit_row ON noi_audit (tbl, row_id);
)sql";

// Every audit record, for reading with SQL: those of databases from before the records moved
// onto their feed entries, then the feed's. A feed entry's writer is NULL when it is the site
// whose push the entry applies, which the entry holds already.
constexpr const char* audit_view = R"sql(CREATE VIEW noi_audit_log AS
  SELECT id, at, device_id, site, tbl, row_id, cells FROM noi_audit
  UNION ALL SELECT seq, at, device_id, coalesce(writer, site), tbl, id, cells FROM noi_feed
  WHERE cells IS NOT NULL)sql";

// Makes the view anew when an older one differs (it read the writer column alone).
void ensure_audit_view(database& db) {
    auto st = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'view' AND name = "
                         "'noi_audit_log'");
    const bool current = st.step() && st.column_text(0) == audit_view;
    st.reset();
    if (current) return;
    transaction tx(db);
    db.exec("DROP VIEW IF EXISTS noi_audit_log");
    db.exec(audit_view);
    tx.commit();
}

const std::string exists_column = "*exists";
const device server_device{"", "*", "server", false};

} // namespace

server_store::server_store(std::unique_ptr<replica> r, server_options so)
    : rep_(std::move(r)), opt_(so) {
    auto st = rep_->db().prepare("SELECT coalesce(max(seq), 0) FROM noi_feed");
    if (st.step()) seq_ = static_cast<std::uint64_t>(st.column_int(0));
    st.reset();
    saved_wall_high_ = wall_high_ = rep_->meta_int("wall_high_ms", 0);
    ensure_audit_view(rep_->db());
    register_creation_lists();
}

// Each table's insert record names its columns by a list number (audit_codec.hpp). The lists
// are stored and committed here, before any push: one stored inside a push that then rolls
// back to a savepoint would leave a number the cache holds but the database does not.
void server_store::register_creation_lists() {
    auto& db = rep_->db();
    db.exec("CREATE TABLE IF NOT EXISTS noi_audit_columns (id INTEGER PRIMARY KEY, names BLOB "
            "NOT NULL UNIQUE)");
    auto& find = db.cached("SELECT id FROM noi_audit_columns WHERE names = ?1");
    auto lookup = [&](audit_column_list& list, const std::string& packed) {
        find.bind_blob(1, packed.data(), packed.size());
        const bool found = find.step();
        if (found) list.id = static_cast<std::uint64_t>(find.column_int(0));
        find.reset();
        return found;
    };
    // Only a list not stored yet writes, so an unchanged database opens without a write.
    std::vector<std::tuple<std::string, audit_column_list, std::string>> missing;
    for (const auto& t : rep_->tables().tables) {
        audit_column_list list;
        list.names.push_back(exists_column);
        for (const auto& c : t.columns)
            list.names.push_back(c.name);
        auto packed = pack_values({list.names.begin(), list.names.end()});
        if (lookup(list, packed))
            creation_lists_[t.name] = std::move(list);
        else
            missing.emplace_back(t.name, std::move(list), std::move(packed));
    }
    if (missing.empty()) return;
    transaction tx(db);
    auto& add =
        db.cached("INSERT INTO noi_audit_columns(names) VALUES (?1) ON CONFLICT DO NOTHING");
    for (auto& [table, list, packed] : missing) {
        add.bind_blob(1, packed.data(), packed.size());
        add.run();
        if (!lookup(list, packed))
            throw sync_error(errc::corrupt_state, "an audit column list was lost");
        creation_lists_[table] = std::move(list);
    }
    tx.commit();
}

std::unique_ptr<server_store> server_store::create(const std::string& path, const wall_clock& wall,
                                                   replica_options opt, server_options so) {
    auto r = replica::create(path, replica_role::server, wall, opt);
    r->db().exec(server_schema);
    r->install_default_schema();
    auto s = std::make_unique<server_store>(std::move(r), so);
    s->new_epoch();
    transaction tx(s->rep().db());
    for (const auto& c : reference_communes())
        s->write_local("commune", c.code,
                       {c.name, c.kind, c.district, c.district_code, c.province, std::int64_t{0}});
    tx.commit();
    return s;
}

std::unique_ptr<server_store> server_store::open(const std::string& path, const wall_clock& wall,
                                                 replica_options opt, server_options so) {
    auto r = replica::open(path, wall, opt);
    if (r->role() != replica_role::server)
        throw sync_error(errc::not_a_replica, path + " is a tablet replica, not a server's");
    // Databases from before the feed named the pushing site and carried the audit records:
    // their rows stay NULL there, which means sent to everyone, and audited in noi_audit.
    std::set<std::string> columns;
    auto info = r->db().prepare("SELECT name FROM pragma_table_info('noi_feed')");
    while (info.step())
        columns.insert(info.column_text(0));
    // Databases from before repeated rejections collapsed into one entry.
    auto quarantine_info = r->db().prepare(
        "SELECT count(*) FROM pragma_table_info('noi_quarantine') WHERE name = 'repeats'");
    const bool has_repeats = quarantine_info.step() && quarantine_info.column_int(0) > 0;
    quarantine_info.reset();
    if (!has_repeats) {
        r->db().exec("ALTER TABLE noi_quarantine ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1");
        r->db().exec("CREATE INDEX IF NOT EXISTS noi_quarantine_device ON noi_quarantine "
                     "(device_id, status)");
    }
    // Databases from before the fleet status showed a revoked tablet still trying to sync.
    auto devices_info = r->db().prepare(
        "SELECT count(*) FROM pragma_table_info('noi_devices') WHERE name = 'refused_at'");
    const bool has_refused_at = devices_info.step() && devices_info.column_int(0) > 0;
    devices_info.reset();
    if (!has_refused_at) r->db().exec("ALTER TABLE noi_devices ADD COLUMN refused_at INTEGER");
    for (auto [name, type] : {std::pair{"site", "BLOB"},
                              {"at", "INTEGER"},
                              {"device_id", "TEXT"},
                              {"writer", "BLOB"},
                              {"cells", "BLOB"},
                              {"prev", "INTEGER"}})
        if (!columns.count(name))
            r->db().exec(std::string("ALTER TABLE noi_feed ADD COLUMN ") + name + " " + type);
    return std::make_unique<server_store>(std::move(r), so);
}

site_id server_store::epoch() {
    auto& st = rep_->db().cached("SELECT value FROM noi_meta WHERE key = 'epoch'");
    site_id e{};
    if (st.step()) e = to_site(st.column_blob(0));
    st.reset();
    return e;
}

void server_store::new_epoch() {
    site_id e;
    rep_->random().fill(e.data(), e.size());
    auto& st =
        rep_->db().cached("INSERT OR REPLACE INTO noi_meta(key, value) VALUES ('epoch', ?1)");
    st.bind_blob(1, e.data(), e.size());
    st.run();
}

void server_store::add_device(const device& d) {
    if (find_device(d.id))
        throw sync_error(errc::already_exists, "device " + d.id + " is already enrolled");
    auto& st = rep_->db().cached(
        "INSERT INTO noi_devices(device_id, scope, name, created_at) VALUES (?1, ?2, ?3, ?4)");
    st.bind(1, d.id).bind(2, d.scope).bind(3, d.name).bind(4, rep_->clock().wall_ms());
    st.run();
}

std::optional<device> server_store::find_device(const std::string& id) {
    auto& st = rep_->db().cached(
        "SELECT device_id, scope, name, revoked FROM noi_devices WHERE device_id = ?1");
    st.bind(1, id);
    std::optional<device> d;
    if (st.step())
        d = device{st.column_text(0), st.column_text(1), st.column_text(2), st.column_int(3) != 0};
    st.reset();
    return d;
}

std::vector<device> server_store::devices() {
    std::vector<device> out;
    auto st = rep_->db().prepare(
        "SELECT device_id, scope, name, revoked FROM noi_devices ORDER BY created_at, device_id");
    while (st.step())
        out.push_back(
            {st.column_text(0), st.column_text(1), st.column_text(2), st.column_int(3) != 0});
    return out;
}

std::variant<proto::welcome, proto::error> server_store::hello(const device& d,
                                                               const proto::hello& h) {
    using proto::error_code;
    // The server's own site and the all-zero site are its own writers' (resolutions, released
    // rows): a replica bound to either could stamp versions in their name.
    if (h.site == rep_->site() || h.site == site_id{})
        return proto::error{error_code::site_bound_elsewhere,
                            proto::condition::permanent,
                            "this replica's id is reserved for the server; make a new replica "
                            "with noi-client init",
                            {}};
    auto& db = rep_->db();
    transaction tx(db);
    auto site = site_bytes(h.site);
    auto& find = db.cached(
        "SELECT device_id, acked_seq, confirmed_rejection FROM noi_sites WHERE site = ?1");
    find.bind_blob(1, site.data(), site.size());
    std::uint64_t acked = 0, confirmed = 0;
    std::optional<std::string> owner;
    if (find.step()) {
        owner = find.column_text(0);
        acked = static_cast<std::uint64_t>(find.column_int(1));
        confirmed = static_cast<std::uint64_t>(find.column_int(2));
    }
    find.reset();
    auto sites_of_device = [&] {
        auto& sites = db.cached("SELECT count(*) FROM noi_sites WHERE device_id = ?1");
        sites.bind(1, d.id);
        const auto bound = sites.step() ? static_cast<std::size_t>(sites.column_int(0)) : 0;
        sites.reset();
        return bound;
    };
    if (owner && *owner != d.id) {
        // A replica given the token of a new device (noi-client set-token, after its own was
        // lost or its device revoked) moves to it with its pending writes once the device it
        // was bound to is revoked: only a revoked device's replica moves, within its commune.
        // The new device must be fresh (no replica of its own yet): a colleague's tablet that
        // knows the site id, which every pulled version names, cannot take the replica over.
        auto was = find_device(*owner);
        if (!was || !was->revoked)
            return proto::error{error_code::site_bound_elsewhere, proto::condition::permanent,
                                "this replica belongs to device " + *owner +
                                    ", which still holds it; to move it to this device, revoke " +
                                    *owner + " first (noi-admin device revoke)",
                                {}};
        if (was->scope != d.scope)
            return proto::error{error_code::site_bound_elsewhere, proto::condition::permanent,
                                "this replica holds the data of " + was->scope +
                                    ", and this device is enrolled for " + d.scope +
                                    "; give it the token of a device of " + was->scope,
                                {}};
        if (sites_of_device() != 0)
            return proto::error{error_code::site_bound_elsewhere, proto::condition::permanent,
                                "device " + d.id + " has a replica of its own already; a replica "
                                "moves only to a newly enrolled device (noi-admin device add)",
                                {}};
        auto& move = db.cached("UPDATE noi_sites SET device_id = ?2 WHERE site = ?1");
        move.bind_blob(1, site.data(), site.size()).bind(2, d.id);
        move.run();
    } else if (!owner) {
        if (const auto bound = sites_of_device(); bound >= opt_.max_sites_per_device)
            return proto::error{error_code::site_bound_elsewhere,
                                proto::condition::permanent,
                                "this device has made " + std::to_string(bound) +
                                    " replicas already; ask the province office to enrol the "
                                    "tablet as a new device",
                                {}};
        auto& bind = db.cached("INSERT INTO noi_sites(site, device_id) VALUES (?1, ?2)");
        bind.bind_blob(1, site.data(), site.size()).bind(2, d.id);
        bind.run();
    }
    if (live_.count(h.site))
        return proto::error{error_code::site_busy,
                            proto::condition::transient,
                            "another session of this replica is still connected; retry in a moment",
                            {}};
    confirmed = std::max(confirmed, h.confirmed_rejection);
    auto& upd_site = db.cached("UPDATE noi_sites SET confirmed_rejection = ?2 WHERE site = ?1");
    upd_site.bind_blob(1, site.data(), site.size()).bind(2, static_cast<std::int64_t>(confirmed));
    upd_site.run();
    const auto now = rep_->clock().wall_ms();
    auto& upd = db.cached(
        "UPDATE noi_devices SET last_contact_at = ?2, pending = ?3, oldest_pending_at = ?4, "
        "clock_skew_ms = ?5, app_version = ?6, schema_version = ?7 WHERE device_id = ?1");
    upd.bind(1, d.id).bind(2, now).bind(3, static_cast<std::int64_t>(h.pending));
    if (h.oldest_pending_ms)
        upd.bind(4, static_cast<std::int64_t>(*h.oldest_pending_ms));
    else
        upd.bind_null(4);
    // A tablet's clock is whatever it says: the skew saturates instead of overflowing.
    const auto clock_ms =
        static_cast<std::int64_t>(std::min<std::uint64_t>(h.clock_ms, std::uint64_t{1} << 62));
    upd.bind(5, clock_ms - now)
        .bind(6, h.app_version)
        .bind(7, static_cast<std::int64_t>(h.schema_version));
    upd.run();

    proto::welcome w;
    w.clock_ms = static_cast<std::uint64_t>(hlc_now_ms());
    save_wall_high();
    w.scope = d.scope;
    w.epoch = epoch();
    w.acked_seq = acked;
    auto& rej = db.cached("SELECT id, tbl, row_id, seq, reason, message FROM noi_quarantine "
                          "WHERE site = ?1 AND id > ?2 ORDER BY id LIMIT 1000");
    rej.bind_blob(1, site.data(), site.size()).bind(2, static_cast<std::int64_t>(confirmed));
    while (rej.step())
        w.rejections.push_back({static_cast<std::uint64_t>(rej.column_int(0)), rej.column_text(1),
                                rej.column_text(2), static_cast<std::uint64_t>(rej.column_int(3)),
                                static_cast<proto::reject_reason>(rej.column_int(4)),
                                rej.column_text(5)});
    rej.reset();
    // Rejections the tablet still lists that are settled: an admin discarded or released
    // them, or a later rejection of the same row took their place (collapsed, so gone). An id
    // below quarantine_id_floor may be one a lost database made (restore): never settled.
    if (!h.rejected.empty()) {
        const auto floor = static_cast<std::uint64_t>(rep_->meta_int("quarantine_id_floor"));
        auto& newest = db.cached("SELECT coalesce(max(id), 0) FROM noi_quarantine");
        const auto top = newest.step() ? static_cast<std::uint64_t>(newest.column_int(0)) : 0;
        newest.reset();
        auto& entry = db.cached("SELECT site = ?2 AND status != 'open' FROM noi_quarantine "
                                "WHERE id = ?1");
        for (std::size_t i = 0; i < h.rejected.size() && i < proto::max_rejected_listed; ++i) {
            const auto id = h.rejected[i];
            entry.bind(1, static_cast<std::int64_t>(id)).bind_blob(2, site.data(), site.size());
            const bool settled = entry.step() ? entry.column_int(0) != 0 : id >= floor && id <= top;
            entry.reset();
            if (settled) w.settled.push_back(id);
        }
    }
    tx.commit();
    live_.insert(h.site);
    return w;
}

void server_store::release(const site_id& s) {
    live_.erase(s);
}

// The server's time as its stamps see it: the latest its wall clock has read. A wall that
// stepped back does not make tablets that follow the server's earlier time "ahead", and no
// tablet's stamp moves it: a floor raised by pushed stamps would let each push go one bound
// further than the last.
std::int64_t server_store::hlc_now_ms() {
    wall_high_ = std::max(wall_high_, rep_->clock().wall_ms());
    return wall_high_;
}

std::uint64_t server_store::stamp_limit() {
    return hlc_from_ms(hlc_now_ms() + opt_.clock_bound_ms) | 0xffff;
}

// Kept once a minute at most: a restart then forgets at most a minute of it, well inside the
// clock bound, and a push costs no extra write.
void server_store::save_wall_high() {
    if (wall_high_ >= saved_wall_high_ + 60'000) {
        rep_->set_meta_int("wall_high_ms", wall_high_);
        saved_wall_high_ = wall_high_;
    }
}

void emissions::add(const value& scope, std::uint64_t seq) {
    if (const auto* s = std::get_if<std::string>(&scope))
        scopes[*s] = std::max(scopes[*s], seq);
    else
        global = std::max(global, seq);
}

std::uint64_t emissions::for_scope(const std::string& scope) const {
    std::uint64_t top = global;
    if (scope == "*") {
        for (const auto& [s, seq] : scopes)
            top = std::max(top, seq);
    } else if (auto it = scopes.find(scope); it != scopes.end()) {
        top = std::max(top, it->second);
    }
    return top;
}

std::variant<proto::push_ack, proto::error> server_store::push(const device& d, const site_id& s,
                                                               const proto::push& p,
                                                               emissions* emitted) {
    auto& db = rep_->db();
    const auto limit = stamp_limit();
    // A version of another site is quarantined (validate), never adopted: only the pushing
    // site's own stamps can be ahead.
    for (const auto& r : p.rows) {
        if (stamped_beyond(r, limit, &s))
            return proto::error{proto::error_code::clock_ahead,
                                proto::condition::transient,
                                "the tablet's clock is ahead of the server's by more than " +
                                    std::to_string(opt_.clock_bound_ms / 1000) +
                                    " s; it re-stamps its pending writes and retries",
                                {}};
    }
    transaction tx(db);
    auto site = site_bytes(s);
    auto& find = db.cached("SELECT acked_seq FROM noi_sites WHERE site = ?1 AND device_id = ?2");
    find.bind_blob(1, site.data(), site.size()).bind(2, d.id);
    if (!find.step()) {
        find.reset();
        return proto::error{proto::error_code::unexpected_message,
                            proto::condition::protocol,
                            "PUSH before HELLO for this replica",
                            {}};
    }
    auto acked = static_cast<std::uint64_t>(find.column_int(0));
    find.reset();
    if (auto full = quarantine_full(d)) return *full;
    if (p.from_seq > acked)
        return proto::error{proto::error_code::sequence_gap,
                            proto::condition::transient,
                            "the batch starts at " + std::to_string(p.from_seq) +
                                " but the server holds up to " + std::to_string(acked) +
                                "; resume from there",
                            {}};
    proto::push_ack ack;
    std::vector<const proto::row_change*> rows;
    for (const auto& r : p.rows)
        if (r.seq > acked && r.seq <= p.to_seq) rows.push_back(&r);
    std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
    for (const auto* r : rows) {
        auto res = apply_row(d, s, *r, limit, emitted);
        if (res.rejection) ack.rejections.push_back(*res.rejection);
        rep_->fault_point("server.push.row");
    }
    ack.acked_seq = std::max(acked, p.to_seq);
    // The fleet status shows what is still pending after the round, not at its HELLO: each
    // row of a push is one of the changes the HELLO counted.
    auto& pending = db.cached(
        "UPDATE noi_devices SET pending = max(0, pending - ?2) WHERE device_id = ?1");
    pending.bind(1, d.id).bind(2, static_cast<std::int64_t>(rows.size()));
    pending.run();
    auto& upd = db.cached("UPDATE noi_sites SET acked_seq = ?2 WHERE site = ?1");
    upd.bind_blob(1, site.data(), site.size()).bind(2, static_cast<std::int64_t>(ack.acked_seq));
    upd.run();
    rep_->save_clock();
    save_wall_high();
    rep_->fault_point("server.push.before_commit");
    tx.commit();
    return ack;
}

std::optional<proto::error> server_store::quarantine_full(const device& d) {
    auto& st = rep_->db().cached("SELECT count(*), coalesce(sum(length(payload)), 0) FROM "
                                 "noi_quarantine WHERE device_id = ?1 AND status = 'open'");
    st.bind(1, d.id);
    st.step();
    const auto rows = static_cast<std::size_t>(st.column_int(0));
    const auto bytes = static_cast<std::size_t>(st.column_int(1));
    st.reset();
    if (rows < opt_.max_quarantine_rows_per_device && bytes < opt_.max_quarantine_bytes_per_device)
        return std::nullopt;
    return proto::error{proto::error_code::quota_exceeded,
                        proto::condition::transient,
                        "the server holds " + std::to_string(rows) + " rejected rows (" +
                            std::to_string(bytes / 1024) +
                            " KiB) from this device already, its limit; nothing of this batch "
                            "was kept, and the tablet keeps its data and retries; the province "
                            "office must review this device's quarantine (noi-admin quarantine "
                            "list) and discard or release its rows",
                        {}};
}

std::optional<proto::reject_reason> server_store::validate(const device& d, const site_id& s,
                                                           const proto::row_change& r,
                                                           const table_def*& def, std::string& why,
                                                           std::vector<std::size_t>& columns) {
    using proto::reject_reason;
    def = rep_->tables().find(r.table);
    if (!def) {
        why = "the server has no synced table named " + r.table;
        return reject_reason::unknown_table;
    }
    if (r.id.empty()) {
        why = "a row id must not be empty";
        return reject_reason::wrong_type;
    }
    // A replica stamps only its own changes: a version in another site's name would be taken
    // for that writer's, and pass the merge's concurrency check as if it were.
    auto foreign = [&](const version& v) { return v.site != s; };
    if ((r.exists && foreign(r.exists->ver)) ||
        std::any_of(r.cells.begin(), r.cells.end(), [&](const auto& c) { return foreign(c.ver); })) {
        why = "the row carries a version stamped by another replica; a replica may send only "
              "changes it made itself";
        return reject_reason::foreign_version;
    }
    std::vector<bool> seen_column(def->columns.size());
    columns.clear();
    columns.reserve(r.cells.size());
    for (const auto& c : r.cells) {
        auto i = def->column_index(c.column, columns.size());
        if (!i) {
            why = "table " + r.table + " has no column " + c.column;
            return reject_reason::unknown_column;
        }
        if (seen_column[*i]) {
            why = "column " + r.table + "." + c.column + " appears twice in one row";
            return reject_reason::wrong_type;
        }
        seen_column[*i] = true;
        columns.push_back(*i);
        if (!value_fits(def->columns[*i].type, c.val)) {
            why = "column " + r.table + "." + c.column + " does not take a value of that type";
            return reject_reason::wrong_type;
        }
        // A re-send after a restore carries what an earlier release let be typed: refusing it
        // now would take the row from its tablet, so only a new value must be a date.
        if (is_bad_date(def->columns[*i], c.val) && !merge::is_resend(c.ver, c.base)) {
            why = r.table + "." + date_refusal(c.column, std::get<std::string>(c.val));
            return reject_reason::wrong_type;
        }
        if (def->scope && *i == *def->scope && c.val != r.scope) {
            why = "the row's scope column differs from its scope";
            return reject_reason::scope_changed;
        }
    }
    if (def->is_global()) {
        if (d.scope != "*") {
            why = r.table + " is province reference data; only province-wide devices write it";
            return reject_reason::global_table;
        }
        return std::nullopt;
    }
    const auto* scope = std::get_if<std::string>(&r.scope);
    if (!scope || scope->empty()) {
        why = "the row has no commune code";
        return reject_reason::missing_scope;
    }
    if (d.scope != "*" && *scope != d.scope) {
        why = "the row belongs to commune " + *scope + " but the device is enrolled for " + d.scope;
        return reject_reason::out_of_scope;
    }
    return std::nullopt;
}

bool server_store::stamped_beyond(const proto::row_change& r, std::uint64_t limit,
                                  const site_id* by) {
    auto beyond = [&](const version& v) { return (!by || v.site == *by) && v.hlc > limit; };
    return (r.exists && beyond(r.exists->ver)) ||
           std::any_of(r.cells.begin(), r.cells.end(), [&](const auto& c) { return beyond(c.ver); });
}

server_store::apply_result server_store::apply_row(const device& d, const site_id& s,
                                                   const proto::row_change& r, std::uint64_t limit,
                                                   emissions* emitted, bool guess_new) {
    auto& db = rep_->db();
    const auto now = rep_->clock().wall_ms();
    row_state_store store(db);
    std::string why;
    const table_def* def = nullptr;
    std::vector<std::size_t> columns;
    auto reason = validate(d, s, r, def, why, columns);

    // A tablet's insert is nearly always a row the server has never seen. It is merged as new
    // without a lookup, and inserting its state, which fails on a row that has one, checks the
    // guess in the same B-tree descent; a wrong guess merges the row again, looked up.
    const bool as_new = guess_new && !reason && r.exists && r.exists->alive && !r.exists->base;
    std::optional<row_state> loaded;
    std::vector<value> values;
    if (def) {
        if (!as_new) loaded = store.load(r.table, r.id, def->columns.size());
        values = row_values(*def, r.id, loaded ? &*loaded : nullptr);
        if (!reason && def->scope && loaded && !is_null(values[*def->scope]) &&
            values[*def->scope] != r.scope) {
            reason = proto::reject_reason::scope_changed;
            why = "row " + r.id + " cannot take commune " +
                  (std::holds_alternative<std::string>(r.scope) ? std::get<std::string>(r.scope)
                                                                : std::string("(none)")) +
                  "; a row's commune never changes, so a new record needs a new id";
        }
    }
    if (reason) {
        auto payload = proto::encode(proto::changes{{r}, 0, false});
        // A row too large to keep is still recorded; the tablet keeps its copy.
        const bool keep = payload.size() <= opt_.max_quarantine_payload;
        if (!keep) why += " (the row was too large for the server to keep: it stays in the "
                          "tablet's rejected list)";
        auto site = site_bytes(s);
        // The same row refused again for the same reason replaces its earlier entry, counted.
        // The new entry is written first: it takes a number above the old one, never the old
        // one's (SQLite would reuse the greatest id once deleted), and a tablet acts only on a
        // rejection number it has not recorded yet.
        // Only one replica's own entries collapse: another replica of the device must still
        // hear of its rejection by its WELCOME.
        auto& prev = db.cached("SELECT coalesce(sum(repeats), 0) FROM noi_quarantine WHERE "
                               "device_id = ?1 AND tbl = ?2 AND row_id = ?3 AND reason = ?4 AND "
                               "status = 'open' AND site = ?5");
        prev.bind(1, d.id).bind(2, r.table).bind(3, r.id).bind(4, static_cast<std::int64_t>(*reason));
        prev.bind_blob(5, site.data(), site.size());
        const std::int64_t repeats = 1 + (prev.step() ? prev.column_int(0) : 0);
        prev.reset();
        auto& q = db.cached(
            "INSERT INTO noi_quarantine(id, device_id, site, tbl, row_id, seq, reason, message, "
            "payload, received_at, repeats) VALUES (max(coalesce((SELECT max(id) FROM "
            "noi_quarantine), 0) + 1, coalesce((SELECT value FROM noi_meta WHERE key = "
            "'quarantine_id_floor'), 0)), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
        q.bind(1, d.id).bind_blob(2, site.data(), site.size()).bind(3, r.table).bind(4, r.id);
        q.bind(5, static_cast<std::int64_t>(r.seq))
            .bind(6, static_cast<std::int64_t>(*reason))
            .bind(7, why);
        if (keep)
            q.bind_blob(8, payload.data(), payload.size());
        else
            q.bind_null(8);
        q.bind(9, now).bind(10, repeats);
        q.run();
        const auto quarantine_id = db.last_insert_rowid();
        if (repeats > 1) {
            auto& drop = db.cached("DELETE FROM noi_quarantine WHERE device_id = ?1 AND tbl = ?2 "
                                   "AND row_id = ?3 AND reason = ?4 AND status = 'open' AND id != ?5 "
                                   "AND site = ?6");
            drop.bind(1, d.id).bind(2, r.table).bind(3, r.id);
            drop.bind(4, static_cast<std::int64_t>(*reason)).bind(5, quarantine_id);
            drop.bind_blob(6, site.data(), site.size());
            drop.run();
        }
        proto::rejection rej{
            static_cast<std::uint64_t>(quarantine_id), r.table, r.id, r.seq, *reason, why};
        // The tablet drops its version and takes the server's back by its next pull; a row it
        // cannot read (another commune's) is not emitted again, so no other device is woken.
        const bool readable = !def || !def->scope || d.scope == "*" ||
                              values[*def->scope] == value(d.scope);
        if (loaded && readable) {
            auto st = *loaded;
            auto seq = next_seq();
            if (st.exists) st.exists->seq = seq;
            for (auto& c : st.cells)
                if (c) c->seq = seq;
            store.save(r.table, r.id, st);
            // Every other replica holds these versions already, so this emission is not among
            // the push's (no NOTIFY: a rejected row of a global table would wake every device).
            record_feed(seq, r.table, r.id, def->scope ? values[*def->scope] : value{}, nullptr,
                        nullptr);
        }
        return {rej};
    }

    // The scope column holds the row's scope even when no cell for it came (a tablet that
    // sent only some cells of a new row): the scope was checked above and never changes, and
    // the feed files the row under it (a row filed under no scope would reach every commune).
    if (def->scope && is_null(values[*def->scope])) values[*def->scope] = r.scope;
    row_state st;
    if (loaded)
        st = std::move(*loaded);
    else
        st.cells.resize(def->columns.size());
    const bool was_alive = !loaded || st.alive;

    // A row without a state has no cells to merge against: its view stays empty.
    merge::row_view view;
    if (st.exists)
        view.exists = merge::cell_view{st.exists->ver, merge::existence_value(st.alive), false};
    if (loaded) {
        view.cells.resize(def->columns.size());
        for (std::size_t i = 0; i < def->columns.size(); ++i)
            if (st.cells[i]) view.cells[i] = merge::cell_view{st.cells[i]->ver, values[i], false};
    }
    // A base names what the writer held, which came from the server or was its own accepted
    // stamp: one beyond the server's clock was never seen, and counts as no base (the change
    // is then concurrent to whatever the server holds, so nothing is overwritten unrecorded).
    auto seen_base = [limit](const std::optional<version>& b) {
        return b && b->hlc > limit ? std::nullopt : b;
    };
    merge::incoming_row inc;
    inc.exists = r.exists;
    if (inc.exists) inc.exists->base = seen_base(inc.exists->base);
    inc.seen.reserve(r.seen.size());
    for (const auto& v : r.seen)
        if (v.hlc <= limit) inc.seen.push_back(v);
    inc.existence_base = seen_base(r.existence_base);
    inc.cells.reserve(r.cells.size());
    for (std::size_t k = 0; k < r.cells.size(); ++k)
        inc.cells.push_back({columns[k], r.cells[k].val, r.cells[k].ver, seen_base(r.cells[k].base)});
    // Whether this emission carries only versions the pusher sent, which it therefore holds:
    // its own pulls skip it. Versions it did not send (kept ones re-emitted for it to learn, an
    // existence made up here) make it false.
    bool only_pushed = true;
    // Cells of a row the server has no existence for: the writer's insert, whose existence cell
    // moved on to a later change (a delete, a re-insert) that may never be accepted. The row
    // gets the existence it had when these cells were written, so every replica can hold it.
    if (!st.exists && !inc.exists && !inc.cells.empty()) {
        only_pushed = false;
        auto top = std::max_element(inc.cells.begin(), inc.cells.end(),
                                    [](const auto& a, const auto& b) { return a.ver < b.ver; });
        inc.exists = proto::existence_change{true, top->ver, std::nullopt};
    }
    const auto& exists = inc.exists;
    auto dec = merge::decide_row(view, inc, merge::role::server);

    std::optional<std::uint64_t> seq;
    auto emit = [&](std::optional<cell_state>& c) {
        if (!seq) seq = next_seq();
        if (c) c->seq = *seq;
    };
    auto reemit = [&](std::optional<cell_state>& c) {
        only_pushed = false;
        emit(c);
    };
    std::vector<audit_change> audit;
    audit.reserve(inc.cells.size() + 1);
    std::uint64_t seen_hlc = 0;
    if (exists) {
        seen_hlc = std::max(seen_hlc, exists->ver.hlc);
        if (dec.exists == merge::action::apply) {
            audit.push_back({exists_column, st.exists ? merge::existence_value(st.alive) : value{},
                             exists->ver, exists->base});
            st.exists = cell_state{exists->ver, std::nullopt, 0};
            emit(st.exists);
            st.alive = exists->alive;
            st.seen = exists->alive ? std::vector<version>{} : inc.seen;
        } else if (dec.exists == merge::action::keep) {
            reemit(st.exists);
        }
    }
    // Only a conflict record needs the values a change replaced, or an incoming value once
    // it is in the row: without conflicts the values move instead of being copied.
    const bool conflicted = !dec.conflicts.empty();
    std::vector<value> old_values;
    if (conflicted) old_values = values;
    for (std::size_t k = 0; k < inc.cells.size(); ++k) {
        auto& ic = inc.cells[k];
        seen_hlc = std::max(seen_hlc, ic.ver.hlc);
        auto& cell = st.cells[ic.column];
        if (dec.cells[k] == merge::action::apply) {
            // A new row had no values before, though its scope column is filled in already.
            audit.push_back({def->columns[ic.column].name,
                             loaded ? std::move(values[ic.column]) : value{}, ic.ver, ic.base});
            cell = cell_state{ic.ver, std::nullopt, 0};
            values[ic.column] = conflicted ? ic.val : std::move(ic.val);
            emit(cell);
        } else if (dec.cells[k] == merge::action::keep) {
            reemit(cell);
        }
    }
    if (dec.reemit_existence) reemit(st.exists);
    // A row that comes back to life, or whose delete lost, is sent whole.
    const bool revived = st.alive && !was_alive;
    if (revived || (exists && !exists->alive && st.alive && dec.exists == merge::action::keep)) {
        reemit(st.exists);
        for (auto& c : st.cells)
            reemit(c);
    }
    rep_->clock().observe(seen_hlc);

    if (st.alive)
        st.tomb.clear();
    else
        st.tomb = values;
    // Applied cells always emit, so an audit record always has its feed entry to live on.
    const auto previous_audit = st.audit_seq;
    if (seq && !audit.empty()) st.audit_seq = *seq;
    if (as_new && !store.insert_new(r.table, r.id, st)) {
        // Nothing is written yet, and no other change took a sequence since this one's.
        if (seq) seq_ = *seq - 1;
        return apply_row(d, s, r, limit, emitted, false);
    }

    const value scope_value = def->scope ? values[*def->scope] : value{};
    for (const auto& c : dec.conflicts) {
        auto& cq = db.cached("INSERT INTO noi_conflicts(kind, tbl, row_id, col, scope, created_at, "
                             "w_value, w_site, w_hlc, w_deleted, l_value, l_site, l_hlc, "
                             "l_deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                             "?12, ?13, ?14)");
        value wv, lv;
        bool wdel = false, ldel = false;
        if (c.kind == merge::conflict_kind::update) {
            const auto& ic = *std::find_if(inc.cells.begin(), inc.cells.end(),
                                           [&](const auto& x) { return x.column == *c.column; });
            const auto& cur = old_values[*c.column];
            wv = c.winner == ic.ver ? ic.val : cur;
            lv = c.winner == ic.ver ? cur : ic.val;
        } else {
            wdel = c.winner == c.deleter;
            ldel = !wdel;
        }
        auto ws = site_bytes(c.winner.site), ls = site_bytes(c.loser.site);
        cq.bind(1, std::string_view(c.kind == merge::conflict_kind::update ? "update"
                                                                           : "delete_update"));
        cq.bind(2, r.table).bind(3, r.id);
        if (c.column)
            cq.bind(4, def->columns[*c.column].name);
        else
            cq.bind_null(4);
        cq.bind(5, scope_value).bind(6, now).bind(7, wv).bind_blob(8, ws.data(), ws.size());
        cq.bind(9, static_cast<std::int64_t>(c.winner.hlc)).bind(10, std::int64_t{wdel});
        cq.bind(11, lv)
            .bind_blob(12, ls.data(), ls.size())
            .bind(13, static_cast<std::int64_t>(c.loser.hlc));
        cq.bind(14, std::int64_t{ldel});
        cq.run();
    }

    auto& io = rep_->io(*def);
    if (st.alive) {
        // A row merged as new had no state, so it is not in the table (row_values).
        if (as_new)
            io.insert(r.id, values);
        else if (!audit.empty() || revived)
            io.upsert(r.id, values);
    } else if (was_alive && loaded) {
        io.remove(r.id);
    }
    if (seq) {
        std::optional<feed_audit> record;
        if (!audit.empty())
            record.emplace(feed_audit{now, d.id, s, pack_audit(audit, creation_list(r.table)),
                                      previous_audit});
        record_feed(*seq, r.table, r.id, scope_value, only_pushed ? &s : nullptr,
                    record ? &*record : nullptr);
        if (emitted) emitted->add(scope_value, *seq);
    }
    if (!as_new && (seq || !loaded)) store.save(r.table, r.id, st);
    return {};
}

std::vector<value> server_store::row_values(const table_def& def, const std::string& id,
                                            const row_state* st) {
    // Every server write keeps a row's state, so a row without one is not in the table: a
    // new row (most pushed rows) costs no lookup.
    std::vector<value> values;
    if (st && !st->alive)
        values = st->tomb;
    else if (auto v = st ? rep_->io(def).read(id) : std::nullopt)
        values = std::move(*v);
    values.resize(def.columns.size());
    return values;
}

void server_store::record_feed(std::uint64_t seq, const std::string& table, const std::string& id,
                               const value& scope, const site_id* pusher, const feed_audit* audit) {
    auto& f = rep_->db().cached("INSERT INTO noi_feed(seq, tbl, id, scope, site, at, device_id, "
                                "writer, cells, prev) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                "?9, ?10)");
    f.bind(1, static_cast<std::int64_t>(seq)).bind(2, table).bind(3, id).bind(4, scope);
    if (pusher) f.bind_blob(5, pusher->data(), pusher->size());
    if (audit) {
        f.bind(6, audit->at).bind(7, audit->device_id);
        if (!pusher || *pusher != audit->writer)
            f.bind_blob(8, audit->writer.data(), audit->writer.size());
        f.bind_blob(9, audit->cells.data(), audit->cells.size());
        if (audit->prev) f.bind(10, static_cast<std::int64_t>(audit->prev));
    }
    f.run();
}

void server_store::write_local(const std::string& table, const std::string& id,
                               const std::vector<value>& values) {
    const auto* def = rep_->tables().find(table);
    if (!def) throw sync_error(errc::schema, "no synced table named " + table);
    row_state_store store(rep_->db());
    auto st = store.load(table, id, def->columns.size());
    proto::row_change r;
    r.table = table;
    r.id = id;
    if (def->scope && *def->scope < values.size()) r.scope = values[*def->scope];
    const auto hlc = rep_->clock().next();
    const version ver{hlc, rep_->site()};
    if (!st || !st->alive)
        r.exists = proto::existence_change{
            true, ver, st && st->exists ? std::optional(st->exists->ver) : std::nullopt};
    else if (st->exists)
        r.existence_base = st->exists->ver;
    for (std::size_t i = 0; i < def->columns.size() && i < values.size(); ++i) {
        std::optional<version> base;
        if (st && st->cells[i]) base = st->cells[i]->ver;
        r.cells.push_back({def->columns[i].name, values[i], ver, base});
    }
    auto res = apply_row(server_device, rep_->site(), r, stamp_limit());
    if (res.rejection) throw sync_error(errc::refused, res.rejection->message);
}

void server_store::write_cells(const std::string& table, const std::string& id,
                               const std::vector<std::pair<std::size_t, value>>& cells,
                               std::optional<bool> exists) {
    const auto* def = rep_->tables().find(table);
    if (!def) throw sync_error(errc::schema, "no synced table named " + table);
    row_state_store store(rep_->db());
    auto st = store.load(table, id, def->columns.size());
    if (!st) throw sync_error(errc::refused, "the server has no row " + id + " in " + table);
    auto values = row_values(*def, id, &*st);
    proto::row_change r;
    r.table = table;
    r.id = id;
    if (def->scope) r.scope = values[*def->scope];
    const version ver{rep_->clock().next(), rep_->site()};
    if (exists)
        r.exists = proto::existence_change{
            *exists, ver, st->exists ? std::optional(st->exists->ver) : std::nullopt};
    else if (st->exists)
        r.existence_base = st->exists->ver;
    if (exists && !*exists)
        for (const auto& c : st->cells)
            if (c) r.seen.push_back(c->ver);
    for (const auto& [col, val] : cells) {
        std::optional<version> base;
        if (st->cells[col]) base = st->cells[col]->ver;
        r.cells.push_back({def->columns[col].name, val, ver, base});
    }
    auto res = apply_row(server_device, rep_->site(), r, stamp_limit());
    if (res.rejection) throw sync_error(errc::refused, res.rejection->message);
}

std::uint64_t server_store::carry_own_writes(server_store& from) {
    const auto me = rep_->site();
    if (from.rep().site() != me)
        throw sync_error(errc::refused, "the snapshot and the data directory belong to different "
                                        "servers; restore a snapshot of this server");
    const auto limit = stamp_limit();
    row_state_store source(from.rep().db()), here(rep_->db());
    auto own = [&](const std::optional<cell_state>& c) { return c && c->ver.site == me; };
    std::uint64_t carried = 0;
    source.for_each(from.rep().tables(), [&](const std::string& table, const std::string& id,
                                             const row_state& st) {
        const auto* def = rep_->tables().find(table);
        if (!def || !(own(st.exists) || std::any_of(st.cells.begin(), st.cells.end(), own)))
            return;
        const auto values = from.row_values(*def, id, &st);
        const auto now = here.load(table, id, def->columns.size());
        auto held = [&](const std::optional<cell_state>& mine, const std::optional<cell_state>& c) {
            return c && c->ver == mine->ver;
        };
        bool changes = false;
        proto::row_change r;
        r.table = table;
        r.id = id;
        if (def->scope) r.scope = values[*def->scope];
        if (own(st.exists)) {
            r.exists = proto::existence_change{st.alive, st.exists->ver, st.exists->ver};
            if (!st.alive) r.seen = st.seen;
            changes |= !(now && held(st.exists, now->exists));
        } else if (st.exists) {
            r.existence_base = st.exists->ver;
        }
        for (std::size_t i = 0; i < st.cells.size() && i < def->columns.size(); ++i) {
            if (!own(st.cells[i])) continue;
            r.cells.push_back({def->columns[i].name, values[i], st.cells[i]->ver, st.cells[i]->ver});
            changes |= !(now && i < now->cells.size() && held(st.cells[i], now->cells[i]));
        }
        if (!changes) return;
        auto res = apply_row(server_device, me, r, limit);
        if (res.rejection) throw sync_error(errc::refused, res.rejection->message);
        ++carried;
    });
    return carried;
}

server_store::resolve_result server_store::resolve_conflict(std::uint64_t id,
                                                            const resolution& how) {
    if (how.keep_device.has_value() == how.new_value.has_value())
        return {resolve_status::bad_request,
                "say either which device's side to keep or the new value, not both"};
    auto all = conflicts();
    auto it =
        std::find_if(all.begin(), all.end(), [&](const conflict_record& c) { return c.id == id; });
    if (it == all.end())
        return {resolve_status::not_found,
                "no conflict " + std::to_string(id) + "; list conflicts to find its id"};
    const auto& c = *it;
    if (c.status != "open")
        return {resolve_status::already_resolved,
                "conflict " + std::to_string(id) + " was already resolved by " +
                    c.resolved_by.value_or("someone") + "; nothing to do"};
    const auto* def = rep_->tables().find(c.table);
    auto st = row_state_store(rep_->db()).load(c.table, c.row_id, def ? def->columns.size() : 0);
    if (!def || !st)
        return {resolve_status::not_found, "the conflict's row no longer exists on the server"};
    const conflict_side* kept = nullptr;
    if (how.keep_device) {
        for (const auto* side : {&c.winner, &c.loser})
            if (side->device_id == *how.keep_device) kept = side;
        if (!kept)
            return {resolve_status::bad_request, "device " + *how.keep_device +
                                                     " is not a side of conflict " +
                                                     std::to_string(id) + "; keep one of " +
                                                     c.winner.device_id + ", " + c.loser.device_id};
    }
    std::string text;
    transaction tx(rep_->db());
    if (c.kind == "update") {
        auto col = def->column_index(*c.column);
        if (!col)
            return {resolve_status::bad_request, "the column " + *c.column + " no longer exists"};
        if (!st->alive && !how.force)
            return {resolve_status::row_deleted,
                    "row " + c.row_id +
                        " was deleted since the conflict; pass --force to "
                        "write into the deleted row anyway"};
        const version winner{c.winner.hlc, c.winner.site};
        if (!how.force && (!st->cells[*col] || st->cells[*col]->ver != winner))
            return {resolve_status::changed_since,
                    "the cell changed again since the conflict was recorded; look at it "
                    "(conflicts show) and pass --force to overwrite the later edit"};
        value v = kept ? kept->val : *how.new_value;
        if (!value_fits(def->columns[*col].type, v))
            return {resolve_status::bad_request,
                    "column " + *c.column + " does not take a value of that type"};
        if (is_bad_date(def->columns[*col], v))
            return {resolve_status::bad_request,
                    date_refusal(*c.column, std::get<std::string>(v))};
        write_cells(c.table, c.row_id, {{*col, v}}, std::nullopt);
        text = kept ? "kept " + *how.keep_device : "new value";
    } else {
        // delete_update: keeping the deleter keeps the row deleted, keeping the updater brings it
        // back.
        bool keep_row = kept ? !kept->deleted : true;
        if (!kept && how.new_value)
            return {resolve_status::bad_request,
                    "a delete against an update is resolved by keeping one device's side (--keep)"};
        if (keep_row != st->alive) write_cells(c.table, c.row_id, {}, keep_row);
        text = keep_row ? "kept the row (" + *how.keep_device + ")"
                        : "kept the delete (" + *how.keep_device + ")";
    }
    auto& u = rep_->db().cached(
        "UPDATE noi_conflicts SET status = 'resolved', resolved_by = ?2, resolved_at = ?3, "
        "resolution = ?4 WHERE id = ?1");
    u.bind(1, static_cast<std::int64_t>(id))
        .bind(2, how.by)
        .bind(3, rep_->clock().wall_ms())
        .bind(4, text);
    u.run();
    rep_->save_clock();
    tx.commit();
    return {resolve_status::resolved, text};
}

server_store::quarantine_result server_store::discard_quarantined(std::uint64_t id) {
    auto& st = rep_->db().cached(
        "UPDATE noi_quarantine SET status = 'discarded', payload = NULL WHERE id = ?1 AND "
        "status = 'open'");
    st.bind(1, static_cast<std::int64_t>(id));
    st.run();
    if (rep_->db().changes()) return {quarantine_status::done, "discarded"};
    auto& q = rep_->db().cached("SELECT status FROM noi_quarantine WHERE id = ?1");
    q.bind(1, static_cast<std::int64_t>(id));
    bool known = q.step();
    auto status = known ? q.column_text(0) : "";
    q.reset();
    if (!known)
        return {quarantine_status::not_found, "no quarantined row " + std::to_string(id) +
                                                  "; list the quarantine to find its id"};
    return {quarantine_status::already_closed,
            "quarantined row " + std::to_string(id) + " is already " + status};
}

server_store::apply_result server_store::apply_released(const device& d, const site_id& pusher,
                                                        const proto::row_change& row,
                                                        std::uint64_t limit) {
    emissions emitted;
    auto res = apply_row(d, pusher, row, limit, &emitted);
    if (res.rejection) return res;
    // The tablet that pushed the row dropped it when it was rejected, so the emission is for
    // it too: a pull that leaves out its own pushes must not leave this one out.
    auto& everyone = rep_->db().cached(
        "UPDATE noi_feed SET writer = coalesce(writer, site), site = NULL WHERE seq = ?1");
    everyone.bind(1, static_cast<std::int64_t>(emitted.for_scope("*")));
    everyone.run();
    return res;
}

std::uint64_t server_store::carry_releases(server_store& from) {
    std::vector<std::tuple<std::int64_t, std::string, std::string, std::string>> released;
    auto st = from.rep().db().prepare("SELECT id, device_id, site, payload FROM noi_quarantine "
                                      "WHERE status = 'released' AND payload IS NOT NULL");
    while (st.step())
        released.emplace_back(st.column_int(0), st.column_text(1), st.column_blob(2),
                              st.column_blob(3));
    const auto limit = stamp_limit();
    auto& here = rep_->db().cached("SELECT status FROM noi_quarantine WHERE id = ?1");
    std::uint64_t carried = 0;
    for (auto& [id, device_id, site, payload] : released) {
        here.bind(1, id);
        const bool already = here.step() && here.column_text(0) == "released";
        here.reset();
        auto d = find_device(device_id);
        auto row = decode_quarantined(payload);
        if (already || !d || !row) continue;
        // Sent again as it was released, a re-send: it merges by its versions, no conflict.
        if (row->exists) row->exists->base = row->exists->ver;
        for (auto& c : row->cells)
            c.base = c.ver;
        if (auto res = apply_released(*d, to_site(site), *row, limit); res.rejection)
            throw sync_error(errc::refused, "the row released as quarantine entry " +
                                                std::to_string(id) + " cannot be applied again: " +
                                                res.rejection->message);
        ++carried;
    }
    return carried;
}

std::optional<proto::row_change> server_store::decode_quarantined(const std::string& payload) {
    auto decoded =
        proto::decode({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
    const auto* ch = std::get_if<proto::message>(&decoded);
    if (!ch || !std::holds_alternative<proto::changes>(*ch) ||
        std::get<proto::changes>(*ch).rows.empty())
        return std::nullopt;
    return std::get<proto::changes>(*ch).rows.front();
}

std::optional<proto::row_change> server_store::quarantined_row(std::uint64_t id) {
    auto& q = rep_->db().cached("SELECT payload FROM noi_quarantine WHERE id = ?1");
    q.bind(1, static_cast<std::int64_t>(id));
    std::string payload;
    if (q.step() && !q.column_is_null(0)) payload = q.column_blob(0);
    q.reset();
    if (payload.empty()) return std::nullopt;
    return decode_quarantined(payload);
}

server_store::quarantine_result server_store::release_quarantined(std::uint64_t id) {
    auto& q = rep_->db().cached(
        "SELECT device_id, status, payload, site FROM noi_quarantine WHERE id = ?1");
    q.bind(1, static_cast<std::int64_t>(id));
    if (!q.step()) {
        q.reset();
        return {quarantine_status::not_found, "no quarantined row " + std::to_string(id) +
                                                  "; list the quarantine to find its id"};
    }
    auto device_id = q.column_text(0), status = q.column_text(1), payload = q.column_blob(2);
    const auto pusher = to_site(q.column_blob(3));
    q.reset();
    if (status != "open")
        return {quarantine_status::already_closed,
                "quarantined row " + std::to_string(id) + " is already " + status};
    auto d = find_device(device_id);
    if (payload.empty())
        return {quarantine_status::still_rejected,
                "the row was too large for the server to keep, so it cannot be released here; "
                "discard it, and have the tablet's officer enter it again"};
    auto decoded = decode_quarantined(payload);
    if (!d || !decoded)
        return {quarantine_status::still_rejected,
                "the quarantined row can no longer be read; discard it"};
    const auto& row = *decoded;
    // Kept from a release before stamps were bounded, a stamp may be from beyond the clock.
    const auto limit = stamp_limit();
    if (stamped_beyond(row, limit, nullptr))
        return {quarantine_status::still_rejected,
                "the row is stamped beyond the server's clock, so it cannot be released; discard "
                "it, and have the tablet's officer enter it again"};
    std::string why;
    const table_def* def = nullptr;
    std::vector<std::size_t> columns;
    if (validate(*d, pusher, row, def, why, columns))
        return {quarantine_status::still_rejected,
                "the reason still holds: " + why +
                    "; fix it first (for example the device's scope) or discard the row"};
    transaction tx(rep_->db());
    auto res = apply_released(*d, pusher, row, limit);
    if (res.rejection)
        return {quarantine_status::still_rejected,
                "the reason still holds: " + res.rejection->message};
    auto& u = rep_->db().cached("UPDATE noi_quarantine SET status = 'released' WHERE id = ?1");
    u.bind(1, static_cast<std::int64_t>(id));
    u.run();
    tx.commit();
    return {quarantine_status::done, "released"};
}

void server_store::record_sync(const std::string& device_id) {
    auto& st = rep_->db().cached("UPDATE noi_devices SET last_sync_at = ?2 WHERE device_id = ?1");
    st.bind(1, device_id).bind(2, rep_->clock().wall_ms());
    st.run();
}

proto::changes server_store::pull(const device& d, const proto::pull& p,
                                  const std::optional<site_id>& puller) {
    auto& db = rep_->db();
    proto::changes out;
    out.cursor = p.cursor;
    const std::size_t limit = std::clamp<std::size_t>(p.max_rows ? p.max_rows : opt_.max_pull_rows,
                                                      1, opt_.max_pull_rows);
    // Emissions of the puller's own pushes are left out unless it asks: it holds every version
    // in them (docs/design.md §4). They cost no bytes but are bounded too, so one PULL never scans
    // a whole backlog.
    const std::string skip = !p.own && puller ? site_bytes(*puller) : std::string();
    const std::size_t scan_limit = skip.empty() ? limit : limit * 8;
    const bool all = d.scope == "*";
    const value own_scope(d.scope);
    // Two index ranges merged in seq order: with an OR, SQLite reads every later row of the
    // commune and sorts them before the LIMIT, which made a bootstrap quadratic.
    auto& q = db.cached(
        all ? "SELECT seq, tbl, id, site FROM noi_feed WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            : "SELECT seq, tbl, id, site FROM noi_feed WHERE scope = ?3 AND seq > ?1 UNION ALL "
              "SELECT seq, tbl, id, site FROM noi_feed WHERE scope IS NULL AND seq > ?1 "
              "ORDER BY seq LIMIT ?2");
    q.bind(1, static_cast<std::int64_t>(p.cursor))
        .bind(2, static_cast<std::int64_t>(scan_limit + 1));
    if (!all) q.bind(3, d.scope);
    // Stepped while the rows are read, so the feed and the rows are one snapshot.
    struct reset_after {
        statement& st;
        ~reset_after() { st.reset(); }
    } feed_done{q};
    row_state_store store(db);
    std::size_t bytes = 0, sent = 0, scanned = 0;
    while (q.step()) {
        if (sent == limit || scanned == scan_limit || bytes > opt_.max_pull_bytes) {
            out.more = true;
            break;
        }
        ++scanned;
        const auto seq = static_cast<std::uint64_t>(q.column_int(0));
        out.cursor = seq;
        if (!skip.empty() && q.column_blob(3) == skip) continue;
        const auto table = q.column_text(1);
        const auto* def = rep_->tables().find(table);
        if (!def) continue;
        const auto id = q.column_text(2);
        auto st = store.load(table, id, def->columns.size());
        if (!st) continue;
        auto values = row_values(*def, id, &*st);
        // The feed's scope decides what is read; the row's own scope decides what is sent.
        if (!all && def->scope && values[*def->scope] != own_scope) continue;
        proto::row_change r;
        r.table = table;
        r.id = id;
        r.seq = seq;
        if (def->scope) r.scope = values[*def->scope];
        if (st->exists && st->exists->seq == seq)
            r.exists = proto::existence_change{st->alive, st->exists->ver, std::nullopt};
        for (std::size_t i = 0; i < def->columns.size(); ++i) {
            const auto& c = st->cells[i];
            if (c && c->seq == seq) {
                r.cells.push_back({def->columns[i].name, values[i], c->ver, std::nullopt});
                bytes += 40 + def->columns[i].name.size();
                if (const auto* s = std::get_if<std::string>(&values[i])) bytes += s->size();
            }
        }
        if (r.exists || !r.cells.empty()) {
            out.rows.push_back(std::move(r));
            ++sent;
        }
    }
    return out;
}

std::vector<conflict_record> server_store::conflicts() {
    std::vector<conflict_record> out;
    auto st = rep_->db().prepare(
        "SELECT c.id, c.kind, c.tbl, c.row_id, c.col, coalesce(c.scope, ''), c.status, "
        "c.created_at, "
        "c.w_value, c.w_site, c.w_hlc, c.w_deleted, coalesce(ws.device_id, ''), "
        "c.l_value, c.l_site, c.l_hlc, c.l_deleted, coalesce(ls.device_id, ''), c.resolved_by, "
        "c.resolved_at, "
        "c.resolution FROM noi_conflicts c LEFT JOIN noi_sites ws ON ws.site = c.w_site "
        "LEFT JOIN noi_sites ls ON ls.site = c.l_site ORDER BY c.id");
    while (st.step()) {
        conflict_record c;
        c.id = static_cast<std::uint64_t>(st.column_int(0));
        c.kind = st.column_text(1);
        c.table = st.column_text(2);
        c.row_id = st.column_text(3);
        if (!st.column_is_null(4)) c.column = st.column_text(4);
        c.scope = st.column_text(5);
        c.status = st.column_text(6);
        c.created_at_ms = st.column_int(7);
        c.winner = {st.column(8), to_site(st.column_blob(9)), st.column_text(12),
                    static_cast<std::uint64_t>(st.column_int(10)), st.column_int(11) != 0};
        c.loser = {st.column(13), to_site(st.column_blob(14)), st.column_text(17),
                   static_cast<std::uint64_t>(st.column_int(15)), st.column_int(16) != 0};
        if (!st.column_is_null(18)) c.resolved_by = st.column_text(18);
        if (!st.column_is_null(19)) c.resolved_at_ms = st.column_int(19);
        if (!st.column_is_null(20)) c.resolution = st.column_text(20);
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<quarantine_record> server_store::quarantine() {
    std::vector<quarantine_record> out;
    auto st = rep_->db().prepare(
        "SELECT id, device_id, tbl, row_id, reason, message, status, received_at, repeats "
        "FROM noi_quarantine ORDER BY id");
    while (st.step())
        out.push_back({static_cast<std::uint64_t>(st.column_int(0)), st.column_text(1),
                       st.column_text(2), st.column_text(3),
                       proto::to_string(static_cast<proto::reject_reason>(st.column_int(4))),
                       st.column_text(5), st.column_text(6), st.column_int(7),
                       static_cast<std::uint64_t>(st.column_int(8))});
    return out;
}

std::vector<audit_record> server_store::audit(const std::string& table, const std::string& row_id) {
    auto column_list = [this](std::uint64_t id) {
        auto& st = rep_->db().cached("SELECT names FROM noi_audit_columns WHERE id = ?1");
        st.bind(1, static_cast<std::int64_t>(id));
        if (!st.step())
            throw sync_error(errc::corrupt_state, "an audit record names column list " +
                                                      std::to_string(id) +
                                                      ", which is missing; restore the "
                                                      "database from a backup");
        auto names = unpack_column_names(st.column_blob(0));
        st.reset();
        return names;
    };
    std::vector<audit_record> out;
    std::vector<std::vector<unpacked_audit_cell>> cells;
    // Both queries give at, device, site and cells from column `first` on.
    auto add = [&](std::uint64_t id, const statement& st, int first) {
        out.push_back({id,
                       st.column_int(first),
                       st.column_text(first + 1),
                       table,
                       row_id,
                       to_site(st.column_blob(first + 2)),
                       {}});
        cells.push_back(unpack_audit(st.column_blob(first + 3), column_list));
    };
    auto legacy = rep_->db().prepare("SELECT id, at, device_id, site, cells FROM noi_audit "
                                     "WHERE tbl = ?1 AND row_id = ?2 ORDER BY id");
    legacy.bind(1, table).bind(2, row_id);
    while (legacy.step())
        add(static_cast<std::uint64_t>(legacy.column_int(0)), legacy, 1);
    const auto* def = rep_->tables().find(table);
    std::optional<row_state> state;
    if (def) state = row_state_store(rep_->db()).load(table, row_id, def->columns.size());
    // The row's records on the feed, newest first: each names the one before.
    const auto first_chained = out.size();
    auto& entry = rep_->db().cached(
        "SELECT at, device_id, coalesce(writer, site), cells, prev FROM noi_feed WHERE seq = ?1 "
        "AND cells IS NOT NULL");
    for (auto seq = state ? state->audit_seq : 0; seq;) {
        entry.bind(1, static_cast<std::int64_t>(seq));
        if (!entry.step()) break;
        add(seq, entry, 0);
        const auto prev = static_cast<std::uint64_t>(entry.column_int(4));
        entry.reset();
        seq = prev < seq ? prev : 0;
    }
    std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first_chained), out.end());
    std::reverse(cells.begin() + static_cast<std::ptrdiff_t>(first_chained), cells.end());
    // The values after each change are read back from the row as it is now.
    std::map<std::string, value> current;
    if (def) {
        auto values = row_values(*def, row_id, state ? &*state : nullptr);
        for (std::size_t i = 0; i < def->columns.size(); ++i)
            current[def->columns[i].name] = values[i];
        if (state && state->exists) current[exists_column] = merge::existence_value(state->alive);
    }
    auto completed = complete_audit(std::move(cells), std::move(current));
    for (std::size_t k = 0; k < out.size(); ++k)
        out[k].cells = std::move(completed[k]);
    return out;
}

std::optional<std::vector<version>> server_store::tombstone_seen(const std::string& table,
                                                                 const std::string& id) {
    const auto* def = rep_->tables().find(table);
    if (!def) return std::nullopt;
    auto st = row_state_store(rep_->db()).load(table, id, def->columns.size());
    if (!st || st->alive) return std::nullopt;
    return st->seen;
}

} // namespace noi
