// The client role. Local sequences (lseq) number folded row changes; a cell is pending while
// its lseq is above the acknowledged sequence (meta `acked_seq`).
#include <noi/sync/error.hpp>
#include <noi/sync/merge.hpp>
#include <noi/sync/row_change.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/tablet.hpp>

#include "capture_log.hpp"
#include "cell_digest.hpp"
#include "migrations.hpp"
#include "table_io.hpp"
#include "tablet_checkpoint.hpp"

#include <algorithm>
#include <map>

namespace noi {
namespace {

enum capture_op : std::int64_t { op_insert = 1, op_update = 2, op_delete = 3 };

// Capture is off for the life of this guard: applied remote changes are not echoed.
class capture_off {
public:
    explicit capture_off(replica& r) : r_(r) { r_.set_capture(false); }
    ~capture_off() { r_.set_capture(true); }

private:
    replica& r_;
};

// The values a row holds outside the table: a deleted or not yet visible row's last values.
std::vector<value> tomb_values(const table_def& def, const row_state* st) {
    auto t = st ? st->tomb : std::vector<value>{};
    t.resize(def.columns.size());
    return t;
}

std::vector<value> current_values(replica& rep, const table_def& def, const std::string& id,
                                  const row_state* st) {
    if (auto v = rep.io(def).read(id)) return *v;
    return tomb_values(def, st);
}

row_state fresh_state(const table_def& def) {
    row_state s;
    s.cells.resize(def.columns.size());
    return s;
}

} // namespace

std::unique_ptr<tablet> tablet::create(const std::string& path, const wall_clock& wall,
                                       replica_options opt) {
    auto r = replica::create(path, replica_role::tablet, wall, opt);
    r->install_default_schema();
    auto t = std::make_unique<tablet>(std::move(r));
    migrate(t->rep_->db(), t->migrations());
    return t;
}

std::unique_ptr<tablet> tablet::open(const std::string& path, const wall_clock& wall,
                                     replica_options opt) {
    auto r = replica::open(path, wall, opt);
    if (r->role() != replica_role::tablet)
        throw sync_error(errc::not_a_replica, path + " is a server replica, not a tablet's");
    auto t = std::make_unique<tablet>(std::move(r));
    migrate(t->rep_->db(), t->migrations());
    return t;
}

// Releases before the runner kept their own marks (capture_format, trigger_format): a step
// checks its mark, so a tablet that made the change already is not changed again.
std::vector<migration> tablet::migrations() {
    return {{2,
             [this](database&) {
                 if (rep_->meta_int("capture_format", 1) < capture_format) upgrade_capture();
             }},
            {3, [this](database&) {
                 if (rep_->meta_int("trigger_format", 1) < trigger_format)
                     rep_->reinstall_triggers();
             }}};
}

// Inside the runner's transaction, before anything can write: a crash leaves the tablet as
// it was, and the next open upgrades it again.
void tablet::upgrade_capture() {
    rep_->upgrade_capture_log();
    // Every change up to now is in the log with its mask, so the rows' values as they stand
    // are what the next update will be compared with.
    row_state_store store(rep_->db());
    for (auto& [table, id, st] : store.all(rep_->tables())) {
        st.digests = cell_digests(current_values(*rep_, *rep_->tables().find(table), id, &st));
        store.save(table, id, st);
    }
    rep_->set_meta_int("capture_format", capture_format);
}

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
    // that differ are what its pending update changed. A cell without a digest counts as changed.
    auto settle = [&](const std::pair<std::string, std::string>& key, folding_row& r,
                      const std::vector<value>& values) {
        auto digests = cell_digests(values);
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

    auto read = db.prepare("SELECT seq, tbl, id, op, cols, hlc, old FROM noi_capture ORDER BY seq");
    while (read.step()) {
        last_capture = read.column_int(0);
        auto key = std::make_pair(read.column_text(1), read.column_text(2));
        auto op = read.column_int(3);
        const bool has_mask = !read.column_is_null(4);
        auto mask = static_cast<std::uint64_t>(read.column_int(4));
        auto hlc = static_cast<std::uint64_t>(read.column_int(5));
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
        auto& st = r.st;
        const version ver{hlc, me};
        rep_->clock().observe(hlc);
        // An update of a row this replica never saw inserted (written before the table was
        // synced) is sent whole, as an insert.
        if (op == op_update && !st.exists) op = op_insert;
        if (op == op_update && !has_mask) {
            r.update = ver;
            continue;
        }
        std::vector<value> old;
        if (op == op_delete) {
            // A pending update is settled against the values the delete saw, before it.
            old = unpack_values(read.column_blob(6));
            old.resize(def->columns.size());
            settle(key, r, old);
        }
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
            for (std::size_t i = 0; i < def->columns.size(); ++i)
                if (mask >> i & 1) touch(st.cells[i], ver, l);
        }
        pending(l, key.first, key.second);
    }
    if (!last_capture) return;
    for (auto& [key, r] : rows) {
        if (r.update || r.inserted)
            settle(key, r, current_values(*rep_, *r.def, key.second, &r.st));
        store.save(key.first, key.second, r.st);
    }
    auto& del = db.cached("DELETE FROM noi_capture WHERE seq <= ?1");
    del.bind(1, last_capture);
    del.run();
    cp.local = lseq;
    rep_->save_clock();
    rep_->fault_point("tablet.fold.before_commit");
}

