#include "sqlite_audit_trail.hpp"

#include <noi/sync/error.hpp>

#include "site_bytes.hpp"

#include <algorithm>
#include <tuple>

namespace noi {

// The lists are stored and committed here, before any push: one stored inside a push that
// then rolls back to a savepoint would leave a number the cache holds but the database does
// not. Only a list not stored yet writes, so an unchanged database opens without a write.
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
        list.names.push_back(exists_column);
        for (const auto& c : t.columns)
            list.names.push_back(c.name);
        auto packed = pack_values({list.names.begin(), list.names.end()});
        if (lookup(list, packed))
            lists_[t.name] = std::move(list);
        else
            missing.emplace_back(t.name, std::move(list), std::move(packed));
    }
    if (missing.empty()) return;
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

std::vector<audit_record> sqlite_audit_trail::read(const std::string& table,
                                                   const std::string& row_id,
                                                   const row_state* state,
                                                   std::map<std::string, value> current) {
    auto column_list = [this](std::uint64_t id) {
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
    };
    std::vector<audit_record> out;
    std::vector<std::vector<unpacked_audit_cell>> cells;
    // Both queries give at, device, site and cells from column `first` on.
    auto add = [&](std::uint64_t id, const statement& st, int first) {
        out.push_back({id,
                       st.column_int(first),
                       st.column_text(first + 1),
                       table,
                       row_id,
                       to_site(st.column_blob(first + 2)),
                       {}});
        cells.push_back(unpack_audit(st.column_blob(first + 3), column_list));
    };
    auto legacy = db_.prepare("SELECT id, at, device_id, site, cells FROM noi_audit "
                              "WHERE tbl = ?1 AND row_id = ?2 ORDER BY id");
    legacy.bind(1, table).bind(2, row_id);
    while (legacy.step())
        add(static_cast<std::uint64_t>(legacy.column_int(0)), legacy, 1);
    // The row's records on the feed, newest first: each names the one before.
    const auto first_chained = out.size();
    auto& entry = db_.cached(
        "SELECT at, device_id, coalesce(writer, site), cells, prev FROM noi_feed WHERE seq = ?1 "
        "AND cells IS NOT NULL");
    for (auto seq = state ? state->audit_seq : 0; seq;) {
        entry.bind(1, static_cast<std::int64_t>(seq));
        if (!entry.step()) break;
        add(seq, entry, 0);
        const auto prev = static_cast<std::uint64_t>(entry.column_int(4));
        entry.reset();
        seq = prev < seq ? prev : 0;
    }
    entry.reset();
    std::reverse(out.begin() + static_cast<std::ptrdiff_t>(first_chained), out.end());
    std::reverse(cells.begin() + static_cast<std::ptrdiff_t>(first_chained), cells.end());
    auto completed = complete_audit(std::move(cells), std::move(current));
    for (std::size_t k = 0; k < out.size(); ++k)
        out[k].cells = std::move(completed[k]);
    return out;
}

} // namespace noi
