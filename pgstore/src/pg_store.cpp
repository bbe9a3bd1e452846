#include <noi/pgstore/pg_store.hpp>

#include "pg_port.hpp"
#include "pg_tables.hpp"

#include <noi/sync/error.hpp>

#include <libpq-fe.h>

namespace noi {

std::unique_ptr<sync_service> create_pg_store(const std::string& conninfo, const wall_clock& wall,
                                              replica_options opt, server_options so,
                                              const map_choice& map,
                                              const std::function<void(server_store&)>& also) {
    const auto chosen = checked_map(map, wall.now_ms());
    auto port = pg_port::create(conninfo, wall, opt);
    auto& creation = *port;
    auto s = std::make_unique<sync_service>(std::move(port), so);
    {
        auto tx = s->begin();
        s->new_epoch();
        s->start_map(chosen);
        tx->commit();
    }
    if (also) also(*s);
    creation.commit_creation();
    return s;
}

bool pg_store_exists(const std::string& conninfo) {
    pg::connection c(conninfo);
    return pg::holds_store(c);
}

void check_pg_conninfo(const std::string& conninfo) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (!options) {
        std::string why = error ? error : "out of memory";
        PQfreemem(error);
        while (!why.empty() && why.back() == '\n')
            why.pop_back();
        throw sync_error(errc::refused, "not a PostgreSQL connection string (" + why +
                                            "); give one like postgresql://noi@db.example/noi or "
                                            "'host=db.example dbname=noi user=noi'");
    }
    bool password = false;
    for (auto* o = options; o->keyword; ++o)
        if (std::string_view(o->keyword) == "password" && o->val && *o->val) password = true;
    PQconninfoFree(options);
    if (password)
        throw sync_error(errc::refused,
                         "the connection string holds a password, which would then be kept in "
                         "the data directory and shown in logs; remove it and put it in the "
                         "PostgreSQL password file (~/.pgpass) or a service file "
                         "(docs/operations.md)");
}

std::unique_ptr<sync_service> open_pg_store(const std::string& conninfo, const wall_clock& wall,
                                            replica_options opt, server_options so) {
    return std::make_unique<sync_service>(std::make_unique<pg_port>(conninfo, wall, opt), so);
}

} // namespace noi
