#include "feed.hpp"

#include <noi/sync/server_store.hpp>

#include <algorithm>

namespace noi {

feed::feed(database& db) : db_(db) {
    reload();
}

std::uint64_t feed::committed_head() {
    auto& st = db_.cached("SELECT coalesce(max(seq), 0) FROM noi_feed");
    std::uint64_t head = 0;
    if (st.step()) head = static_cast<std::uint64_t>(st.column_int(0));
    st.reset();
    return head;
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

void feed::answer(std::uint64_t seq, const std::string& table, const std::string& id,
                  const value& scope, const site_id& site) {
    auto& older = db_.cached("UPDATE noi_feed SET dead = 1 WHERE only_site = ?1 AND tbl = ?2 AND "
                             "id = ?3 AND dead IS NULL");
    older.bind_blob(1, site.data(), site.size()).bind(2, table).bind(3, id);
    older.run();
    auto& f = db_.cached(
        "INSERT INTO noi_feed(seq, tbl, id, scope, only_site) VALUES (?1, ?2, ?3, ?4, ?5)");
    f.bind(1, static_cast<std::int64_t>(seq)).bind(2, table).bind(3, id).bind(4, scope);
    f.bind_blob(5, site.data(), site.size());
    f.run();
}

void feed::supersede(const std::vector<std::uint64_t>& held, const row_state& after) {
    const auto kept = sequences_of(after);
    auto& dead = db_.cached("UPDATE noi_feed SET dead = 1 WHERE seq = ?1");
    for (auto seq : held)
        if (!std::binary_search(kept.begin(), kept.end(), seq)) {
            dead.bind(1, static_cast<std::int64_t>(seq));
            dead.run();
        }
}

void emissions::add(const value& scope, std::uint64_t seq) {
    if (const auto* s = std::get_if<std::string>(&scope))
        scopes[*s] = std::max(scopes[*s], seq);
    else
        global = std::max(global, seq);
}

std::uint64_t emissions::for_device(const device& d) const {
    std::uint64_t top = global;
    if (d.scope == "*") {
        for (const auto& [s, seq] : scopes)
            top = std::max(top, seq);
        return top;
    }
    for (const auto& unit : d.read_units())
        if (auto it = scopes.find(unit); it != scopes.end()) top = std::max(top, it->second);
    return top;
}

} // namespace noi
