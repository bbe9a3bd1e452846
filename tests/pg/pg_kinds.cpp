// The PostgreSQL store for the store tests (store_kinds.hpp): a database of the fixture's
// cluster named after the test's directory, the Bắc Kạn map of 2022. The databases go with
// the cluster when the fixture stops it.
#include "pg_connection.hpp"
#include "pg_database.hpp"
#include "pg_port.hpp"
#include "store_kinds.hpp"

#include <noi/pgstore/pg_store.hpp>

#include <functional>

namespace noi::test {
namespace {

// The database of the test directory `dir`, made at the first call.
std::string database_of(const std::string& dir, bool make) {
    std::string name = "noi_k";
    name += std::to_string(std::hash<std::string>{}(dir));
    if (make) pg::connection(cluster_conninfo()).exec("CREATE DATABASE " + name);
    return database_conninfo(name);
}

std::unique_ptr<server_store> open_store(const std::string& dir, const wall_clock& wall,
                                         const server_options& so) {
    return open_pg_store(database_of(dir, false), wall, {}, so);
}

std::unique_ptr<store_port> open_port(const std::string& dir, const wall_clock& wall,
                                      std::uint64_t seed) {
    return std::make_unique<pg_port>(database_of(dir, false), wall, replica_options{seed});
}

} // namespace

const std::vector<store_kind>& store_kinds() {
    static const std::vector<store_kind> kinds{
        {"postgresql",
         [](const std::string& dir, const wall_clock& wall, const server_options& so) {
             return std::unique_ptr<server_store>(
                 create_pg_store(database_of(dir, true), wall, {1}, so, {"06", {}}));
         },
         open_store}};
    return kinds;
}

const std::vector<port_kind>& port_kinds() {
    static const std::vector<port_kind> kinds{
        {"postgresql",
         [](const std::string& dir, const wall_clock& wall, std::uint64_t seed) {
             create_pg_store(database_of(dir, true), wall, {seed}, {}, {"06", {}});
             return open_port(dir, wall, seed);
         },
         open_port}};
    return kinds;
}

} // namespace noi::test
