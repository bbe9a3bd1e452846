// A database of its own in a PostgreSQL server, made at once and dropped when done: each
// figure of noi-bench --store, and each test of the PostgreSQL store.
#pragma once

#include <string>

namespace noi {

// `conninfo` in any form libpq takes, naming database `dbname` instead of its own.
std::string conninfo_with_database(const std::string& conninfo, const std::string& dbname);

class pg_scratch {
public:
    // `server` reaches a database in which the user may CREATE DATABASE; `name` is the new
    // database's (one left by an earlier run under that name is dropped first).
    pg_scratch(const std::string& server, std::string name);
    ~pg_scratch();
    pg_scratch(const pg_scratch&) = delete;
    pg_scratch& operator=(const pg_scratch&) = delete;

    const std::string& conninfo() const { return conninfo_; }
    const std::string& name() const { return name_; }
    // The connection string it was made through.
    const std::string& server() const { return server_; }

private:
    std::string server_, name_, conninfo_;
};

} // namespace noi
