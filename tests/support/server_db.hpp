// The store of a test's server, on SQLite or on PostgreSQL as the run asks: CTest runs the
// end-to-end and chaos tests twice, the second time (tests named pg:…) with
// NOI_TEST_STORE=postgresql, each server then in a database of its own in the cluster of the
// fixture `pg`. Tests read and change a server's data through these, in SQL both stores take.
#pragma once

#include "pg_database.hpp"

#include <noi/sync/hlc.hpp>
#include <noi/sync/server_store.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace noi::test {

bool servers_on_postgresql();

class test_store {
public:
    test_store(); // on PostgreSQL, makes the database
    // What `noi-server init` is given to put its server there.
    std::vector<std::string> init_options() const;
    // Makes a server in data_dir on it, in this process; returns the first admin token.
    std::string init(const std::string& data_dir) const;
    // The PostgreSQL database; null on SQLite.
    const pg_database* database() const { return db_.get(); }

private:
    std::unique_ptr<pg_database> db_;
};

// The store of a data directory, opened beside its server (or with the server stopped).
std::unique_ptr<server_store> open_server_store(const std::string& data_dir, const wall_clock& wall,
                                                server_options so = {});

// The first column of the first row `sql` gives on the store of a data directory.
std::int64_t server_count(const std::string& data_dir, const std::string& sql);
void server_exec(const std::string& data_dir, const std::string& sql);

} // namespace noi::test
