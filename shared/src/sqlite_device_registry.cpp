#include "sqlite_device_registry.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/unicode_text.hpp>

#include "site_bytes.hpp"

#include <algorithm>

namespace noi {
namespace {

device read_device(const statement& st) {
    return {st.column_text(0), st.column_text(1), st.column_text(2), st.column_int(3) != 0};
}

std::optional<std::int64_t> int_or_none(const statement& st, int col) {
    if (st.column_is_null(col)) return std::nullopt;
    return st.column_int(col);
}

// The wipe's two times, read from columns `first` and `first + 1`.
void read_wipe(device& d, const statement& st, int first) {
    d.wipe_ordered_at_ms = int_or_none(st, first);
    d.wiped_at_ms = int_or_none(st, first + 1);
}

constexpr const char* held_device_columns =
    "device_id, scope, name, revoked, held_scope, scope_version, wipe_ordered_at, wiped_at";

// A device of held_device_columns: with the scopes its tablet may hold, its scope's version
// and its wipe.
device read_held_device(const statement& st) {
    auto d = read_device(st);
    if (!st.column_is_null(4)) d.held_scope = st.column_text(4);
    d.scope_version = static_cast<std::uint64_t>(st.column_int(5));
    read_wipe(d, st, 6);
    return d;
}

} // namespace

void sqlite_device_registry::move(const std::string& device_id, const std::string& scope) {
    // The tablet may hold rows of every scope the device had since it last confirmed one: a
    // second move before it heard of the first adds to them.
    auto& st = rep_.db().cached(
        "UPDATE noi_devices SET held_scope = CASE WHEN held_scope IS NULL THEN scope WHEN "
        "instr(',' || held_scope || ',', ',' || scope || ',') > 0 THEN held_scope ELSE "
        "held_scope || ',' || scope END, scope = ?2, scope_version = scope_version + 1 WHERE "
        "device_id = ?1");
    st.bind(1, device_id).bind(2, scope);
    st.run();
    auto& same = rep_.db().cached(
        "UPDATE noi_devices SET held_scope = NULL WHERE device_id = ?1 AND held_scope = scope");
    same.bind(1, device_id);
    same.run();
}

void sqlite_device_registry::confirm_scope(const std::string& device_id, const std::string& scope,
                                           std::uint64_t version) {
    auto& st = rep_.db().cached("UPDATE noi_devices SET held_scope = NULL WHERE device_id = ?1 "
                                "AND scope = ?2 AND scope_version = ?3 AND held_scope IS NOT NULL");
    st.bind(1, device_id).bind(2, scope).bind(3, static_cast<std::int64_t>(version));
    st.run();
}

void sqlite_device_registry::add(const device& d) {
    if (find(d.id))
        throw sync_error(errc::already_exists, "device " + d.id + " is already enrolled");
    auto& st = rep_.db().cached(
        "INSERT INTO noi_devices(device_id, scope, name, created_at) VALUES (?1, ?2, ?3, ?4)");
    st.bind(1, d.id).bind(2, d.scope).bind(3, d.name).bind(4, rep_.clock().wall_ms());
    st.run();
}

std::optional<device> sqlite_device_registry::find(const std::string& id) {
    auto& st = rep_.db().cached(std::string("SELECT ") + held_device_columns +
                                " FROM noi_devices WHERE device_id = ?1");
    st.bind(1, id);
    std::optional<device> d;
    if (st.step()) d = read_held_device(st);
    st.reset();
    return d;
}

std::vector<device> sqlite_device_registry::all() {
    std::vector<device> out;
    auto st = rep_.db().prepare(std::string("SELECT ") + held_device_columns +
                                " FROM noi_devices ORDER BY created_at, device_id");
    while (st.step())
        out.push_back(read_held_device(st));
    return out;
}

std::vector<device_status> sqlite_device_registry::statuses() {
    std::vector<device_status> out;
    auto st = rep_.db().prepare(
        "SELECT d.device_id, d.scope, d.name, d.revoked, d.created_at, d.last_contact_at, "
        "d.last_sync_at, d.pending, d.oldest_pending_at, d.clock_skew_ms, "
        "substr(d.app_version, 1, ?1), "
        "d.schema_version, d.refused_at, (SELECT count(*) FROM noi_quarantine q WHERE "
        "q.device_id = d.device_id AND q.status = 'open'), (SELECT name FROM commune c WHERE "
        "c.id = d.scope), d.wipe_ordered_at, d.wiped_at FROM noi_devices d ORDER BY d.scope, "
        "d.name, d.device_id");
    // An earlier release kept app_version whole: read only the characters that can be shown,
    // one more than fit, so that a longer one is still cut with its "…".
    st.bind(1, static_cast<std::int64_t>(max_app_version_bytes + 1));
    while (st.step()) {
        device_status s;
        s.dev = read_device(st);
        s.created_at_ms = st.column_int(4);
        s.last_contact_at_ms = int_or_none(st, 5);
        s.last_sync_at_ms = int_or_none(st, 6);
        s.pending = int_or_none(st, 7);
        s.oldest_pending_at_ms = int_or_none(st, 8);
        s.clock_skew_ms = int_or_none(st, 9);
        if (!st.column_is_null(10))
            s.app_version = clipped(st.column_text(10), max_app_version_bytes);
        s.schema_version = int_or_none(st, 11);
        s.refused_at_ms = int_or_none(st, 12);
        s.rejected_open = static_cast<std::uint64_t>(st.column_int(13));
        if (!st.column_is_null(14)) s.commune_name = st.column_text(14);
        read_wipe(s.dev, st, 15);
        out.push_back(std::move(s));
    }
    return out;
}

bool sqlite_device_registry::revoke(const std::string& device_id, bool wipe) {
    auto& st = rep_.db().cached(
        "UPDATE noi_devices SET revoked = 1, wipe_ordered_at = CASE WHEN ?2 THEN "
        "coalesce(wipe_ordered_at, ?3) ELSE wipe_ordered_at END WHERE device_id = ?1");
    st.bind(1, device_id).bind(2, std::int64_t{wipe}).bind(3, rep_.clock().wall_ms());
    st.run();
    return rep_.db().changes() > 0;
}

bool sqlite_device_registry::remove_unsynced(const std::string& device_id) {
    // No contact and no site: a replica of it that moved on to another device said HELLO first.
    auto& st = rep_.db().cached("DELETE FROM noi_devices WHERE device_id = ?1 AND last_contact_at "
                                "IS NULL AND NOT EXISTS (SELECT 1 FROM noi_sites WHERE device_id "
                                "= ?1)");
    st.bind(1, device_id);
    st.run();
    return rep_.db().changes() > 0;
}

void sqlite_device_registry::record_wiped(const std::string& device_id) {
    auto& st = rep_.db().cached("UPDATE noi_devices SET wiped_at = ?2 WHERE device_id = ?1 AND "
                                "wipe_ordered_at IS NOT NULL AND wiped_at IS NULL");
    st.bind(1, device_id).bind(2, rep_.clock().wall_ms());
    st.run();
}

// The fleet status shows a revoked tablet that still tries (a lost one found by someone, or
// one nobody told): refused_at after its last contact.
void sqlite_device_registry::record_refusal(const std::string& device_id) {
    auto& seen = rep_.db().cached(
        "UPDATE noi_devices SET refused_at = ?2 WHERE device_id = ?1 AND (refused_at IS NULL "
        "OR refused_at < ?2 - 60000)");
    seen.bind(1, device_id).bind(2, rep_.clock().wall_ms());
    seen.run();
}

std::size_t sqlite_device_registry::sites_of(const std::string& device_id) {
    auto& sites = rep_.db().cached("SELECT count(*) FROM noi_sites WHERE device_id = ?1");
    sites.bind(1, device_id);
    const auto bound = sites.step() ? static_cast<std::size_t>(sites.column_int(0)) : 0;
    sites.reset();
    return bound;
}

std::optional<device_registry::binding> sqlite_device_registry::site(const site_id& s) {
    const auto site = site_bytes(s);
    auto& st = rep_.db().cached(
        "SELECT device_id, acked_seq, confirmed_rejection FROM noi_sites WHERE site = ?1");
    st.bind_blob(1, site.data(), site.size());
    std::optional<binding> b;
    if (st.step())
        b = binding{st.column_text(0), static_cast<std::uint64_t>(st.column_int(1)),
                    static_cast<std::uint64_t>(st.column_int(2))};
    st.reset();
    return b;
}

void sqlite_device_registry::bind(const site_id& s, const std::string& device_id) {
    const auto site = site_bytes(s);
    auto& st = rep_.db().cached("INSERT INTO noi_sites(site, device_id) VALUES (?1, ?2) ON "
                                "CONFLICT(site) DO UPDATE SET device_id = excluded.device_id");
    st.bind_blob(1, site.data(), site.size()).bind(2, device_id);
    st.run();
}

void sqlite_device_registry::set_confirmed(const site_id& s, std::uint64_t confirmed) {
    const auto site = site_bytes(s);
    auto& st = rep_.db().cached("UPDATE noi_sites SET confirmed_rejection = ?2 WHERE site = ?1");
    st.bind_blob(1, site.data(), site.size()).bind(2, static_cast<std::int64_t>(confirmed));
    st.run();
}

std::optional<std::uint64_t> sqlite_device_registry::acked(const site_id& s,
                                                           const std::string& device_id) {
    const auto site = site_bytes(s);
    auto& st =
        rep_.db().cached("SELECT acked_seq FROM noi_sites WHERE site = ?1 AND device_id = ?2");
    st.bind_blob(1, site.data(), site.size()).bind(2, device_id);
    std::optional<std::uint64_t> acked;
    if (st.step()) acked = static_cast<std::uint64_t>(st.column_int(0));
    st.reset();
    return acked;
}

bool sqlite_device_registry::set_acked(const site_id& s, std::uint64_t expected,
                                       std::uint64_t acked) {
    const auto site = site_bytes(s);
    auto& st =
        rep_.db().cached("UPDATE noi_sites SET acked_seq = ?2 WHERE site = ?1 AND acked_seq = ?3");
    st.bind_blob(1, site.data(), site.size())
        .bind(2, static_cast<std::int64_t>(acked))
        .bind(3, static_cast<std::int64_t>(expected));
    st.run();
    return rep_.db().changes() == 1;
}

void sqlite_device_registry::record_contact(const std::string& device_id, const proto::hello& h) {
    const auto now = rep_.clock().wall_ms();
    auto& upd = rep_.db().cached(
        "UPDATE noi_devices SET last_contact_at = ?2, pending = ?3, oldest_pending_at = ?4, "
        "clock_skew_ms = ?5, app_version = ?6, schema_version = ?7 WHERE device_id = ?1");
    upd.bind(1, device_id).bind(2, now).bind(3, static_cast<std::int64_t>(h.pending));
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
}

// The fleet status shows what is still pending after the round, not at its HELLO. Once nothing
// is, nothing has waited since any time.
void sqlite_device_registry::lower_pending(const std::string& device_id, std::uint64_t rows) {
    auto& pending = rep_.db().cached(
        "UPDATE noi_devices SET pending = max(0, pending - ?2), oldest_pending_at = "
        "CASE WHEN pending > ?2 THEN oldest_pending_at END WHERE device_id = ?1");
    pending.bind(1, device_id).bind(2, static_cast<std::int64_t>(rows));
    pending.run();
}

void sqlite_device_registry::record_sync(const std::string& device_id) {
    auto& st = rep_.db().cached("UPDATE noi_devices SET last_sync_at = ?2 WHERE device_id = ?1");
    st.bind(1, device_id).bind(2, rep_.clock().wall_ms());
    st.run();
}

std::map<std::string, std::uint64_t>
sqlite_device_registry::silent_by_commune(std::int64_t since_ms) {
    std::map<std::string, std::uint64_t> out;
    auto silent = rep_.db().prepare("SELECT scope, count(*) FROM noi_devices WHERE revoked = 0 AND "
                                    "coalesce(last_contact_at, created_at) < ?1 GROUP BY scope");
    silent.bind(1, since_ms);
    while (silent.step())
        out[silent.column_text(0)] = static_cast<std::uint64_t>(silent.column_int(1));
    return out;
}

} // namespace noi
