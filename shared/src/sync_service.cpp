// The sync service's door (sync_service.hpp): HELLO and PUSH as transactions over the books,
// the quarantine and the row apply (server_apply.cpp), and the reads the server needs. PULL is
// in server_pull.cpp, the server's own writes in server_writes.cpp, the admin's decisions in
// admin_actions.cpp, the reads for status, history and reports in server_reads.cpp, the map in
// map_changes.cpp, schema versions in schema_history.cpp, clock repair in clock_repair.cpp.
#include <noi/sync/dates.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/national_map.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/sync_service.hpp>
#include <noi/sync/unicode_text.hpp>

#include "live_sessions.hpp"
#include "row_rules.hpp"
#include "session_rules.hpp"

#include <algorithm>

namespace noi {

void emissions::add(const value& scope, std::uint64_t seq) {
    if (const auto* s = std::get_if<std::string>(&scope))
        scopes[*s] = std::max(scopes[*s], seq);
    else
        global = std::max(global, seq);
}

std::uint64_t emissions::for_device(const device& d) const {
    std::uint64_t top = global;
    if (d.scope == "*") {
        for (const auto& [s, seq] : scopes)
            top = std::max(top, seq);
        return top;
    }
    for (const auto& unit : d.read_units())
        if (auto it = scopes.find(unit); it != scopes.end()) top = std::max(top, it->second);
    return top;
}

sync_service::sync_service(std::unique_ptr<store_port> port, server_options so)
    : port_(std::move(port)), opt_(so), live_(std::make_unique<live_sessions>(*port_)) {
    saved_wall_high_ = wall_high_ = port_->meta_int("wall_high_ms", 0);
    port_->on_catch_up([this] { catch_up(); });
}

sync_service::~sync_service() {
    live_.reset();
    port_->on_catch_up({});
}

void sync_service::catch_up() {
    const auto saved = port_->meta_int("wall_high_ms", 0);
    wall_high_ = std::max(wall_high_, saved);
    saved_wall_high_ = std::max(saved_wall_high_, saved);
}

void sync_service::new_epoch() {
    site_id e;
    port_->random().fill(e.data(), e.size());
    port_->set_epoch(e);
}

void sync_service::add_device(const device& d) {
    port_->devices().add(d);
}

std::optional<device> sync_service::find_device(const std::string& id) {
    auto d = port_->devices().find(id);
    if (d) d = with_units(std::move(*d));
    return d;
}

std::vector<device> sync_service::devices() {
    return port_->devices().all();
}

std::vector<device_status> sync_service::device_statuses() {
    return port_->devices().statuses();
}

bool sync_service::revoke_device(const std::string& device_id, bool wipe) {
    return port_->devices().revoke(device_id, wipe);
}

server_store::removal sync_service::remove_unsynced_device(const std::string& device_id) {
    auto& devices = port_->devices();
    if (!devices.find(device_id)) return removal::not_found;
    if (!devices.remove_unsynced(device_id)) return removal::synced;
    port_->access().drop_device_tokens(device_id);
    return removal::removed;
}

void sync_service::record_wiped(const std::string& device_id) {
    port_->devices().record_wiped(device_id);
}

void sync_service::record_refusal(const std::string& device_id) {
    port_->devices().record_refusal(device_id);
}

void sync_service::record_sync(const std::string& device_id) {
    port_->devices().record_sync(device_id);
}

std::variant<device_registry::binding, proto::error> sync_service::bind(const device& d,
                                                                        const site_id& s) {
    using proto::error_code;
    auto& devices = port_->devices();
    auto held = devices.site(s);
    if (held && held->device_id != d.id) {
        // A replica given the token of a new device (noi-client set-token, after its own was
        // lost or its device revoked) moves to it with its pending writes once the device it
        // was bound to is revoked: only a revoked device's replica moves, within its commune.
        // The new device must be fresh (no replica of its own yet): a colleague's tablet that
        // knows the site id, which every pulled version names, cannot take the replica over.
        const auto& owner = held->device_id;
        auto was = devices.find(owner);
        if (!was || !was->revoked)
            return proto::error{error_code::site_bound_elsewhere,
                                proto::condition::permanent,
                                "this replica belongs to device " + owner +
                                    ", which still holds it; to move it to this device, revoke " +
                                    owner + " first (noi-admin device revoke)",
                                {}};
        if (was->scope != d.scope)
            return proto::error{error_code::site_bound_elsewhere,
                                proto::condition::permanent,
                                "this replica holds the data of " + was->scope +
                                    ", and this device is enrolled for " + d.scope +
                                    "; give it the token of a device of " + was->scope,
                                {}};
        if (devices.sites_of(d.id) != 0)
            return proto::error{error_code::site_bound_elsewhere,
                                proto::condition::permanent,
                                "device " + d.id +
                                    " has a replica of its own already; a replica "
                                    "moves only to a newly enrolled device (noi-admin device add)",
                                {}};
        devices.bind(s, d.id);
        held->device_id = d.id;
    } else if (!held) {
        if (const auto bound = devices.sites_of(d.id); bound >= opt_.max_sites_per_device)
            return proto::error{error_code::site_bound_elsewhere,
                                proto::condition::permanent,
                                "this device has made " + std::to_string(bound) +
                                    " replicas already; ask the province office to enrol the "
                                    "tablet as a new device",
                                {}};
        devices.bind(s, d.id);
        held = device_registry::binding{d.id, 0, 0};
    }
    return *held;
}

std::variant<proto::welcome, proto::error> sync_service::hello(const device& d,
                                                               const proto::hello& h) {
    if (auto refused = reserved_site(h, port_->site())) return *refused;
    auto tx = port_->begin();
    // Revoked or deleted (an enrolment made by mistake) since its connection was accepted.
    if (const auto now = port_->devices().find(d.id); !now || now->revoked) return device_revoked();
    // The tablet keeps everything until the server is brought to its schema.
    if (auto refused = schema_ahead(h, port_->tables().version)) return *refused;
    auto bound = bind(d, h.site);
    if (auto* refused = std::get_if<proto::error>(&bound)) return *refused;
    const auto binding = std::get<device_registry::binding>(bound);
    if (!live_->claim(h.site)) return site_busy();
    const auto confirmed = std::max(binding.confirmed, h.confirmed_rejection);
    port_->devices().set_confirmed(h.site, confirmed);
    {
        // The app version is the tablet's to say: kept short, and as text whatever it sent.
        auto said = h;
        said.app_version =
            clipped(escaped_text(h.app_version), device_registry::max_app_version_bytes);
        port_->devices().record_contact(d.id, said);
    }
    // The tablet acts on its new scope now: rows of the one it held are no longer its to push.
    if (!d.held_scope.empty() && h.scope == d.scope)
        port_->devices().confirm_scope(d.id, d.scope, h.scope_version);

    proto::welcome w;
    w.clock_ms = static_cast<std::uint64_t>(hlc_now_ms());
    save_wall_high();
    w.scope = d.scope;
    w.scope_version = d.scope_version;
    // The units start with the scope: only one that units were merged into says more.
    if (d.units.size() > 1) w.units = d.units;
    w.epoch = epoch();
    w.acked_seq = binding.acked;
    take_answers(d, h.site, h.answered);
    w.rejections = port_->quarantine().after(h.site, confirmed);
    // Answered rows first: settled even when the tablet keeps more than it lists.
    std::vector<std::uint64_t> listed;
    for (std::size_t i = 0; i < h.answered.size() && i < max_answers_per_hello; ++i)
        listed.push_back(h.answered[i].quarantine_id);
    listed.insert(listed.end(), h.rejected.begin(), h.rejected.end());
    w.settled = settled(h.site, listed);
    tell_conflicts(d, h, w);
    w.schema_version = port_->tables().version;
    // A tablet behind adopts the whole schema before it pulls; 0 is a replica with no schema
    // yet (a client made without the default tables), which takes all of it.
    if (h.schema_version < w.schema_version)
        w.schema = proto::schema_offer{schema_since(h.schema_version), specs_of(port_->tables()),
                                       current_labels().entries()};
    tx->commit();
    live_->admit(h.site);
    return w;
}

std::vector<value> sync_service::row_values(const table_def& def, const std::string& id,
                                            const row_state* st) {
    // Every server write keeps a row's state, so a row without one is not in the table: a
    // new row (most pushed rows) costs no lookup.
    std::vector<value> values;
    if (st && !st->alive)
        values = st->tomb;
    else if (auto v = st ? port_->rows(def).read(id) : std::nullopt)
        values = std::move(*v);
    values.resize(def.columns.size());
    return values;
}

void sync_service::release(const site_id& s) {
    live_->release(s);
}

void sync_service::keep_alive() {
    live_->beat();
}

emissions sync_service::emitted_since(std::uint64_t after) {
    emissions out;
    for (const auto& [scope, seq] : port_->changes().newest_after(after))
        out.add(scope, seq);
    return out;
}

// The server's time as its stamps see it: the latest its wall clock has read. A wall that
// stepped back does not make tablets that follow the server's earlier time "ahead", and no
// tablet's stamp moves it: a floor raised by pushed stamps would let each push go one bound
// further than the last.
std::int64_t sync_service::hlc_now_ms() {
    wall_high_ = std::max(wall_high_, port_->clock().wall_ms());
    return wall_high_;
}

std::uint64_t sync_service::stamp_limit() {
    return hlc_from_ms(hlc_now_ms() + opt_.clock_bound_ms) | 0xffff;
}

// Kept once a minute at most: a restart then forgets at most a minute of it, well inside the
// clock bound, and a push costs no extra write.
void sync_service::save_wall_high() {
    if (wall_high_ >= saved_wall_high_ + 60'000) {
        port_->set_meta_int("wall_high_ms", wall_high_);
        saved_wall_high_ = wall_high_;
    }
}

std::variant<proto::push_ack, proto::error>
sync_service::push(const device& d, const site_id& s, const proto::push& p, emissions* emitted) {
    const auto limit = stamp_limit();
    if (auto refused = clock_ahead(p, s, limit, opt_.clock_bound_ms)) return *refused;
    auto tx = port_->begin();
    // Read in the transaction: a revocation through another process reaches this session too.
    const auto gate = port_->gate_of(d.id, s);
    if (!gate.may_push) return device_revoked();
    if (!gate.acked) return push_before_hello();
    const auto acked = *gate.acked;
    if (auto full = quarantine_at_quota(gate.quarantined.rows, gate.quarantined.bytes,
                                        opt_.max_quarantine_rows_per_device,
                                        opt_.max_quarantine_bytes_per_device))
        return *full;
    if (auto full =
            conflicts_at_quota(d.id, gate.open_conflicts, opt_.max_open_conflicts_per_device))
        return *full;
    if (auto gap = sequence_gap(p, acked)) return *gap;
    proto::push_ack ack;
    ack.acked_seq = std::max(acked, p.to_seq);
    // Refused whole if another session of the replica moved it first (a store whose lock does
    // not exclude that): the tablet retries from what the server then holds. Moved before the
    // rows are merged, so that nothing is merged in vain and a store that sends its writes
    // unanswered (PostgreSQL) does not wait for them here.
    if (!port_->devices().set_acked(s, acked, ack.acked_seq)) return site_busy();
    const auto rows = rows_to_apply(p, acked);
    std::vector<row_ahead> ahead;
    ahead.reserve(rows.size());
    // An insert's row is nearly always new: only its state is looked up.
    for (const auto* r : rows)
        ahead.push_back({r->table, r->id, !inserts(*r)});
    port_->read_ahead(ahead);
    for (const auto* r : rows) {
        auto res = apply_row(d, s, *r, limit, emitted);
        if (res.rejection) ack.rejections.push_back(*res.rejection);
        port_->fault_point("server.push.row");
    }
    // Each row of a push is one of the changes the HELLO counted.
    port_->devices().lower_pending(d.id, rows.size());
    port_->save_clock();
    save_wall_high();
    port_->fault_point("server.push.before_commit");
    tx->commit();
    return ack;
}

} // namespace noi
