#include "pg_database.hpp"

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
    return conninfo_with_database(cluster_conninfo(), name);
}

namespace {

std::string random_name() {
    std::random_device rd;
    std::string name = "noi_t_";
    name += std::to_string(rd());
    name += std::to_string(rd());
    return name;
}

} // namespace

pg_database::pg_database() : pg_scratch(cluster_conninfo(), random_name()) {}

} // namespace noi::test
