// The server's own writes (reference data, admin resolutions), stamped with its clock and
// merged like any push, and the writes a restore carries from the database it replaces.
#include <noi/sync/error.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/sync_service.hpp>

#include <algorithm>

namespace noi {
namespace {

const device server_device{"", "*", "server", false};

// The server as the writer a row's audit record names (server_store::write_local).
device writer_named(const std::string& writer) {
    auto d = server_device;
    d.id = writer;
    return d;
}

} // namespace

void sync_service::write_local(const std::string& table, const std::string& id,
                               const std::vector<value>& values, const std::string& writer) {
    // Its own transaction (a savepoint inside a group): the state, the clock and the schema
    // are read under the write lock (server_store.hpp, invariants 2, 5 and 7).
    auto tx = port_->begin();
    const auto* def = port_->tables().find(table);
    if (!def) throw sync_error(errc::schema, "no synced table named " + table);
    auto& store = port_->states();
    auto st = store.load(table, id, def->columns.size());
    proto::row_change r;
    r.table = table;
    r.id = id;
    if (def->scope && *def->scope < values.size()) r.scope = values[*def->scope];
    const auto hlc = port_->clock().next();
    const version ver{hlc, port_->site()};
    if (!st || !st->alive)
        r.exists = proto::existence_change{
            true, ver, st && st->exists ? std::optional(st->exists->ver) : std::nullopt};
    else if (st->exists)
        r.existence_base = st->exists->ver;
    for (std::size_t i = 0; i < def->columns.size() && i < values.size(); ++i) {
        std::optional<version> base;
        if (st && st->cells[i]) base = st->cells[i]->ver;
        r.cells.push_back({def->columns[i].name, values[i], ver, base});
    }
    auto res = apply_row(writer_named(writer), port_->site(), r, stamp_limit());
    if (res.rejection) throw sync_error(errc::refused, res.rejection->message);
    // A restart must stamp above this write, or the next one would lose to it.
    port_->save_clock();
    tx->commit();
}

void sync_service::write_cells(const std::string& table, const std::string& id,
                               const std::vector<std::pair<std::size_t, value>>& cells,
                               std::optional<bool> exists, const std::string& writer) {
    auto tx = port_->begin(); // as write_local's
    const auto* def = port_->tables().find(table);
    if (!def) throw sync_error(errc::schema, "no synced table named " + table);
    auto& store = port_->states();
    auto st = store.load(table, id, def->columns.size());
    if (!st && exists != true)
        throw sync_error(errc::refused, "the server has no row " + id + " in " + table);
    auto values = row_values(*def, id, st ? &*st : nullptr);
    proto::row_change r;
    r.table = table;
    r.id = id;
    if (def->scope) r.scope = values[*def->scope];
    const version ver{port_->clock().next(), port_->site()};
    const auto held = [&](std::size_t col) {
        return st && st->cells[col] ? std::optional(st->cells[col]->ver) : std::nullopt;
    };
    if (exists)
        r.exists = proto::existence_change{
            *exists, ver, st && st->exists ? std::optional(st->exists->ver) : std::nullopt};
    else if (st->exists)
        r.existence_base = st->exists->ver;
    if (exists && !*exists)
        for (const auto& c : st->cells)
            if (c) r.seen.push_back(c->ver);
    for (const auto& [col, val] : cells)
        r.cells.push_back({def->columns[col].name, val, ver, held(col)});
    auto res = apply_row(writer_named(writer), port_->site(), r, stamp_limit());
    if (res.rejection) throw sync_error(errc::refused, res.rejection->message);
    port_->save_clock();
    tx->commit();
}

std::uint64_t sync_service::carry_own_writes(sync_service& from) {
    const auto me = port_->site();
    if (from.port_->site() != me)
        throw sync_error(errc::refused, "the snapshot and the data directory belong to different "
                                        "servers; restore a snapshot of this server");
    const auto limit = stamp_limit();
    auto &source = from.port_->states(), &here = port_->states();
    auto own = [&](const std::optional<cell_state>& c) { return c && c->ver.site == me; };
    std::uint64_t carried = 0;
    source.for_each(from.port_->tables(), [&](const std::string& table, const std::string& id,
                                              const row_state& st) {
        const auto* def = port_->tables().find(table);
        if (!def || !(own(st.exists) || std::any_of(st.cells.begin(), st.cells.end(), own))) return;
        const auto values = from.row_values(*def, id, &st);
        const auto now = here.load(table, id, def->columns.size());
        auto held = [&](const std::optional<cell_state>& mine, const std::optional<cell_state>& c) {
            return c && c->ver == mine->ver;
        };
        bool changes = false;
        proto::row_change r;
        r.table = table;
        r.id = id;
        if (def->scope) r.scope = values[*def->scope];
        if (own(st.exists)) {
            r.exists = proto::existence_change{st.alive, st.exists->ver, st.exists->ver};
            if (!st.alive) r.seen = st.seen;
            changes |= !(now && held(st.exists, now->exists));
        } else if (st.exists) {
            r.existence_base = st.exists->ver;
        }
        for (std::size_t i = 0; i < st.cells.size() && i < def->columns.size(); ++i) {
            if (!own(st.cells[i])) continue;
            r.cells.push_back(
                {def->columns[i].name, values[i], st.cells[i]->ver, st.cells[i]->ver});
            changes |= !(now && i < now->cells.size() && held(st.cells[i], now->cells[i]));
        }
        if (!changes) return;
        auto res = apply_row(server_device, me, r, limit);
        if (res.rejection) throw sync_error(errc::refused, res.rejection->message);
        ++carried;
    });
    return carried;
}

void sync_service::carry_clock(sync_service& from) {
    // The time the replaced store had seen bounds stamps here too, in memory as in storage.
    wall_high_ = saved_wall_high_ = std::max(wall_high_, from.wall_high_);
    port_->set_meta_int("wall_high_ms", wall_high_);
    // Stamps the server takes from now on stay above every one it took before the restore.
    port_->clock().observe(from.port_->clock().floor());
    port_->save_clock();
}

sync_service::apply_result sync_service::apply_released(const device& d, const site_id& pusher,
                                                        const proto::row_change& row,
                                                        std::uint64_t limit) {
    emissions emitted;
    auto res = apply_row(d, pusher, row, limit, &emitted);
    if (res.rejection) return res;
    // The tablet that pushed the row dropped it when it was rejected, so the emission is for
    // it too: a pull that leaves out its own pushes must not leave this one out.
    port_->changes().for_everyone(emitted.for_device(server_device));
    return res;
}

std::uint64_t sync_service::carry_releases(sync_service& from) {
    const auto limit = stamp_limit();
    std::uint64_t carried = 0;
    for (auto& [id, released] : from.port_->quarantine().released()) {
        const auto here = port_->quarantine().status(id);
        auto d = find_device(released.device_id);
        auto& row = released.row;
        if (here == quarantine_state::released || !d || !row) continue;
        // Sent again as it was released, a re-send: it merges by its versions, no conflict.
        if (row->exists) row->exists->base = row->exists->ver;
        for (auto& c : row->cells)
            c.base = c.ver;
        if (auto res = apply_released(*d, released.pusher, *row, limit); res.rejection)
            throw sync_error(errc::refused,
                             "the row released as quarantine entry " + std::to_string(id) +
                                 " cannot be applied again: " + res.rejection->message);
        ++carried;
    }
    return carried;
}

} // namespace noi
