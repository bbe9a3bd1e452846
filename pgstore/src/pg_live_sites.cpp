#include "pg_live_sites.hpp"

#include "pg_feed.hpp"

namespace noi {

void pg_live_sites::beat(const std::string& holder, const std::string& host, std::int64_t pid,
                         std::int64_t now, bool first) {
    if (first) c_.run("DELETE FROM noi_holders WHERE beat_at < $1", {now - 24 * 3600 * 1000});
    c_.run("INSERT INTO noi_holders(holder, host, pid, beat_at) VALUES ($1, $2, $3, $4) ON "
           "CONFLICT (holder) DO UPDATE SET beat_at = excluded.beat_at",
           {holder, host, pid, now});
}

std::optional<live_sites::holder> pg_live_sites::find_holder(const std::string& holder) {
    auto r = c_.run("SELECT host, pid, beat_at FROM noi_holders WHERE holder = $1", {holder});
    if (r.rows() == 0) return std::nullopt;
    return live_sites::holder{r.bytes(0, 0), r.integer(0, 1), r.integer(0, 2)};
}

std::optional<std::string> pg_live_sites::claimant(const site_id& s) {
    auto r = c_.run("SELECT holder FROM noi_live_sites WHERE site = $1", {site_param(s)});
    if (r.rows() == 0) return std::nullopt;
    return r.bytes(0, 0);
}

void pg_live_sites::claim(const site_id& s, const std::string& holder, std::int64_t now) {
    c_.run("INSERT INTO noi_live_sites(site, holder, since) VALUES ($1, $2, $3) ON CONFLICT "
           "(site) DO UPDATE SET holder = excluded.holder, since = excluded.since",
           {site_param(s), holder, now});
}

void pg_live_sites::release(const site_id& s, const std::string& holder) {
    c_.run("DELETE FROM noi_live_sites WHERE site = $1 AND holder = $2", {site_param(s), holder});
}

void pg_live_sites::leave(const std::string& holder) {
    c_.run("DELETE FROM noi_live_sites WHERE holder = $1", {holder});
    c_.run("DELETE FROM noi_holders WHERE holder = $1", {holder});
}

} // namespace noi