proto::hello tablet::begin_round(const std::string& app_version) {
    transaction tx(rep_->db());
    const auto was = read_checkpoint(rep_->db());
    auto cp = was;
    fold(cp);
    write_checkpoint(rep_->db(), was, cp);
    tx.commit();
    auto s = status();
    proto::hello h;
    h.site = rep_->site();
    h.schema_version = rep_->tables().version;
    h.app_version = app_version;
    h.clock_ms = static_cast<std::uint64_t>(rep_->clock().wall_ms());
    h.pending = s.pending;
    if (s.oldest_pending_ms) h.oldest_pending_ms = static_cast<std::uint64_t>(*s.oldest_pending_ms);
    h.confirmed_rejection = cp.confirmed_rejection;
    auto& kept = rep_->db().cached(
        "SELECT quarantine_id FROM noi_rejected ORDER BY quarantine_id DESC LIMIT ?1");
    kept.bind(1, static_cast<std::int64_t>(proto::max_rejected_listed));
    while (kept.step())
        h.rejected.push_back(static_cast<std::uint64_t>(kept.column_int(0)));
    kept.reset();
    return h;
}

void tablet::on_welcome(const proto::welcome& w) {
    transaction tx(rep_->db());
    auto& db = rep_->db();
    const auto was = read_checkpoint(db);
    auto cp = was;
    rep_->refresh_clock();
    rep_->set_scope(w.scope);
    std::string epoch(w.epoch.begin(), w.epoch.end());
    auto& get = db.cached("SELECT value FROM noi_meta WHERE key = 'epoch'");
    std::optional<std::string> known;
    if (get.step()) known = get.column_blob(0);
    get.reset();
    // The server was restored from a backup, or repaired (noi-server repair-clock).
    const bool new_epoch = known && *known != epoch;
    // A server reading outside sane years is not followed: the tablet keeps the offset it had.
    const bool sane = is_sane_clock(static_cast<std::int64_t>(w.clock_ms));
    if (sane) {
        auto offset = static_cast<std::int64_t>(w.clock_ms) - rep_->clock().wall_ms();
        rep_->clock().set_offset(offset);
        rep_->set_meta_int("clock_offset_ms", offset);
        // Only a repaired server (a new epoch) sends stamps to trust again: against an
        // unrepaired one, forgetting would pull everything back each round.
        const auto limit = hlc_from_ms(static_cast<std::int64_t>(w.clock_ms) + trusted_ahead_ms);
        if (new_epoch && rep_->clock().floor() > limit) forget_stamps_beyond(cp, limit);
    }
    for (const auto& r : w.rejections)
        record_rejection(cp, r);
    // An admin discarded or released these on the server: the officer need not see them.
    auto& settle = db.cached("DELETE FROM noi_rejected WHERE quarantine_id = ?1");
    for (auto id : w.settled) {
        settle.bind(1, static_cast<std::int64_t>(id));
        settle.run();
    }

    // After a restore the server may lack anything we sent since: pull all, send all again.
    bool repush = new_epoch;
    if (new_epoch) cp.cursor = 0;
    auto& put = db.cached("INSERT OR REPLACE INTO noi_meta(key, value) VALUES ('epoch', ?1)");
    put.bind_blob(1, epoch.data(), epoch.size());
    put.run();

    if (w.acked_seq > cp.sent) {
        // The server holds sequences this replica never sent as far as it remembers: it was
        // restored from a backup, and its own numbers since may name other changes. Move above
        // the server's and send everything again under new numbers.
        cp.local = std::max(cp.local, w.acked_seq);
        if (sane) rep_->clock().observe(hlc_from_ms(static_cast<std::int64_t>(w.clock_ms)));
        cp.pulls_own = true;
        repush = true;
    }
    if (repush) mark_all_pending(cp);
    cp.acked = std::max(cp.acked, w.acked_seq);
    cp.sent = std::max(cp.sent, w.acked_seq);
    prune_pending(cp.acked);
    write_checkpoint(db, was, cp);
    rep_->save_clock();
    rep_->fault_point("tablet.welcome.before_commit");
    tx.commit();
}

