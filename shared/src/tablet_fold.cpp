// The tablet's fold: the capture log's entries become per-cell versions and local sequences
// (docs/capture.md), each changed row an entry of noi_pending.
#include <noi/sync/row_state.hpp>
#include <noi/sync/tablet.hpp>

#include "cell_digest.hpp"
#include "tablet_checkpoint.hpp"
#include "tablet_rows.hpp"

#include <algorithm>
#include <map>

namespace noi {
namespace {

enum capture_op : std::int64_t { op_insert = 1, op_update = 2, op_delete = 3 };

} // namespace

namespace {

// A row as the fold carries it: its state, and what waits for the row's values to be known.
struct folding_row {
    const table_def* def;
    row_state st;
    // The version of the row's newest update whose changes are not found yet (format 2 entries
    // carry none): the cells it changed take it, and a local sequence if it changed any.
    std::optional<version> update;
    // Inserted in this fold: its digests are not taken yet, and an update after the insert
    // changes cells the insert sends anyway.
    bool inserted = false;
};

} // namespace

void tablet::fold(tablet_checkpoint& cp) {
    auto& db = rep_->db();
    // The fold stamps nothing but saves the clock's floor: read the one another process may
    // have moved first.
    rep_->refresh_clock();
    const auto me = rep_->site();
    const auto acked_seq = cp.acked;
    auto lseq = cp.local;
    row_state_store store(db);
    std::map<std::pair<std::string, std::string>, folding_row> rows;
    std::int64_t last_capture = 0;

    auto& add_pending = db.cached("INSERT INTO noi_pending(lseq, tbl, id) VALUES (?1, ?2, ?3)");
    auto pending = [&](std::uint64_t l, const std::string& table, const std::string& id) {
        add_pending.bind(1, static_cast<std::int64_t>(l)).bind(2, table).bind(3, id);
        add_pending.run();
    };
    // The base is what the cell held when it was first changed since the last ack.
    auto touch = [&](std::optional<cell_state>& c, const version& ver, std::uint64_t l) {
        std::optional<version> base;
        if (c) base = c->seq > acked_seq ? c->base : std::optional<version>(c->ver);
        c = cell_state{ver, base, l};
    };
    // Compares the row's values, as they stood at its last entry, with its digests: the cells
    // that differ are what its pending update changed. Digests fewer than the columns are
    // those of a row held before its table gained columns, which it gained holding NULL; a
    // row without any digest counts as changed everywhere.
    const auto null_digest = cell_digest(value{});
    auto settle = [&](const std::pair<std::string, std::string>& key, folding_row& r,
                      const std::vector<value>& values) {
        auto digests = cell_digests(values);
        if (!r.st.digests.empty() && r.st.digests.size() < digests.size())
            r.st.digests.resize(digests.size(), null_digest);
        if (r.update && r.inserted) {
            // The insert sends every cell, so the update's cells go with it, under its version.
            for (auto& c : r.st.cells)
                c->ver = *r.update;
        } else if (r.update) {
            std::uint64_t l = 0;
            for (std::size_t i = 0; i < digests.size(); ++i)
                if (i >= r.st.digests.size() || r.st.digests[i] != digests[i]) {
                    if (!l) l = ++lseq;
                    touch(r.st.cells[i], *r.update, l);
                }
            if (l) pending(l, key.first, key.second);
        }
        r.st.digests = std::move(digests);
        r.update.reset();
        r.inserted = false;
    };

    // An insert, a delete (`old`: the values it saw) or a format 1 update (by its mask).
    auto fold_entry = [&](const std::pair<std::string, std::string>& key, folding_row& r,
                          std::int64_t op, std::uint64_t mask, const version& ver,
                          std::vector<value> old) {
        auto& st = r.st;
        // A pending update is settled against the values the delete saw, before it.
        if (op == op_delete) settle(key, r, old);
        const std::uint64_t l = ++lseq;
        if (op == op_insert) {
            touch(st.exists, ver, l);
            st.alive = true;
            st.seen.clear();
            st.tomb.clear();
            for (auto& c : st.cells)
                touch(c, ver, l);
            r.update.reset();
            r.inserted = true;
        } else if (op == op_delete) {
            std::vector<version> seen =
                st.exists && st.exists->seq > acked_seq ? st.seen : std::vector<version>{};
            for (const auto& c : st.cells)
                if (c && std::find(seen.begin(), seen.end(), c->ver) == seen.end())
                    seen.push_back(c->ver);
            touch(st.exists, ver, l);
            st.alive = false;
            st.seen = std::move(seen);
            st.tomb = std::move(old);
        } else {
            for (std::size_t i = 0; i < r.def->columns.size(); ++i)
                if (mask >> i & 1) touch(st.cells[i], ver, l);
        }
        pending(l, key.first, key.second);
    };

    // A row is settled and saved at its last entry in the log, not at the end: the fold holds
    // only the rows with entries still to come, so that folding 50,000 new rows does not hold
    // them all (a cheap tablet's memory, docs/capture.md). Its values are read from the table,
    // which the fold does not change, so the settle sees what the end would.
    auto read = db.prepare("SELECT seq, tbl, id, op, cols, hlc, old, "
                           "max(seq) OVER (PARTITION BY tbl, id) FROM noi_capture ORDER BY seq");
    while (read.step()) {
        last_capture = read.column_int(0);
        auto key = std::make_pair(read.column_text(1), read.column_text(2));
        auto op = read.column_int(3);
        const bool has_mask = !read.column_is_null(4);
        auto mask = static_cast<std::uint64_t>(read.column_int(4));
        auto hlc = static_cast<std::uint64_t>(read.column_int(5));
        const bool last_of_row = read.column_int(7) == last_capture;
        const auto* def = rep_->tables().find(key.first);
        if (!def) continue;
        auto it = rows.find(key);
        if (it == rows.end()) {
            auto loaded = store.load(key.first, key.second, def->columns.size());
            it =
                rows.emplace(key, folding_row{def, loaded ? *loaded : fresh_state(*def), {}, false})
                    .first;
        }
        auto& r = it->second;
        const version ver{hlc, me};
        rep_->clock().observe(hlc);
        // An update of a row this replica never saw inserted (written before the table was
        // synced) is sent whole, as an insert.
        if (op == op_update && !r.st.exists) op = op_insert;
        if (op == op_update && !has_mask) {
            r.update = ver;
        } else {
            std::vector<value> old;
            if (op == op_delete) {
                old = unpack_values(read.column_blob(6));
                old.resize(def->columns.size());
            }
            fold_entry(key, r, op, mask, ver, std::move(old));
        }
        if (last_of_row) {
            if (r.update || r.inserted)
                settle(key, r, current_values(*rep_, *def, key.second, &r.st));
            store.save(key.first, key.second, r.st);
            rows.erase(it);
        }
    }
    if (!last_capture) return;
    auto& del = db.cached("DELETE FROM noi_capture WHERE seq <= ?1");
    del.bind(1, last_capture);
    del.run();
    cp.local = lseq;
    rep_->save_clock();
    rep_->fault_point("tablet.fold.before_commit");
}

} // namespace noi
