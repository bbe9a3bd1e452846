#include "pg_scratch.hpp"

#include <pg_connection.hpp>

#include <noi/sync/error.hpp>

#include <libpq-fe.h>

namespace noi {
namespace {

std::string quoted(const std::string& v) {
    std::string out = "'";
    for (char c : v) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

} // namespace

std::string conninfo_with_database(const std::string& conninfo, const std::string& dbname) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (!options) {
        std::string why = error ? error : "out of memory";
        PQfreemem(error);
        throw sync_error(errc::refused, "not a PostgreSQL connection string: " + why);
    }
    std::string out;
    for (auto* o = options; o->keyword; ++o)
        if (o->val && *o->val && std::string(o->keyword) != "dbname")
            out += std::string(o->keyword) + "=" + quoted(o->val) + " ";
    PQconninfoFree(options);
    return out + "dbname=" + quoted(dbname);
}

pg_scratch::pg_scratch(const std::string& server, std::string name)
    : server_(server), name_(std::move(name)), conninfo_(conninfo_with_database(server_, name_)) {
    pg::connection c(server_);
    c.exec("DROP DATABASE IF EXISTS " + name_);
    c.exec("CREATE DATABASE " + name_ + " ENCODING 'UTF8' TEMPLATE template0");
}

pg_scratch::~pg_scratch() {
    try {
        pg::connection c(server_);
        c.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception&) {
        // Left behind (the server is gone): its name says whose it was.
    }
}

} // namespace noi
