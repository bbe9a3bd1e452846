// The SQLite store for the store tests (store_kinds.hpp): a file in the test's directory, the
// Bắc Kạn map of 2022.
#include "sqlite_port.hpp"
#include "store_kinds.hpp"

#include <noi/sync/sqlite_store.hpp>

namespace noi::test {
namespace {

std::unique_ptr<server_store> open_store(const std::string& dir, const wall_clock& wall,
                                         const server_options& so) {
    // Unseeded, as another process is: its ids (its holder's among them) are its own.
    return sqlite_store::open(dir + "/server.db", wall, {}, so);
}

std::unique_ptr<store_port> open_port(const std::string& dir, const wall_clock& wall,
                                      std::uint64_t seed) {
    return std::make_unique<sqlite_port>(replica::open(dir + "/server.db", wall, {seed}));
}

} // namespace

const std::vector<store_kind>& store_kinds() {
    static const std::vector<store_kind> kinds{
        {"sqlite",
         [](const std::string& dir, const wall_clock& wall, const server_options& so) {
             return std::unique_ptr<server_store>(
                 sqlite_store::create(dir + "/server.db", wall, {1}, so, {"06", {}}));
         },
         open_store}};
    return kinds;
}

const std::vector<port_kind>& port_kinds() {
    static const std::vector<port_kind> kinds{
        {"sqlite",
         [](const std::string& dir, const wall_clock& wall, std::uint64_t seed) {
             sqlite_store::create(dir + "/server.db", wall, {seed}, {}, {"06", {}});
             return open_port(dir, wall, seed);
         },
         open_port}};
    return kinds;
}

} // namespace noi::test
