#include "pg_database.hpp"

#include "pg_connection.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

namespace noi::test {
std::string cluster_conninfo() {
    const char* state = std::getenv("NOI_PG_STATE");
    if (!state)
        throw std::runtime_error("NOI_PG_STATE is not set: run this test through ctest, whose "
                                 "fixture `pg` starts the cluster (tests/support/pg_cluster.sh)");
    std::ifstream in(state);
    std::string line;
    if (!std::getline(in, line) || line.empty())
        throw std::runtime_error(std::string("no cluster is running: ") + state + " is missing");
    return line;
}

std::string database_conninfo(const std::string& name) {
    const auto cluster = cluster_conninfo();
    return cluster.substr(0, cluster.rfind("dbname=")) + "dbname=" + name;
}

pg_database::pg_database() : cluster_(cluster_conninfo()) {
    std::random_device rd;
    name_ = "noi_t_";
    name_ += std::to_string(rd());
    name_ += std::to_string(rd());
    pg::connection c(cluster_);
    c.exec("CREATE DATABASE " + name_);
    conninfo_ = database_conninfo(name_);
}

pg_database::~pg_database() {
    try {
        pg::connection c(cluster_);
        c.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception&) {
        // The cluster is stopped with its databases by the fixture's cleanup anyway.
    }
}

} // namespace noi::test
