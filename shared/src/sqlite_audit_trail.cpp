#include "sqlite_audit_trail.hpp"

#include <noi/sync/error.hpp>

#include "site_bytes.hpp"

#include <tuple>

namespace noi {

// The lists are stored and committed here, before any push: one stored inside a push that
// then rolls back to a savepoint would leave a number the cache holds but the database does
// not. Inside another transaction (a schema read again under the write lock) they are only
// looked up, for the same reason: a table's list missing then is stored at the next open, and
// its inserts name their columns until then. Only a list not stored yet writes, so an
// unchanged database opens without a write.
sqlite_audit_trail::sqlite_audit_trail(database& db, const schema& tables) : db_(db) {
    auto& find = db_.cached("SELECT id FROM noi_audit_columns WHERE names = ?1");
    auto lookup = [&](audit_column_list& list, const std::string& packed) {
        find.bind_blob(1, packed.data(), packed.size());
        const bool found = find.step();
        if (found) list.id = static_cast<std::uint64_t>(find.column_int(0));
        find.reset();
        return found;
    };
    std::vector<std::tuple<std::string, audit_column_list, std::string>> missing;
    for (const auto& t : tables.tables) {
        audit_column_list list;
        list.names = creation_names(t);
        auto packed = pack_values({list.names.begin(), list.names.end()});
        if (lookup(list, packed))
            lists_[t.name] = std::move(list);
        else
            missing.emplace_back(t.name, std::move(list), std::move(packed));
    }
    if (missing.empty() || db_.in_transaction()) return;
    transaction tx(db_);
    auto& add =
        db_.cached("INSERT INTO noi_audit_columns(names) VALUES (?1) ON CONFLICT DO NOTHING");
    for (auto& [table, list, packed] : missing) {
        add.bind_blob(1, packed.data(), packed.size());
        add.run();
        if (!lookup(list, packed))
            throw sync_error(errc::corrupt_state, "an audit column list was lost");
        lists_[table] = std::move(list);
    }
    tx.commit();
}

std::vector<std::string> sqlite_audit_trail::column_list(std::uint64_t id) {
    auto& st = db_.cached("SELECT names FROM noi_audit_columns WHERE id = ?1");
    st.bind(1, static_cast<std::int64_t>(id));
    if (!st.step())
        throw sync_error(errc::corrupt_state, "an audit record names column list " +
                                                  std::to_string(id) +
                                                  ", which is missing; restore the "
                                                  "database from a backup");
    auto names = unpack_column_names(st.column_blob(0));
    st.reset();
    return names;
}

std::optional<audit_trail::stored> sqlite_audit_trail::on_entry(std::uint64_t seq) {
    auto& st = db_.cached("SELECT at, device_id, coalesce(writer, site), cells, prev FROM noi_feed "
                          "WHERE seq = ?1 AND cells IS NOT NULL");
    st.bind(1, static_cast<std::int64_t>(seq));
    std::optional<stored> out;
    if (st.step())
        out = stored{seq,
                     st.column_int(0),
                     st.column_text(1),
                     to_site(st.column_blob(2)),
                     st.column_blob(3),
                     static_cast<std::uint64_t>(st.column_int(4))};
    st.reset();
    return out;
}

std::vector<audit_trail::stored> sqlite_audit_trail::before_feed(const std::string& table,
                                                                 const std::string& row_id) {
    auto st = db_.prepare("SELECT id, at, device_id, site, cells FROM noi_audit WHERE tbl = ?1 "
                          "AND row_id = ?2 ORDER BY id");
    st.bind(1, table).bind(2, row_id);
    std::vector<stored> out;
    while (st.step())
        out.push_back({static_cast<std::uint64_t>(st.column_int(0)), st.column_int(1),
                       st.column_text(2), to_site(st.column_blob(3)), st.column_blob(4), 0});
    return out;
}

} // namespace noi
