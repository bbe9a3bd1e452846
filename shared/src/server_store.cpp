// The SQLite store's door (sqlite_store.hpp): opening and creating it, HELLO and PUSH as
// transactions over the registry, the quarantine and the row apply (server_apply.cpp), and the
// reads the server need. PULL is in server_pull.cpp, the server's own writes in server_writes.cpp,
// the admin's decisions in admin_actions.cpp, the reads for status, history and reports in
// server_reads.cpp.
#include <noi/sync/dates.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/national_map.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/sqlite_store.hpp>

#include "audit_trail.hpp"
#include "conflict_book.hpp"
#include "device_registry.hpp"
#include "feed.hpp"
#include "live_sites.hpp"
#include "quarantine_book.hpp"
#include "server_schema.hpp"
#include "session_rules.hpp"
#include "site_bytes.hpp"
#include "sqlite_access_store.hpp"
#include "table_io.hpp"
#include "unit_registry.hpp"

#include <algorithm>

namespace noi {

sqlite_store::sqlite_store(std::unique_ptr<replica> r, server_options so)
    : rep_(std::move(r)), opt_(so) {
    migrate(rep_->db(), server_migrations(rep_->clock().wall_ms()));
    saved_wall_high_ = wall_high_ = rep_->meta_int("wall_high_ms", 0);
    devices_ = std::make_unique<device_registry>(*rep_);
    feed_ = std::make_unique<feed>(rep_->db());
    quarantine_ = std::make_unique<quarantine_book>(*rep_, opt_);
    conflicts_ = std::make_unique<conflict_book>(*rep_);
    audit_ = std::make_unique<audit_trail>(rep_->db(), rep_->tables());
    access_ = std::make_unique<sqlite_access_store>(*rep_);
    units_ = std::make_unique<unit_registry>(rep_->db());
    live_ = std::make_unique<live_sites>(*rep_);
    data_version_ = rep_->db().data_version();
    rep_->db().on_write_lock([this] { catch_up(); });
}

sqlite_store::~sqlite_store() {
    live_.reset();
    rep_->db().on_write_lock({});
}

void sqlite_store::catch_up() {
    const auto seen = rep_->db().data_version();
    if (seen == data_version_) return;
    data_version_ = seen;
    feed_->reload();
    rep_->refresh_clock();
    const auto saved = rep_->meta_int("wall_high_ms", 0);
    wall_high_ = std::max(wall_high_, saved);
    saved_wall_high_ = std::max(saved_wall_high_, saved);
    if (rep_->refresh_schema()) audit_ = std::make_unique<audit_trail>(rep_->db(), rep_->tables());
}

namespace {

class sqlite_group final : public store_group {
public:
    explicit sqlite_group(database& db) : tx_(db) {}
    void commit() override { tx_.commit(); }

private:
    transaction tx_;
};

} // namespace

std::unique_ptr<store_group> sqlite_store::begin() {
    return std::make_unique<sqlite_group>(rep_->db());
}

access_store& sqlite_store::access() {
    return *access_;
}

void mark_snapshot(const std::string& file, std::int64_t at_ms) {
    database dst(file, false);
    auto st = dst.prepare("INSERT OR REPLACE INTO noi_meta(key, value) VALUES ('instance', "
                          "'snapshot'), ('snapshot_at_ms', ?1)");
    st.bind(1, at_ms);
    st.run();
}

std::unique_ptr<sqlite_store> sqlite_store::create(const std::string& path, const wall_clock& wall,
                                                   replica_options opt, server_options so,
                                                   const map_choice& map) {
    // Checked before a file is made: a refused province leaves nothing behind.
    auto chosen = map;
    if (chosen.as_of.empty()) chosen.as_of = vietnam_day(wall.now_ms());
    if (!is_iso_date(chosen.as_of))
        throw sync_error(errc::refused,
                         "--as-of takes a date written YYYY-MM-DD, not " + chosen.as_of);
    const auto& country = national_map::shipped();
    if (country.province_units(chosen.province, chosen.as_of).empty())
        throw sync_error(errc::refused, country.province_refusal(chosen.province, chosen.as_of));
    auto r = replica::create(path, replica_role::server, wall, opt);
    r->install_default_schema();
    auto s = std::make_unique<sqlite_store>(std::move(r), so);
    s->new_epoch();
    transaction tx(s->rep().db());
    s->start_map(chosen);
    tx.commit();
    return s;
}

std::unique_ptr<sqlite_store> sqlite_store::open(const std::string& path, const wall_clock& wall,
                                                 replica_options opt, server_options so) {
    auto r = replica::open(path, wall, opt);
    if (r->role() != replica_role::server)
        throw sync_error(errc::not_a_replica, path + " is a tablet replica, not a server's");
    return std::make_unique<sqlite_store>(std::move(r), so);
}

std::optional<std::string> sqlite_store::damage(const std::string& path) {
    database check(path, false);
    auto st = check.prepare("PRAGMA quick_check");
    const auto verdict = st.step() ? st.column_text(0) : std::string("no answer");
    if (verdict == "ok") return std::nullopt;
    return verdict;
}

void sqlite_store::limit_size(std::uint64_t mib) {
    if (mib == 0) return;
    auto page = rep_->db().prepare("PRAGMA page_size");
    page.step();
    const auto pages =
        static_cast<std::int64_t>(mib) * (1 << 20) / std::max<std::int64_t>(1, page.column_int(0));
    rep_->db().exec("PRAGMA max_page_count = " + std::to_string(pages));
}

std::uint64_t sqlite_store::server_seq() const {
    return feed_->head();
}

std::uint64_t sqlite_store::committed_head() {
    return feed_->committed_head();
}

site_id sqlite_store::epoch() {
    auto& st = rep_->db().cached("SELECT value FROM noi_meta WHERE key = 'epoch'");
    site_id e{};
    if (st.step()) e = to_site(st.column_blob(0));
    st.reset();
    return e;
}

void sqlite_store::new_epoch() {
    site_id e;
    rep_->random().fill(e.data(), e.size());
    auto& st =
        rep_->db().cached("INSERT OR REPLACE INTO noi_meta(key, value) VALUES ('epoch', ?1)");
    st.bind_blob(1, e.data(), e.size());
    st.run();
}

void sqlite_store::add_device(const device& d) {
    devices_->add(d);
}

std::optional<device> sqlite_store::find_device(const std::string& id) {
    auto d = devices_->find(id);
    if (d) d = with_units(std::move(*d));
    return d;
}

std::vector<device> sqlite_store::devices() {
    return devices_->all();
}

std::vector<device_status> sqlite_store::device_statuses() {
    return devices_->statuses();
}

bool sqlite_store::revoke_device(const std::string& device_id) {
    return devices_->revoke(device_id);
}

void sqlite_store::record_refusal(const std::string& device_id) {
    devices_->record_refusal(device_id);
}

void sqlite_store::record_sync(const std::string& device_id) {
    devices_->record_sync(device_id);
}

std::variant<proto::welcome, proto::error> sqlite_store::hello(const device& d,
                                                               const proto::hello& h) {
    if (auto refused = reserved_site(h, rep_->site())) return *refused;
    transaction tx(rep_->db());
    // The tablet keeps everything until the server is brought to its schema.
    if (auto refused = schema_ahead(h, rep_->tables().version)) return *refused;
    auto bound = devices_->bind(d, h.site, opt_.max_sites_per_device);
    if (auto* refused = std::get_if<proto::error>(&bound)) return *refused;
    const auto binding = std::get<device_registry::binding>(bound);
    if (!live_->claim(h.site)) return site_busy();
    const auto confirmed = std::max(binding.confirmed, h.confirmed_rejection);
    devices_->set_confirmed(h.site, confirmed);
    devices_->record_contact(d.id, h);
    // The tablet acts on its new scope now: rows of the one it held are no longer its to push.
    if (!d.held_scope.empty() && h.scope == d.scope)
        devices_->confirm_scope(d.id, d.scope, h.scope_version);

    proto::welcome w;
    w.clock_ms = static_cast<std::uint64_t>(hlc_now_ms());
    save_wall_high();
    w.scope = d.scope;
    w.scope_version = d.scope_version;
    // The units start with the scope: only one that units were merged into says more.
    if (d.units.size() > 1) w.units = d.units;
    w.epoch = epoch();
    w.acked_seq = binding.acked;
    w.rejections = quarantine_->after(h.site, confirmed);
    w.settled = quarantine_->settled(h.site, h.rejected);
    w.schema_version = rep_->tables().version;
    // A tablet behind adopts the whole schema before it pulls; 0 is a replica with no schema
    // yet (a client made without the default tables), which takes all of it.
    if (h.schema_version < w.schema_version)
        w.schema = proto::schema_offer{schema_since(h.schema_version), specs_of(rep_->tables())};
    tx.commit();
    live_->admit(h.site);
    return w;
}

std::vector<value> sqlite_store::row_values(const table_def& def, const std::string& id,
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

void sqlite_store::release(const site_id& s) {
    live_->release(s);
}

void sqlite_store::keep_alive() {
    live_->beat();
}

emissions sqlite_store::emitted_since(std::uint64_t after) {
    emissions out;
    auto& st = rep_->db().cached("SELECT scope, max(seq) FROM noi_feed WHERE seq > ?1 AND dead IS "
                                 "NULL AND only_site IS NULL GROUP BY scope");
    st.bind(1, static_cast<std::int64_t>(after));
    while (st.step())
        out.add(st.column_is_null(0) ? value{} : value{st.column_text(0)},
                static_cast<std::uint64_t>(st.column_int(1)));
    st.reset();
    return out;
}

// The server's time as its stamps see it: the latest its wall clock has read. A wall that
// stepped back does not make tablets that follow the server's earlier time "ahead", and no
// tablet's stamp moves it: a floor raised by pushed stamps would let each push go one bound
// further than the last.
std::int64_t sqlite_store::hlc_now_ms() {
    wall_high_ = std::max(wall_high_, rep_->clock().wall_ms());
    return wall_high_;
}

std::uint64_t sqlite_store::stamp_limit() {
    return hlc_from_ms(hlc_now_ms() + opt_.clock_bound_ms) | 0xffff;
}

// Kept once a minute at most: a restart then forgets at most a minute of it, well inside the
// clock bound, and a push costs no extra write.
void sqlite_store::save_wall_high() {
    if (wall_high_ >= saved_wall_high_ + 60'000) {
        rep_->set_meta_int("wall_high_ms", wall_high_);
        saved_wall_high_ = wall_high_;
    }
}

std::variant<proto::push_ack, proto::error>
sqlite_store::push(const device& d, const site_id& s, const proto::push& p, emissions* emitted) {
    const auto limit = stamp_limit();
    if (auto refused = clock_ahead(p, s, limit, opt_.clock_bound_ms)) return *refused;
    transaction tx(rep_->db());
    // Read in the transaction: a revocation through another process reaches this session too.
    if (const auto now = devices_->find(d.id); !now || now->revoked) return device_revoked();
    const auto held = devices_->acked(s, d.id);
    if (!held) return push_before_hello();
    const auto acked = *held;
    if (auto full = quarantine_->full(d.id)) return *full;
    if (auto full = conflicts_->full(d.id, opt_.max_open_conflicts_per_device)) return *full;
    if (auto gap = sequence_gap(p, acked)) return *gap;
    proto::push_ack ack;
    const auto rows = rows_to_apply(p, acked);
    for (const auto* r : rows) {
        auto res = apply_row(d, s, *r, limit, emitted);
        if (res.rejection) ack.rejections.push_back(*res.rejection);
        rep_->fault_point("server.push.row");
    }
    ack.acked_seq = std::max(acked, p.to_seq);
    // Each row of a push is one of the changes the HELLO counted.
    devices_->lower_pending(d.id, rows.size());
    // Rolled back whole if another session of the replica moved it first (a store whose lock
    // does not exclude that): the tablet retries from what the server then holds.
    if (!devices_->set_acked(s, acked, ack.acked_seq)) {
        if (emitted) *emitted = {};
        return site_busy();
    }
    rep_->save_clock();
    save_wall_high();
    rep_->fault_point("server.push.before_commit");
    tx.commit();
    return ack;
}

} // namespace noi
