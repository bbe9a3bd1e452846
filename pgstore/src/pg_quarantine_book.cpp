#include "pg_quarantine_book.hpp"

#include "pg_feed.hpp"
#include "quarantine_payload.hpp"

namespace noi {
namespace {} // namespace

std::uint64_t pg_quarantine_book::repeats(const new_entry& e) {
    return static_cast<std::uint64_t>(
        c_.run("SELECT coalesce(sum(repeats), 0)::bigint FROM noi_quarantine WHERE device_id = "
               "$1 AND tbl = $2 AND row_id = $3 AND reason = $4 AND status = 'open' AND site = $5",
               {e.device_id, e.table, e.row_id, static_cast<std::int64_t>(e.reason),
                site_param(e.site)})
            .integer(0, 0));
}

std::uint64_t pg_quarantine_book::add(const new_entry& e) {
    const auto id = c_.run("INSERT INTO noi_quarantine(id, device_id, site, tbl, row_id, seq, "
                           "reason, message, payload, received_at, repeats) VALUES "
                           "(greatest(coalesce((SELECT max(id) FROM noi_quarantine), 0) + 1, "
                           "coalesce((SELECT value::bigint FROM noi_meta WHERE key = "
                           "'quarantine_id_floor'), 0)), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                           "RETURNING id",
                           {e.device_id, site_param(e.site), e.table, e.row_id, e.seq,
                            static_cast<std::int64_t>(e.reason), e.message,
                            e.payload ? pg::param::blob(*e.payload) : pg::param{}, e.at, e.repeats})
                        .integer(0, 0);
    if (e.repeats > 1)
        c_.run("DELETE FROM noi_quarantine WHERE device_id = $1 AND tbl = $2 AND row_id = $3 AND "
               "reason = $4 AND status = 'open' AND id != $5 AND site = $6",
               {e.device_id, e.table, e.row_id, static_cast<std::int64_t>(e.reason), id,
                site_param(e.site)});
    return static_cast<std::uint64_t>(id);
}

std::vector<proto::rejection> pg_quarantine_book::after(const site_id& s, std::uint64_t confirmed) {
    // A discarded or released rejection is not sent: the admin has decided, and a tablet that
    // never heard of it keeps its row as the officer entered it.
    auto r = c_.run("SELECT id, tbl, row_id, seq, reason, message FROM noi_quarantine WHERE site "
                    "= $1 AND id > $2 AND status = 'open' ORDER BY id LIMIT 1000",
                    {site_param(s), confirmed});
    std::vector<proto::rejection> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({static_cast<std::uint64_t>(r.integer(i, 0)), r.bytes(i, 1), r.bytes(i, 2),
                       static_cast<std::uint64_t>(r.integer(i, 3)),
                       static_cast<proto::reject_reason>(r.integer(i, 4)), r.bytes(i, 5)});
    return out;
}

std::optional<bool> pg_quarantine_book::closed(std::uint64_t id, const site_id& s) {
    auto r = c_.run("SELECT site = $2 AND status != 'open' FROM noi_quarantine WHERE id = $1",
                    {id, site_param(s)});
    if (r.rows() == 0) return std::nullopt;
    return r.integer(0, 0) != 0;
}

std::uint64_t pg_quarantine_book::newest_id() {
    return static_cast<std::uint64_t>(
        c_.run("SELECT coalesce(max(id), 0) FROM noi_quarantine").integer(0, 0));
}

const char* const pg_open_held_sql =
    "SELECT coalesce(sum(repeats), 0)::bigint, coalesce(sum(coalesce(length(payload), 0) + "
    "octet_length(tbl) + octet_length(row_id) + octet_length(message)), 0)::bigint FROM "
    "noi_quarantine WHERE device_id = $1 AND status = 'open'";

quarantine_book::held pg_quarantine_book::open_of(const std::string& device_id) {
    auto r = c_.run(pg_open_held_sql, {device_id});
    return {static_cast<std::uint64_t>(r.integer(0, 0)),
            static_cast<std::uint64_t>(r.integer(0, 1))};
}

std::optional<quarantine_book::entry> pg_quarantine_book::find(std::uint64_t id) {
    auto r =
        c_.run("SELECT device_id, status, payload, site FROM noi_quarantine WHERE id = $1", {id});
    if (r.rows() == 0) return std::nullopt;
    entry e;
    e.device_id = r.bytes(0, 0);
    e.status = quarantine_state_of(r.bytes(0, 1));
    e.kept = !r.is_null(0, 2) && !r.bytes(0, 2).empty();
    if (e.kept) e.row = decode_quarantined(r.bytes(0, 2));
    e.pusher = site_from(r.bytes(0, 3));
    return e;
}

std::optional<quarantine_state> pg_quarantine_book::status(std::uint64_t id) {
    auto r = c_.run("SELECT status FROM noi_quarantine WHERE id = $1", {id});
    if (r.rows() == 0) return std::nullopt;
    return quarantine_state_of(r.bytes(0, 0));
}

bool pg_quarantine_book::discard(std::uint64_t id) {
    return c_.run("UPDATE noi_quarantine SET status = 'discarded', payload = NULL WHERE id = $1 "
                  "AND status = 'open'",
                  {id})
               .changed() > 0;
}

void pg_quarantine_book::mark_released(std::uint64_t id) {
    c_.run("UPDATE noi_quarantine SET status = 'released' WHERE id = $1", {id});
}

std::vector<quarantine_record> pg_quarantine_book::all() {
    auto r = c_.run("SELECT id, device_id, tbl, row_id, reason, message, status, received_at, "
                    "repeats FROM noi_quarantine ORDER BY id");
    std::vector<quarantine_record> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({static_cast<std::uint64_t>(r.integer(i, 0)), r.bytes(i, 1), r.bytes(i, 2),
                       r.bytes(i, 3), static_cast<proto::reject_reason>(r.integer(i, 4)),
                       r.bytes(i, 5), quarantine_state_of(r.bytes(i, 6)), r.integer(i, 7),
                       static_cast<std::uint64_t>(r.integer(i, 8))});
    return out;
}

std::uint64_t pg_quarantine_book::open_count() {
    return static_cast<std::uint64_t>(
        c_.run("SELECT count(*) FROM noi_quarantine WHERE status = 'open'").integer(0, 0));
}

std::vector<std::pair<std::uint64_t, quarantine_book::entry>> pg_quarantine_book::released() {
    auto r = c_.run("SELECT id, device_id, site, payload FROM noi_quarantine WHERE status = "
                    "'released' AND payload IS NOT NULL ORDER BY id");
    std::vector<std::pair<std::uint64_t, entry>> out;
    for (int i = 0; i < r.rows(); ++i) {
        entry e;
        e.device_id = r.bytes(i, 1);
        e.pusher = site_from(r.bytes(i, 2));
        e.status = quarantine_state::released;
        e.kept = true;
        e.row = decode_quarantined(r.bytes(i, 3));
        out.emplace_back(static_cast<std::uint64_t>(r.integer(i, 0)), std::move(e));
    }
    return out;
}

} // namespace noi