void tablet::mark_all_pending(tablet_checkpoint& cp) {
    auto& db = rep_->db();
    const auto acked_seq = cp.acked;
    auto lseq = cp.local;
    row_state_store store(db);
    auto rows = store.all(rep_->tables());
    auto& add_pending = db.cached("INSERT INTO noi_pending(lseq, tbl, id) VALUES (?1, ?2, ?3)");
    const auto me = rep_->site();
    // Only this replica's own versions go up again: the server takes a version only from the
    // site that stamped it, and every other writer re-pushes its own.
    for (auto& [table, id, st] : rows) {
        const std::uint64_t l = lseq + 1;
        bool marked = false;
        auto mark = [&](std::optional<cell_state>& c) {
            if (!c || c->ver.site != me) return;
            if (c->seq <= acked_seq) c->base = c->ver;
            c->seq = l;
            marked = true;
        };
        mark(st.exists);
        for (auto& c : st.cells)
            mark(c);
        if (!marked) continue;
        ++lseq;
        store.save(table, id, st);
        add_pending.bind(1, static_cast<std::int64_t>(l)).bind(2, table).bind(3, id);
        add_pending.run();
    }
    cp.local = lseq;
}

void tablet::prune_pending(std::uint64_t acked) {
    auto& st = rep_->db().cached("DELETE FROM noi_pending WHERE lseq <= ?1");
    st.bind(1, static_cast<std::int64_t>(acked));
    st.run();
}

std::optional<proto::push> tablet::next_push(std::uint64_t from, std::size_t max_rows) {
    auto& db = rep_->db();
    transaction tx(db);
    // A push sends the rows' values as they stand, so what the log holds about them must be
    // folded first: the next fold compares with the digests of the values sent (found by the
    // simulation, seed 334594: a write made after a fold, sent with an earlier version, then
    // written back to the folded value, compared equal and was never sent).
    const auto was = read_checkpoint(db);
    auto cp = was;
    fold(cp);
    row_state_store store(db);
    proto::push p;
    p.from_seq = from;
    p.to_seq = from;
    std::size_t entries = 0;
    auto& q =
        db.cached("SELECT lseq, tbl, id FROM noi_pending WHERE lseq > ?1 ORDER BY lseq LIMIT ?2");
    q.bind(1, static_cast<std::int64_t>(from)).bind(2, static_cast<std::int64_t>(max_rows));
    std::vector<std::tuple<std::uint64_t, std::string, std::string>> picked;
    while (q.step())
        picked.emplace_back(static_cast<std::uint64_t>(q.column_int(0)), q.column_text(1),
                            q.column_text(2));
    q.reset();
    for (const auto& [l, table, id] : picked) {
        ++entries;
        p.to_seq = l;
        const auto* def = rep_->tables().find(table);
        if (!def) continue;
        auto st = store.load(table, id, def->columns.size());
        if (!st) continue; // dropped after a rejection
        if (auto r = change_at(*def, id, *st, current_values(*rep_, *def, id, &*st), l, true))
            p.rows.push_back(std::move(*r));
    }
    if (entries < max_rows) p.to_seq = std::max(p.to_seq, cp.local);
    // Remembered before the batch leaves, so a restored backup can tell (on_welcome).
    cp.sent = std::max(cp.sent, p.to_seq);
    write_checkpoint(db, was, cp);
    tx.commit();
    if (p.to_seq <= from) return std::nullopt;
    return p;
}

