#include "server_db.hpp"

#include "pg_connection.hpp"

#include <noi/pgstore/pg_store.hpp>
#include <noi/server/server.hpp>
#include <noi/sync/database.hpp>
#include <noi/sync/sqlite_store.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>

namespace noi::test {
namespace {

// The PostgreSQL database a data directory names (noi-server init --store); nullopt for SQLite.
std::optional<std::string> postgresql_of(const std::string& data_dir) {
    std::ifstream in(data_dir + "/store.json");
    if (!in) return std::nullopt;
    return nlohmann::json::parse(in).at("conninfo").get<std::string>();
}

} // namespace

bool servers_on_postgresql() {
    const char* store = std::getenv("NOI_TEST_STORE");
    return store && std::string(store) == "postgresql";
}

test_store::test_store() {
    if (servers_on_postgresql()) db_ = std::make_unique<pg_database>();
}

std::vector<std::string> test_store::init_options() const {
    if (!db_) return {};
    return {"--store", db_->conninfo()};
}

std::string test_store::init(const std::string& data_dir) const {
    if (!db_) return server::init_data_dir(data_dir);
    auto token = server::init_data_dir_on_postgresql(data_dir, db_->conninfo());
    if (!token) throw std::runtime_error("the test's database held a store already");
    return *token;
}

std::unique_ptr<server_store> open_server_store(const std::string& data_dir, const wall_clock& wall,
                                                server_options so) {
    if (const auto conninfo = postgresql_of(data_dir))
        return open_pg_store(*conninfo, wall, {}, so);
    return sqlite_store::open(data_dir + "/noi.db", wall, {}, so);
}

std::int64_t server_count(const std::string& data_dir, const std::string& sql) {
    if (const auto conninfo = postgresql_of(data_dir)) {
        pg::connection c(*conninfo);
        auto r = c.run(sql);
        if (r.rows() == 0) throw std::runtime_error("no row: " + sql);
        return r.integer(0, 0);
    }
    database db(data_dir + "/noi.db", false);
    auto st = db.prepare(sql);
    if (!st.step()) throw std::runtime_error("no row: " + sql);
    return st.column_int(0);
}

void server_exec(const std::string& data_dir, const std::string& sql) {
    if (const auto conninfo = postgresql_of(data_dir)) {
        pg::connection c(*conninfo);
        c.exec(sql);
        return;
    }
    database(data_dir + "/noi.db", false).exec(sql);
}

} // namespace noi::test
