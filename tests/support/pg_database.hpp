// A database of its own for one test, in the cluster of the CTest fixture `pg`
// (tests/support/pg_cluster.sh), dropped when the test ends.
#pragma once

#include <string>

namespace noi::test {

// The connection string of the fixture's cluster (its database `postgres`).
std::string cluster_conninfo();
// The connection string of database `name` in it.
std::string database_conninfo(const std::string& name);

class pg_database {
public:
    pg_database();
    ~pg_database();
    pg_database(const pg_database&) = delete;
    pg_database& operator=(const pg_database&) = delete;

    // The libpq connection string of this test's database.
    const std::string& conninfo() const { return conninfo_; }
    const std::string& name() const { return name_; }
    // The cluster's own (dbname=postgres).
    const std::string& cluster() const { return cluster_; }

private:
    std::string cluster_, name_, conninfo_;
};

} // namespace noi::test
