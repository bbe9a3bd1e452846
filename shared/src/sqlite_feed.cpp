#include "sqlite_feed.hpp"

#include <noi/sync/replica.hpp>

#include "site_bytes.hpp"

#include <algorithm>

namespace noi {

sqlite_feed::sqlite_feed(replica& rep) : rep_(rep), db_(rep.db()) {
    reload();
}

std::uint64_t sqlite_feed::committed_head() {
    auto& st = db_.cached("SELECT coalesce(max(seq), 0) FROM noi_feed");
    std::uint64_t head = 0;
    if (st.step()) head = static_cast<std::uint64_t>(st.column_int(0));
    st.reset();
    return head;
}

void sqlite_feed::record(std::uint64_t seq, const std::string& table, const std::string& id,
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

void sqlite_feed::for_everyone(std::uint64_t seq) {
    auto& everyone = db_.cached(
        "UPDATE noi_feed SET writer = coalesce(writer, site), site = NULL WHERE seq = ?1");
    everyone.bind(1, static_cast<std::int64_t>(seq));
    everyone.run();
}

void sqlite_feed::answer(std::uint64_t seq, const std::string& table, const std::string& id,
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

void sqlite_feed::supersede(const std::vector<std::uint64_t>& held, const row_state& after) {
    const auto kept = sequences_of(after);
    auto& dead = db_.cached("UPDATE noi_feed SET dead = 1 WHERE seq = ?1");
    for (auto seq : held)
        if (!std::binary_search(kept.begin(), kept.end(), seq)) {
            dead.bind(1, static_cast<std::int64_t>(seq));
            dead.run();
        }
}

void sqlite_feed::read(const feed_query& q, const std::function<bool(const feed_entry&)>& fn) {
    // Index ranges merged in seq order: with an OR, SQLite reads every later row of the commune
    // and sorts them before the LIMIT, which made a bootstrap quadratic. Dead entries and
    // others' answers are outside the ranges (partial indexes), so no pull pages through them.
    std::string sql;
    if (!q.units) {
        sql = "SELECT seq, tbl, id, site, 0 FROM noi_feed WHERE seq > ?1 AND dead IS NULL AND "
              "only_site IS NULL UNION ALL ";
    } else {
        for (std::size_t i = 0; i < q.units->size(); ++i)
            sql += "SELECT seq, tbl, id, site, 0 FROM noi_feed WHERE scope = ?" +
                   std::to_string(4 + i) +
                   " AND seq > ?1 AND dead IS NULL AND only_site IS NULL UNION ALL ";
        sql += "SELECT seq, tbl, id, site, 0 FROM noi_feed WHERE scope IS NULL AND seq > ?1 AND "
               "dead IS NULL AND only_site IS NULL UNION ALL ";
    }
    sql += "SELECT seq, tbl, id, site, 1 FROM noi_feed WHERE only_site = ?3 AND dead IS NULL AND "
           "seq > ?1 ORDER BY seq LIMIT ?2";
    auto& st = db_.cached(sql);
    st.bind(1, static_cast<std::int64_t>(q.after)).bind(2, static_cast<std::int64_t>(q.limit));
    if (q.units)
        for (std::size_t i = 0; i < q.units->size(); ++i)
            st.bind(static_cast<int>(4 + i), (*q.units)[i]);
    if (q.answers_for)
        st.bind_blob(3, q.answers_for->data(), q.answers_for->size());
    else
        st.bind_null(3);
    // Stepped while fn reads the rows, so the feed and the rows are one snapshot.
    struct reset_after {
        statement& st;
        ~reset_after() { st.reset(); }
    } done{st};
    bool stepped = st.step();
    // The schema of that snapshot: a reader's connection read it before a version may have
    // been published, and would leave the new tables and columns out.
    rep_.refresh_schema();
    feed_entry e;
    for (; stepped; stepped = st.step()) {
        e.seq = static_cast<std::uint64_t>(st.column_int(0));
        e.table = st.column_text(1);
        e.id = st.column_text(2);
        if (st.column_is_null(3))
            e.pusher.reset();
        else
            e.pusher = to_site(st.column_blob(3));
        e.answer = st.column_int(4) != 0;
        if (!fn(e)) return;
    }
}

std::vector<std::pair<value, std::uint64_t>> sqlite_feed::newest_after(std::uint64_t after) {
    std::vector<std::pair<value, std::uint64_t>> out;
    auto& st = db_.cached("SELECT scope, max(seq) FROM noi_feed WHERE seq > ?1 AND dead IS "
                          "NULL AND only_site IS NULL GROUP BY scope");
    st.bind(1, static_cast<std::int64_t>(after));
    while (st.step())
        out.emplace_back(st.column_is_null(0) ? value{} : value{st.column_text(0)},
                         static_cast<std::uint64_t>(st.column_int(1)));
    st.reset();
    return out;
}

} // namespace noi
