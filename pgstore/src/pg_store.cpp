#include <noi/pgstore/pg_store.hpp>
#include <noi/sync/dates.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/national_map.hpp>

#include "pg_port.hpp"

namespace noi {

std::unique_ptr<sync_service> create_pg_store(const std::string& conninfo, const wall_clock& wall,
                                              replica_options opt, server_options so,
                                              const map_choice& map) {
    // Checked before anything is made: a refused province leaves nothing behind.
    auto chosen = map;
    if (chosen.as_of.empty()) chosen.as_of = vietnam_day(wall.now_ms());
    if (!is_iso_date(chosen.as_of))
        throw sync_error(errc::refused,
                         "--as-of takes a date written YYYY-MM-DD, not " + chosen.as_of);
    const auto& country = national_map::shipped();
    if (country.province_units(chosen.province, chosen.as_of).empty())
        throw sync_error(errc::refused, country.province_refusal(chosen.province, chosen.as_of));
    pg_port::create(conninfo, wall, opt);
    auto s = std::make_unique<sync_service>(std::make_unique<pg_port>(conninfo, wall, opt), so);
    auto tx = s->begin();
    s->new_epoch();
    s->start_map(chosen);
    tx->commit();
    return s;
}

std::unique_ptr<sync_service> open_pg_store(const std::string& conninfo, const wall_clock& wall,
                                            replica_options opt, server_options so) {
    return std::make_unique<sync_service>(std::make_unique<pg_port>(conninfo, wall, opt), so);
}

} // namespace noi
