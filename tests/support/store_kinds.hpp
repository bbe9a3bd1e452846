// The stores the store tests run against (store_contract_test, store_invariants_test,
// store_port_test): each test binary links one list. sync_tests links SQLite's
// (sqlite_kinds.cpp); pg_tests links PostgreSQL's (tests/pg/pg_kinds.cpp), whose cluster the
// CTest fixture `pg` starts. A new store adds a list and a test binary that links it.
#pragma once

#include <noi/sync/server_store.hpp>
#include <noi/sync/store_port.hpp>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace noi::test {

using store_factory = std::function<std::unique_ptr<server_store>(
    const std::string& dir, const wall_clock& wall, const server_options& so)>;

struct store_kind {
    const char* name;
    // A new store, and its first instance; `dir` is the test's own directory, which names the
    // store (a file in it, or a database named after it).
    store_factory make;
    store_factory open; // another instance on the store `make` made for `dir`
};

using port_factory = std::function<std::unique_ptr<store_port>(
    const std::string& dir, const wall_clock& wall, std::uint64_t seed)>;

struct port_kind {
    const char* name;
    port_factory make; // a new store, and a first port on it
    port_factory open; // another port on the store `make` made
};

const std::vector<store_kind>& store_kinds();
const std::vector<port_kind>& port_kinds();

// Names the kind in test output, instead of the bytes of its factories.
inline void PrintTo(const store_kind& k, std::ostream* os) {
    *os << k.name;
}
inline void PrintTo(const port_kind& k, std::ostream* os) {
    *os << k.name;
}

} // namespace noi::test
