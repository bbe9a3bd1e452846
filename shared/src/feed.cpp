#include "feed.hpp"

#include <noi/sync/server_store.hpp>

#include <algorithm>

namespace noi {

feed::feed(database& db) : db_(db) {
    auto st = db_.prepare("SELECT coalesce(max(seq), 0) FROM noi_feed");
    if (st.step()) seq_ = static_cast<std::uint64_t>(st.column_int(0));
}

void feed::record(std::uint64_t seq, const std::string& table, const std::string& id,
                  const value& scope, const site_id* pusher, const feed_audit* audit) {
    auto& f = db_.cached("INSERT INTO noi_feed(seq, tbl, id, scope, site, at, device_id, "
                         "writer, cells, prev) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    f.bind(1, static_cast<std::int64_t>(seq)).bind(2, table).bind(3, id).bind(4, scope);
    if (pusher) f.bind_blob(5, pusher->data(), pusher->size());
    if (audit) {
        f.bind(6, audit->at).bind(7, audit->device_id);
        if (!pusher || *pusher != audit->writer)
            f.bind_blob(8, audit->writer.data(), audit->writer.size());
        f.bind_blob(9, audit->cells.data(), audit->cells.size());
        if (audit->prev) f.bind(10, static_cast<std::int64_t>(audit->prev));
    }
    f.run();
}

void feed::for_everyone(std::uint64_t seq) {
    auto& everyone = db_.cached(
        "UPDATE noi_feed SET writer = coalesce(writer, site), site = NULL WHERE seq = ?1");
    everyone.bind(1, static_cast<std::int64_t>(seq));
    everyone.run();
}

void emissions::add(const value& scope, std::uint64_t seq) {
    if (const auto* s = std::get_if<std::string>(&scope))
        scopes[*s] = std::max(scopes[*s], seq);
    else
        global = std::max(global, seq);
}

std::uint64_t emissions::for_scope(const std::string& scope) const {
    std::uint64_t top = global;
    if (scope == "*") {
        for (const auto& [s, seq] : scopes)
            top = std::max(top, seq);
    } else if (auto it = scopes.find(scope); it != scopes.end()) {
        top = std::max(top, it->second);
    }
    return top;
}

} // namespace noi
