// Opening and creating the SQLite store (sqlite_store.hpp); the restore's take-over is in
// restore_carry.cpp.
#include <noi/sync/error.hpp>
#include <noi/sync/sqlite_store.hpp>

#include "sqlite_port.hpp"

namespace noi {

sqlite_store::sqlite_store(std::unique_ptr<replica> r, server_options so)
    : sync_service(std::make_unique<sqlite_port>(std::move(r)), so) {}

replica& sqlite_store::rep() {
    return static_cast<sqlite_port&>(port()).rep();
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
    const auto chosen = checked_map(map, wall.now_ms());
    auto r = replica::create(path, replica_role::server, wall, opt);
    r->install_default_schema();
    auto s = std::make_unique<sqlite_store>(std::move(r), so);
    s->new_epoch();
    auto tx = s->begin();
    s->start_map(chosen);
    tx->commit();
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

} // namespace noi