void tablet::on_push_ack(const proto::push_ack& a) {
    transaction tx(rep_->db());
    const auto was = read_checkpoint(rep_->db());
    auto cp = was;
    for (const auto& r : a.rejections)
        record_rejection(cp, r);
    cp.acked = std::max(cp.acked, a.acked_seq);
    prune_pending(cp.acked);
    write_checkpoint(rep_->db(), was, cp);
    rep_->fault_point("tablet.ack.before_commit");
    tx.commit();
}

void tablet::record_rejection(tablet_checkpoint& cp, const proto::rejection& r) {
    auto& db = rep_->db();
    auto& exists = db.cached("SELECT 1 FROM noi_rejected WHERE quarantine_id = ?1");
    exists.bind(1, static_cast<std::int64_t>(r.quarantine_id));
    bool known = exists.step();
    exists.reset();
    if (!known) {
        std::vector<value> values;
        row_state_store store(db);
        if (const auto* def = rep_->tables().find(r.table)) {
            auto st = store.load(r.table, r.id, def->columns.size());
            values = current_values(*rep_, *def, r.id, st ? &*st : nullptr);
            // The server's version comes back by the next pull (it re-emitted the row when it
            // rejected ours); until then the tablet holds nothing the server refused.
            capture_off off(*rep_);
            rep_->io(*def).remove(r.id);
            store.erase(r.table, r.id);
        }
        auto packed = pack_values(values);
        auto& ins =
            db.cached("INSERT INTO noi_rejected(quarantine_id, tbl, row_id, reason, message, "
                      "row_values, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        ins.bind(1, static_cast<std::int64_t>(r.quarantine_id)).bind(2, r.table).bind(3, r.id);
        ins.bind(4, std::string_view(proto::to_string(r.reason))).bind(5, r.message);
        ins.bind_blob(6, packed.data(), packed.size()).bind(7, rep_->clock().wall_ms());
        ins.run();
    }
    cp.confirmed_rejection = std::max(cp.confirmed_rejection, r.quarantine_id);
}

void tablet::apply_changes(const proto::changes& c) {
    auto& db = rep_->db();
    transaction tx(db);
    // Local writes not yet folded must count as pending before anything pulled lands.
    const auto was = read_checkpoint(db);
    auto cp = was;
    fold(cp);
    capture_off off(*rep_);
    const auto acked_seq = cp.acked;
    row_state_store store(db);
    std::uint64_t received = cp.hlc_received;
    for (const auto& r : c.rows) {
        const auto* def = rep_->tables().find(r.table);
        if (!def) continue;
        auto loaded = store.load(r.table, r.id, def->columns.size());
        row_state st = loaded ? *loaded : fresh_state(*def);
        // A row's cells can arrive in several server sequences, the existence cell not first:
        // until the tablet knows the row exists, its cells wait in the state, not in the table.
        if (!loaded && !r.exists) st.alive = false;
        auto& io = rep_->io(*def);
        auto in_table = io.read(r.id);
        auto values = in_table ? *in_table : tomb_values(*def, loaded ? &*loaded : nullptr);
        const bool was_alive = loaded && st.alive;

        const auto view = view_of(st, values, acked_seq);
        merge::incoming_row inc;
        inc.exists = r.exists;
        for (const auto& cc : r.cells) {
            auto i = def->column_index(cc.column);
            if (!i) continue;
            // A column twice in one row (no server sends it) keeps its newest version, so the
            // batch means the same however often it is applied (found by fuzz/apply_changes).
            auto same = std::find_if(inc.cells.begin(), inc.cells.end(),
                                     [&](const auto& c) { return c.column == *i; });
            if (same == inc.cells.end())
                inc.cells.push_back({*i, cc.val, cc.ver, std::nullopt});
            else if (cc.ver > same->ver)
                *same = {*i, cc.val, cc.ver, std::nullopt};
        }
        auto d = merge::decide_row(view, inc, merge::role::tablet);

        if (r.exists) {
            received = std::max(received, r.exists->ver.hlc);
            if (d.exists == merge::action::apply) {
                st.exists = cell_state{r.exists->ver, std::nullopt, 0};
                st.alive = r.exists->alive;
                st.seen.clear();
            }
        }
        const bool alive_now = st.alive;
        const bool revived = alive_now && !was_alive;
        for (std::size_t k = 0; k < inc.cells.size(); ++k) {
            const auto& ic = inc.cells[k];
            received = std::max(received, ic.ver.hlc);
            if (d.cells[k] == merge::action::apply)
                st.cells[ic.column] = cell_state{ic.ver, std::nullopt, 0};
            // A row coming back to life is sent whole: take every value it carries.
            if (d.cells[k] == merge::action::apply ||
                (revived && d.cells[k] != merge::action::skip))
                values[ic.column] = ic.val;
        }
        rep_->clock().observe(received);
        // A live row enters the table once its scope value has arrived too.
        if (alive_now && (!def->scope || !is_null(values[*def->scope]))) {
            st.tomb.clear();
            io.upsert(r.id, values);
        } else {
            st.tomb = values;
            if (in_table) io.remove(r.id);
        }
        // What the pulled change wrote is not a local change: the next fold compares with it.
        st.digests = cell_digests(values);
        store.save(r.table, r.id, st);
        rep_->fault_point("tablet.pull.row");
    }
    cp.hlc_received = received;
    cp.cursor = c.cursor;
    write_checkpoint(db, was, cp);
    rep_->save_clock();
    rep_->fault_point("tablet.pull.before_commit");
    tx.commit();
}

void tablet::finish_round() {
    transaction tx(rep_->db());
    const auto was = read_checkpoint(rep_->db());
    auto cp = was;
    cp.last_sync_at_ms = rep_->clock().wall_ms();
    cp.pulls_own = false;
    write_checkpoint(rep_->db(), was, cp);
    tx.commit();
}

void tablet::on_clock_refused() {
    transaction tx(rep_->db());
    const auto was = read_checkpoint(rep_->db());
    auto cp = was;
    fold(cp);
    restamp_unacked(cp, hlc_max);
    write_checkpoint(rep_->db(), was, cp);
    tx.commit();
}

void tablet::restamp_unacked(const tablet_checkpoint& cp, std::uint64_t ceiling) {
    const auto acked_seq = cp.acked;
    const auto me = rep_->site();
    // The floor falls back to the greatest HLC this replica received from others or had
    // accepted, so the corrected wall clock takes over again.
    std::uint64_t floor = cp.hlc_received;
    if (floor > ceiling) floor = 0;
    row_state_store store(rep_->db());
    auto rows = store.all(rep_->tables());
    auto accepted = [&](const std::optional<cell_state>& c) {
        if (c && c->ver.site == me && c->seq <= acked_seq && c->ver.hlc <= ceiling)
            floor = std::max(floor, c->ver.hlc);
    };
    for (const auto& [table, id, st] : rows) {
        accepted(st.exists);
        for (const auto& c : st.cells)
            accepted(c);
    }
    rep_->clock().reset_floor(floor);
    // New stamps keep the old ones' order and grouping: the cells of one change share one new
    // stamp, and a later change stays later (an insert's cells before its row's delete).
    auto pending_own = [&](const std::optional<cell_state>& c) {
        return c && c->ver.site == me && c->seq > acked_seq;
    };
    std::map<std::uint64_t, std::uint64_t> restamped;
    for (const auto& [table, id, st] : rows) {
        if (pending_own(st.exists)) restamped[st.exists->ver.hlc] = 0;
        for (const auto& c : st.cells)
            if (pending_own(c)) restamped[c->ver.hlc] = 0;
    }
    for (auto& [old_hlc, new_hlc] : restamped)
        new_hlc = rep_->clock().next();
    for (auto& [table, id, st] : rows) {
        bool changed = false;
        auto restamp = [&](std::optional<cell_state>& c) {
            if (!pending_own(c)) return;
            c->ver.hlc = restamped[c->ver.hlc];
            changed = true;
        };
        restamp(st.exists);
        for (auto& c : st.cells)
            restamp(c);
        if (changed) store.save(table, id, st);
    }
    rep_->set_meta_int("hlc_floor", static_cast<std::int64_t>(rep_->clock().floor()));
}

void tablet::forget_stamps_beyond(tablet_checkpoint& cp, std::uint64_t limit) {
    const auto acked_seq = cp.acked;
    row_state_store store(rep_->db());
    bool forgot = false;
    for (auto& [table, id, st] : store.all(rep_->tables())) {
        bool changed = false;
        auto forget = [&](std::optional<cell_state>& c) {
            if (!c || c->ver.hlc <= limit || c->seq > acked_seq) return;
            c.reset();
            changed = true;
        };
        // A pending delete's base is what it still has to push, whatever its stamps.
        if (!st.exists || st.exists->seq <= acked_seq)
            changed |= std::erase_if(st.seen, [&](const version& v) { return v.hlc > limit; }) > 0;
        forget(st.exists);
        for (auto& c : st.cells)
            forget(c);
        if (changed) store.save(table, id, st);
        forgot |= changed;
    }
    // A tablet whose own clock runs fast holds only pending stamps beyond the limit: the
    // server refuses them, and it re-stamps then (on_clock_refused).
    if (!forgot) return;
    if (cp.hlc_received > limit) cp.hlc_received = 0;
    cp.cursor = 0;
    restamp_unacked(cp, limit);
}

std::uint64_t tablet::cursor() {
    return read_checkpoint(rep_->db()).cursor;
}

bool tablet::pulls_own() {
    return read_checkpoint(rep_->db()).pulls_own;
}

std::int64_t tablet::others_commits() {
    auto& st = rep_->db().cached("PRAGMA data_version");
    st.step();
    const auto v = st.column_int(0);
    st.reset();
    return v;
}

tablet_status tablet::status() {
    auto& db = rep_->db();
    const auto cp = read_checkpoint(db);
    tablet_status s;
    auto& pending =
        db.cached("SELECT (SELECT count(*) FROM noi_pending WHERE lseq > ?1) + (SELECT count(*) "
                  "FROM noi_capture), "
                  "(SELECT min(hlc) FROM noi_capture), (SELECT count(*) FROM noi_rejected)");
    pending.bind(1, static_cast<std::int64_t>(cp.acked));
    if (pending.step()) {
        s.pending = static_cast<std::uint64_t>(pending.column_int(0));
        if (!pending.column_is_null(1))
            s.oldest_pending_ms = hlc_to_ms(static_cast<std::uint64_t>(pending.column_int(1)));
        s.rejected = static_cast<std::uint64_t>(pending.column_int(2));
    }
    pending.reset();
    if (s.pending && !s.oldest_pending_ms) {
        // Folded but unacknowledged: the oldest pending row change's HLC is in its state.
        auto& first = db.cached("SELECT p.tbl, p.id, p.lseq FROM noi_pending p WHERE p.lseq > ?1 "
                                "ORDER BY p.lseq LIMIT 1");
        first.bind(1, static_cast<std::int64_t>(cp.acked));
        if (first.step()) {
            auto table = first.column_text(0), id = first.column_text(1);
            auto l = static_cast<std::uint64_t>(first.column_int(2));
            first.reset();
            if (const auto* def = rep_->tables().find(table))
                if (auto st = row_state_store(db).load(table, id, def->columns.size())) {
                    std::uint64_t h = 0;
                    if (st->exists && st->exists->seq == l) h = st->exists->ver.hlc;
                    for (const auto& c : st->cells)
                        if (c && c->seq == l) h = h ? std::min(h, c->ver.hlc) : c->ver.hlc;
                    if (h) s.oldest_pending_ms = hlc_to_ms(h);
                }
        }
        first.reset();
    }
    s.last_sync_at_ms = cp.last_sync_at_ms;
    s.server_seq = cp.cursor;
    s.scope = rep_->meta_text("scope").value_or("");
    return s;
}

std::vector<rejected_row> tablet::rejected() {
    std::vector<rejected_row> out;
    auto st = rep_->db().prepare("SELECT quarantine_id, tbl, row_id, reason, message, row_values, "
                                 "recorded_at FROM noi_rejected ORDER BY quarantine_id");
    while (st.step())
        out.push_back({static_cast<std::uint64_t>(st.column_int(0)), st.column_text(1),
                       st.column_text(2), st.column_text(3), st.column_text(4),
                       unpack_values(st.column_blob(5)), st.column_int(6)});
    return out;
}

} // namespace noi
