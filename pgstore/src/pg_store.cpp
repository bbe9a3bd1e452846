#include <noi/pgstore/pg_store.hpp>

#include "pg_port.hpp"

namespace noi {

std::unique_ptr<sync_service> create_pg_store(const std::string& conninfo, const wall_clock& wall,
                                              replica_options opt, server_options so,
                                              const map_choice& map) {
    const auto chosen = checked_map(map, wall.now_ms());
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
