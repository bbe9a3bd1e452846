// A database of its own for one test, in the cluster of the CTest fixture `pg`
// (tests/support/pg_cluster.sh), dropped when the test ends.
#pragma once

#include <pg_scratch.hpp>

#include <string>

namespace noi::test {

// The connection string of the fixture's cluster (its database `postgres`).
std::string cluster_conninfo();
// The connection string of database `name` in it.
std::string database_conninfo(const std::string& name);

class pg_database : public pg_scratch {
public:
    pg_database();
    // The cluster's own (dbname=postgres).
    const std::string& cluster() const { return server(); }
};

} // namespace noi::test
