#include "pg_device_registry.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/unicode_text.hpp>

#include <algorithm>

namespace noi {
namespace {

constexpr const char* device_columns =
    "device_id, scope, name, revoked, held_scope, scope_version, wipe_ordered_at, wiped_at";

pg::param site_param(const site_id& s) {
    return pg::param::blob(std::string_view(reinterpret_cast<const char*>(s.data()), s.size()));
}

std::optional<std::int64_t> int_or_none(const pg::result& r, int row, int col) {
    if (r.is_null(row, col)) return std::nullopt;
    return r.integer(row, col);
}

// A device from the columns of device_columns.
device read_device(const pg::result& r, int row) {
    device d{r.bytes(row, 0), r.bytes(row, 1), r.bytes(row, 2), r.integer(row, 3) != 0};
    if (!r.is_null(row, 4)) d.held_scope = r.bytes(row, 4);
    d.scope_version = static_cast<std::uint64_t>(r.integer(row, 5));
    d.wipe_ordered_at_ms = int_or_none(r, row, 6);
    d.wiped_at_ms = int_or_none(r, row, 7);
    return d;
}

} // namespace

void pg_device_registry::add(const device& d) {
    if (find(d.id))
        throw sync_error(errc::already_exists, "device " + d.id + " is already enrolled");
    c_.run("INSERT INTO noi_devices(device_id, scope, name, created_at) VALUES ($1, $2, $3, $4)",
           {d.id, d.scope, d.name, wall_.now_ms()});
}

std::optional<device> pg_device_registry::find(const std::string& id) {
    auto r = c_.run(
        std::string("SELECT ") + device_columns + " FROM noi_devices WHERE device_id = $1", {id});
    if (r.rows() == 0) return std::nullopt;
    return read_device(r, 0);
}

std::vector<device> pg_device_registry::all() {
    auto r = c_.run(std::string("SELECT ") + device_columns +
                    " FROM noi_devices ORDER BY created_at, device_id");
    std::vector<device> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back(read_device(r, i));
    return out;
}

std::vector<device_status> pg_device_registry::statuses() {
    auto r = c_.run(
        "SELECT d.device_id, d.scope, d.name, d.revoked, d.created_at, d.last_contact_at, "
        "d.last_sync_at, d.pending, d.oldest_pending_at, d.clock_skew_ms, d.app_version, "
        "d.schema_version, d.refused_at, (SELECT count(*) FROM noi_quarantine q WHERE "
        "q.device_id = d.device_id AND q.status = 'open'), (SELECT name FROM commune c WHERE "
        "c.id = d.scope), d.wipe_ordered_at, d.wiped_at FROM noi_devices d ORDER BY d.scope, "
        "d.name, d.device_id");
    std::vector<device_status> out;
    for (int i = 0; i < r.rows(); ++i) {
        device_status s;
        s.dev = device{r.bytes(i, 0), r.bytes(i, 1), r.bytes(i, 2), r.integer(i, 3) != 0};
        s.created_at_ms = r.integer(i, 4);
        s.last_contact_at_ms = int_or_none(r, i, 5);
        s.last_sync_at_ms = int_or_none(r, i, 6);
        s.pending = int_or_none(r, i, 7);
        s.oldest_pending_at_ms = int_or_none(r, i, 8);
        s.clock_skew_ms = int_or_none(r, i, 9);
        if (!r.is_null(i, 10)) s.app_version = clipped(r.bytes(i, 10), max_app_version_bytes);
        s.schema_version = int_or_none(r, i, 11);
        s.refused_at_ms = int_or_none(r, i, 12);
        s.rejected_open = static_cast<std::uint64_t>(r.integer(i, 13));
        if (!r.is_null(i, 14)) s.commune_name = r.bytes(i, 14);
        s.dev.wipe_ordered_at_ms = int_or_none(r, i, 15);
        s.dev.wiped_at_ms = int_or_none(r, i, 16);
        out.push_back(std::move(s));
    }
    return out;
}

void pg_device_registry::move(const std::string& device_id, const std::string& scope) {
    // The tablet may hold rows of every scope the device had since it last confirmed one: a
    // second move before it heard of the first adds to them.
    c_.run("UPDATE noi_devices SET held_scope = CASE WHEN held_scope IS NULL THEN scope WHEN "
           "position(',' || scope || ',' IN ',' || held_scope || ',') > 0 THEN held_scope ELSE "
           "held_scope || ',' || scope END, scope = $2, scope_version = scope_version + 1 WHERE "
           "device_id = $1",
           {device_id, scope});
    c_.run("UPDATE noi_devices SET held_scope = NULL WHERE device_id = $1 AND held_scope = scope",
           {device_id});
}

void pg_device_registry::confirm_scope(const std::string& device_id, const std::string& scope,
                                       std::uint64_t version) {
    c_.run("UPDATE noi_devices SET held_scope = NULL WHERE device_id = $1 AND scope = $2 AND "
           "scope_version = $3 AND held_scope IS NOT NULL",
           {device_id, scope, version});
}

bool pg_device_registry::revoke(const std::string& device_id, bool wipe) {
    return c_.run("UPDATE noi_devices SET revoked = true, wipe_ordered_at = CASE WHEN $2 THEN "
                  "coalesce(wipe_ordered_at, $3::bigint) ELSE wipe_ordered_at END WHERE "
                  "device_id = $1",
                  {device_id, pg::param::parsed(wipe ? "true" : "false"), wall_.now_ms()})
               .changed() > 0;
}

bool pg_device_registry::remove_unsynced(const std::string& device_id) {
    // No contact and no site: a replica of it that moved on to another device said HELLO first.
    return c_.run("DELETE FROM noi_devices WHERE device_id = $1 AND last_contact_at IS NULL AND "
                  "NOT EXISTS (SELECT 1 FROM noi_sites WHERE device_id = $1)",
                  {device_id})
               .changed() > 0;
}

void pg_device_registry::record_wiped(const std::string& device_id) {
    c_.run("UPDATE noi_devices SET wiped_at = $2::bigint WHERE device_id = $1 AND "
           "wipe_ordered_at IS NOT NULL AND wiped_at IS NULL",
           {device_id, wall_.now_ms()});
}

void pg_device_registry::record_refusal(const std::string& device_id) {
    c_.run("UPDATE noi_devices SET refused_at = $2::bigint WHERE device_id = $1 AND (refused_at IS "
           "NULL "
           "OR refused_at < $2::bigint - 60000)",
           {device_id, wall_.now_ms()});
}

std::optional<device_registry::binding> pg_device_registry::site(const site_id& s) {
    auto r =
        c_.run("SELECT device_id, acked_seq, confirmed_rejection FROM noi_sites WHERE site = $1",
               {site_param(s)});
    if (r.rows() == 0) return std::nullopt;
    return binding{r.bytes(0, 0), static_cast<std::uint64_t>(r.integer(0, 1)),
                   static_cast<std::uint64_t>(r.integer(0, 2))};
}

std::size_t pg_device_registry::sites_of(const std::string& device_id) {
    return static_cast<std::size_t>(
        c_.run("SELECT count(*) FROM noi_sites WHERE device_id = $1", {device_id}).integer(0, 0));
}

void pg_device_registry::bind(const site_id& s, const std::string& device_id) {
    c_.run("INSERT INTO noi_sites(site, device_id) VALUES ($1, $2) ON CONFLICT (site) DO UPDATE "
           "SET device_id = excluded.device_id",
           {site_param(s), device_id});
}

void pg_device_registry::set_confirmed(const site_id& s, std::uint64_t confirmed) {
    c_.run("UPDATE noi_sites SET confirmed_rejection = $2 WHERE site = $1",
           {site_param(s), confirmed});
}

std::optional<std::uint64_t> pg_device_registry::acked(const site_id& s,
                                                       const std::string& device_id) {
    auto r = c_.run("SELECT acked_seq FROM noi_sites WHERE site = $1 AND device_id = $2",
                    {site_param(s), device_id});
    if (r.rows() == 0) return std::nullopt;
    return static_cast<std::uint64_t>(r.integer(0, 0));
}

bool pg_device_registry::set_acked(const site_id& s, std::uint64_t expected, std::uint64_t acked) {
    return c_.run("UPDATE noi_sites SET acked_seq = $2 WHERE site = $1 AND acked_seq = $3",
                  {site_param(s), acked, expected})
               .changed() == 1;
}

void pg_device_registry::record_contact(const std::string& device_id, const proto::hello& h) {
    const auto now = wall_.now_ms();
    // A tablet's clock is whatever it says: the skew saturates instead of overflowing.
    const auto clock_ms =
        static_cast<std::int64_t>(std::min<std::uint64_t>(h.clock_ms, std::uint64_t{1} << 62));
    c_.send("UPDATE noi_devices SET last_contact_at = $2, pending = $3, oldest_pending_at = $4, "
            "clock_skew_ms = $5, app_version = $6, schema_version = $7 WHERE device_id = $1",
            {device_id, now, h.pending,
             h.oldest_pending_ms ? pg::param(*h.oldest_pending_ms) : pg::param{}, clock_ms - now,
             h.app_version, std::uint64_t{h.schema_version}});
}

void pg_device_registry::lower_pending(const std::string& device_id, std::uint64_t rows) {
    c_.send("UPDATE noi_devices SET pending = greatest(0, pending - $2), oldest_pending_at = "
            "CASE WHEN pending > $2 THEN oldest_pending_at END WHERE device_id = $1",
            {device_id, rows});
}

void pg_device_registry::record_sync(const std::string& device_id) {
    c_.send("UPDATE noi_devices SET last_sync_at = $2 WHERE device_id = $1",
            {device_id, wall_.now_ms()});
}

std::map<std::string, std::uint64_t> pg_device_registry::silent_by_commune(std::int64_t since_ms) {
    auto r = c_.run("SELECT scope, count(*) FROM noi_devices WHERE NOT revoked AND "
                    "coalesce(last_contact_at, created_at) < $1 GROUP BY scope",
                    {since_ms});
    std::map<std::string, std::uint64_t> out;
    for (int i = 0; i < r.rows(); ++i)
        out[r.bytes(i, 0)] = static_cast<std::uint64_t>(r.integer(i, 1));
    return out;
}

} // namespace noi
