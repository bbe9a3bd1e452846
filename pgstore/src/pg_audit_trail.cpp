#include "pg_audit_trail.hpp"

#include <noi/sync/error.hpp>

#include "pg_feed.hpp"

namespace noi {

pg_audit_trail::pg_audit_trail(pg::connection& c, const schema& tables) : c_(c) {
    // Inside another transaction (a schema read again under the write lock, or in a pull's
    // snapshot) lists are only looked up: one stored there could roll back while cached. A
    // table's list missing then is stored at the next open; its inserts name their columns.
    std::optional<pg::transaction> tx;
    if (!c_.in_transaction()) tx.emplace(c_);
    for (const auto& t : tables.tables) {
        audit_column_list list;
        list.names = creation_names(t);
        const auto packed = pg::param::blob(pack_values({list.names.begin(), list.names.end()}));
        auto found = c_.run("SELECT id FROM noi_audit_columns WHERE names = $1", {packed});
        if (found.rows() == 0 && tx) {
            c_.run("INSERT INTO noi_audit_columns(id, names) VALUES ((SELECT coalesce(max(id), "
                   "0) + 1 FROM noi_audit_columns), $1) ON CONFLICT (names) DO NOTHING",
                   {packed});
            found = c_.run("SELECT id FROM noi_audit_columns WHERE names = $1", {packed});
        }
        if (found.rows() == 0) continue;
        list.id = static_cast<std::uint64_t>(found.integer(0, 0));
        lists_[t.name] = std::move(list);
    }
    if (tx) tx->commit();
}

std::vector<std::string> pg_audit_trail::column_list(std::uint64_t id) {
    auto r = c_.run("SELECT names FROM noi_audit_columns WHERE id = $1", {id});
    if (r.rows() == 0)
        throw sync_error(errc::corrupt_state, "an audit record names column list " +
                                                  std::to_string(id) +
                                                  ", which is missing; restore the database "
                                                  "from a backup");
    return unpack_column_names(r.bytes(0, 0));
}

std::optional<audit_trail::stored> pg_audit_trail::on_entry(std::uint64_t seq) {
    auto r = c_.run("SELECT at, device_id, coalesce(writer, site), cells, prev FROM noi_feed WHERE "
                    "seq = $1 AND cells IS NOT NULL",
                    {seq});
    if (r.rows() == 0) return std::nullopt;
    return stored{seq,           r.integer(0, 0),
                  r.bytes(0, 1), site_from(r.bytes(0, 2)),
                  r.bytes(0, 3), static_cast<std::uint64_t>(r.integer(0, 4))};
}

std::vector<audit_trail::stored> pg_audit_trail::before_feed(const std::string& table,
                                                             const std::string& row_id) {
    // Only a store moved from SQLite (noi-server migrate-store) holds records from before.
    auto r = c_.run("SELECT id, at, device_id, site, cells FROM noi_audit WHERE tbl = $1 AND "
                    "row_id = $2 ORDER BY id",
                    {table, row_id});
    std::vector<stored> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({static_cast<std::uint64_t>(r.integer(i, 0)), r.integer(i, 1), r.bytes(i, 2),
                       site_from(r.bytes(i, 3)), r.bytes(i, 4), 0});
    return out;
}

} // namespace noi
