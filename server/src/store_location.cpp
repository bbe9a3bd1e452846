#include "store_location.hpp"

#include "data_dir_lock.hpp"

#include <noi/pgstore/pg_store.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/sqlite_store.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace noi::server {
namespace {

std::string config_path(const std::string& dir) {
    return dir + "/store.json";
}

} // namespace

std::string database_path(const std::string& dir) {
    return dir + "/noi.db";
}

std::optional<store_location> find_store(const std::string& dir) {
    const auto config = config_path(dir);
    if (!std::filesystem::exists(config)) {
        if (std::filesystem::exists(database_path(dir))) return store_location{};
        return std::nullopt;
    }
    std::ifstream in(config);
    const auto j = nlohmann::json::parse(in, nullptr, false);
    const auto refuse = [&](const std::string& why) {
        return sync_error(errc::refused, config + " " + why +
                                             "; it is written by noi-server init --store, as "
                                             "{\"store\": \"postgresql\", \"conninfo\": \"…\"}");
    };
    if (j.is_discarded() || !j.is_object()) throw refuse("is not JSON");
    if (j.value("store", "") != "postgresql") throw refuse("names no store it knows");
    const auto conninfo = j.find("conninfo");
    if (conninfo == j.end() || !conninfo->is_string() || conninfo->get<std::string>().empty())
        throw refuse("holds no connection string");
    check_pg_conninfo(*conninfo);
    return store_location{*conninfo};
}

void record_postgresql_store(const std::string& dir, const std::string& conninfo) {
    check_pg_conninfo(conninfo);
    write_owner_only(config_path(dir),
                     nlohmann::json{{"store", "postgresql"}, {"conninfo", conninfo}}.dump(2) +
                         "\n");
}

void forget_store(const std::string& dir) {
    std::error_code ignored;
    std::filesystem::remove(config_path(dir), ignored);
}

std::unique_ptr<server_store> open_store(const std::string& dir, const store_location& where,
                                         const wall_clock& wall, replica_options opt,
                                         server_options so) {
    if (where.on_postgresql()) return open_pg_store(where.postgresql, wall, opt, so);
    return sqlite_store::open(database_path(dir), wall, opt, so);
}

} // namespace noi::server
