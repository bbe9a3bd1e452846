// noi-bench --store: the PostgreSQL figures, each in a database of its own that noi-bench
// makes in the server the connection string reaches and drops once the figure is done.
#pragma once

#include <string>

namespace noi::bench {

class pg_scratch {
public:
    // `conninfo` reaches a database in which the user may CREATE DATABASE; `name` tells the
    // figures apart (noi_bench_NAME_PID).
    pg_scratch(const std::string& conninfo, const std::string& name);
    ~pg_scratch();
    pg_scratch(const pg_scratch&) = delete;
    pg_scratch& operator=(const pg_scratch&) = delete;
    const std::string& conninfo() const { return conninfo_; }

private:
    std::string server_, name_, conninfo_;
};

} // namespace noi::bench
