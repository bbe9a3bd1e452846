// The client role. Local sequences (lseq) number folded row changes; a cell is pending while
// its lseq is above the acknowledged sequence (meta `acked_seq`). This file holds a round's
// steps (HELLO, WELCOME, PUSH, its ack, pulled changes); the fold is in tablet_fold.cpp, the
// clock's repairs in tablet_clock.cpp, what the tablet tells of itself in tablet_status.cpp, a
// wipe in tablet_wipe.cpp.
#include <noi/sync/error.hpp>
#include <noi/sync/merge.hpp>
#include <noi/sync/row_change.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/schema_labels_json.hpp>
#include <noi/sync/tablet.hpp>

#include "capture_log.hpp"
#include "cell_digest.hpp"
#include "migrations.hpp"
#include "row_apply.hpp"
#include "table_io.hpp"
#include "tablet_checkpoint.hpp"
#include "tablet_rows.hpp"
#include "unit_list.hpp"

#include <algorithm>

namespace noi {
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
    const auto triggers = [this](database&) {
        if (rep_->meta_int("trigger_format", 1) < trigger_format) rep_->reinstall_triggers();
    };
    return {{2,
             [this](database&) {
                 if (rep_->meta_int("capture_format", 1) < capture_format) upgrade_capture();
             }},
            {3, triggers},
            // Rows moved away to another unit (docs/design.md §11): those that wait for a
            // pending edit, and the key check that lets a pulled move change a row's scope.
            {4,
             [triggers](database& db) {
                 db.exec("CREATE TABLE IF NOT EXISTS noi_departed (tbl TEXT NOT NULL, id TEXT NOT "
                         "NULL, PRIMARY KEY (tbl, id)) WITHOUT ROWID");
                 triggers(db);
             }},
            // What the officer did with a rejected row, until the server has heard it.
            {5, [](database& db) { add_column_if_missing(db, "noi_rejected", "answer", "TEXT"); }},
            // The conflicts the server tells of (tablet_conflicts.cpp).
            {6, [](database& db) { replica::make_tablet_tables(db); }}};
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

proto::hello tablet::begin_round(const std::string& app_version) {
    transaction tx(rep_->db());
    rep_->refresh_schema();
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
    // A move is learned only once its old commune's rows are gone: until then the server still
    // takes what the tablet wrote for it.
    if (auto leaving = rep_->meta_text("scope_leaving")) {
        h.scope = *leaving;
    } else {
        h.scope = rep_->meta_text("scope").value_or("");
        h.scope_version = static_cast<std::uint64_t>(rep_->meta_int("scope_version", 0));
    }
    auto& kept = rep_->db().cached(
        "SELECT quarantine_id FROM noi_rejected ORDER BY quarantine_id DESC LIMIT ?1");
    kept.bind(1, static_cast<std::int64_t>(proto::max_rejected_listed));
    while (kept.step())
        h.rejected.push_back(static_cast<std::uint64_t>(kept.column_int(0)));
    kept.reset();
    h.answered = answers();
    conflicts_held(h);
    return h;
}

void tablet::on_welcome(const proto::welcome& w) {
    schema_adoption adopting(*rep_);
    transaction tx(rep_->db());
    auto& db = rep_->db();
    const auto was = read_checkpoint(db);
    auto cp = was;
    rep_->refresh_clock();
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
    row_changes changed;
    for (const auto& r : w.rejections)
        record_rejection(cp, r, changed);
    // An admin discarded or released these on the server: the officer need not see them.
    auto& settle = db.cached("DELETE FROM noi_rejected WHERE quarantine_id = ?1");
    for (auto id : w.settled) {
        settle.bind(1, static_cast<std::int64_t>(id));
        settle.run();
    }
    // A restored server may give out conflict ids again: what the tablet heard before is
    // another numbering.
    if (new_epoch) {
        db.exec("DELETE FROM noi_conflict_notices");
        rep_->set_meta_int("confirmed_conflict", 0);
    }
    record_conflicts(w);
    // After the notices: a scope that reads units anew has them told again from the start.
    adopt_scope(cp, w);

    // The server's schema is newer: the replica takes it before anything is pulled, and pulls
    // again from where it changed (a release before schema versions skipped what it could not
    // place, and moved its cursor past it).
    std::optional<std::uint32_t> adopted_from;
    if (w.schema && w.schema_version > rep_->tables().version) {
        adopted_from = rep_->tables().version;
        rep_->adopt_schema(schema_of(w.schema_version, w.schema->tables));
        // A server before labels sends none: the replica keeps what it had.
        if (!w.schema->labels.empty())
            rep_->set_meta_text("labels", labels_text(schema_labels(w.schema->labels)));
        cp.cursor = std::min(cp.cursor, w.schema->since);
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
    adopting.committed();
    if (changes_listener_ && !changed.empty()) changes_listener_(changed);
    if (adopted_from && schema_listener_) schema_listener_(*adopted_from, w.schema_version);
}

std::uint32_t tablet::schema_version() {
    return static_cast<std::uint32_t>(rep_->meta_int("schema_version", 0));
}

schema_labels tablet::labels() {
    auto out = default_labels();
    if (auto held = rep_->meta_text("labels")) out.overlay(labels_from_text(*held));
    return out;
}

void tablet::adopt_scope(tablet_checkpoint& cp, const proto::welcome& w) {
    const auto held = rep_->meta_text("scope").value_or("");
    const auto had = rep_->scope_units();
    const auto units = w.units.empty() ? std::vector<std::string>{w.scope} : w.units;
    auto among = [](const std::vector<std::string>& set, const std::string& u) {
        return std::find(set.begin(), set.end(), u) != set.end();
    };
    if (!held.empty() && held != w.scope) {
        const bool widened = w.scope == "*" ||
                             (held != "*" && std::all_of(had.begin(), had.end(),
                                                         [&](auto& u) { return among(units, u); }));
        // Merged with other units: every row it held is still its own, and the rows of the
        // units merged with it lie behind its cursor. A move: the old commune's rows stay
        // until everything written for them is acknowledged (finish_move), which lets go of
        // every row outside the new scope, those of a move it had not finished too. Its HELLO
        // names the scope it leaves, so the server takes what it wrote there until then.
        if (widened)
            pull_again(cp, units);
        else
            rep_->set_meta_text("scope_leaving", held);
    } else if (held.empty() && w.scope != "*") {
        // Its first scope: writes made before it knew one (some perhaps not folded yet) may be
        // of a commune the device served before a move, so it holds them as a scope it leaves,
        // named by no HELLO, until they are acknowledged.
        rep_->set_meta_text("scope_leaving", "");
    } else if (held == w.scope && w.scope != "*" &&
               std::any_of(units.begin(), units.end(), [&](auto& u) { return !among(had, u); })) {
        pull_again(cp, units);
    }
    rep_->set_scope(w.scope, w.units);
    rep_->set_meta_int("scope_version", static_cast<std::int64_t>(w.scope_version));
}

void tablet::pull_again(tablet_checkpoint& cp, const std::vector<std::string>& units) {
    cp.cursor = 0;
    // Conflicts of rows it did not read when they were told are the device's to hear of now.
    rep_->set_meta_int("confirmed_conflict", 0);
    // Its own pushes are left out of a pull, as rows it holds: not those of a unit whose rows
    // it let go when it moved away (a stint there before), and now reads again.
    auto dropped = split_units(rep_->meta_text("units_dropped").value_or(""));
    const auto before = dropped.size();
    std::erase_if(dropped, [&](const std::string& u) {
        return std::find(units.begin(), units.end(), u) != units.end();
    });
    if (dropped.size() == before) return;
    cp.pulls_own = true;
    rep_->set_meta_text("units_dropped", join_units(dropped));
}

namespace {

// Whether a cell or the existence of the row still waits to be pushed.
bool pending_in(const row_state& st, std::uint64_t acked) {
    auto waits = [&](const std::optional<cell_state>& c) { return c && c->seq > acked; };
    return waits(st.exists) || std::any_of(st.cells.begin(), st.cells.end(), waits);
}

} // namespace

void tablet::finish_move() {
    auto& db = rep_->db();
    transaction tx(db);
    const bool leaving = rep_->meta_text("scope_leaving").has_value();
    auto& departed = db.cached("SELECT tbl, id FROM noi_departed");
    std::vector<std::pair<std::string, std::string>> waiting;
    while (departed.step())
        waiting.emplace_back(departed.column_text(0), departed.column_text(1));
    departed.reset();
    if (!leaving && waiting.empty()) return;
    const auto was = read_checkpoint(db);
    auto cp = was;
    fold(cp);
    capture_off off(*rep_);
    row_state_store store(db);
    row_changes changed;
    // Rows moved to a unit it does not read, whose edits have now reached the server.
    auto& gone = db.cached("DELETE FROM noi_departed WHERE tbl = ?1 AND id = ?2");
    for (const auto& [table, id] : waiting) {
        const auto* def = rep_->tables().find(table);
        auto st = def ? store.load(table, id, def->columns.size()) : std::nullopt;
        if (st && pending_in(*st, cp.acked)) continue;
        if (def) {
            rep_->io(*def).remove(id);
            note_change(changed, table, id);
        }
        if (st) store.erase(table, id);
        gone.bind(1, table).bind(2, id);
        gone.run();
    }
    auto& pending = db.cached("SELECT 1 FROM noi_pending LIMIT 1");
    const bool any = pending.step();
    pending.reset();
    // Written since the push ended: the next round sends it, and lets go after.
    if (leaving && !any && cp.local <= cp.acked) {
        const auto units = rep_->scope_units();
        std::string in;
        for (std::size_t i = 0; i < units.size(); ++i)
            in += (i ? ", ?" : "?") + std::to_string(i + 1);
        // The rows outside its units, found by SQL: a tablet's first sync passes here too, and
        // reading every row's state would cost it its whole backlog again.
        for (const auto& def : rep_->tables().tables) {
            if (!def.scope) continue;
            const auto column = quote_ident(def.columns[*def.scope].name);
            auto outside = db.prepare("SELECT id, " + column + " FROM " + quote_ident(def.name) +
                                      " WHERE " + column + " NOT IN (" + in + ")");
            for (std::size_t i = 0; i < units.size(); ++i)
                outside.bind(static_cast<int>(i + 1), units[i]);
            std::vector<std::pair<std::string, std::string>> rows;
            while (outside.step())
                rows.emplace_back(outside.column_text(0), outside.column_text(1));
            for (const auto& [id, unit] : rows) {
                let_go_of(unit);
                rep_->io(def).remove(id);
                store.erase(def.name, id);
                note_change(changed, def.name, id);
            }
        }
        // What it was told of the commune it left is no longer its; what it reads now is told
        // again, from the start.
        db.cached("DELETE FROM noi_conflict_notices").run();
        pull_again(cp, units);
        db.cached("DELETE FROM noi_meta WHERE key = 'scope_leaving'").run();
        db.cached("DELETE FROM noi_departed").run();
    }
    write_checkpoint(db, was, cp);
    rep_->fault_point("tablet.move.before_commit");
    tx.commit();
    if (changes_listener_ && !changed.empty()) changes_listener_(changed);
}

void tablet::let_go_of(const std::string& unit) {
    auto dropped = split_units(rep_->meta_text("units_dropped").value_or(""));
    if (std::find(dropped.begin(), dropped.end(), unit) != dropped.end()) return;
    dropped.push_back(unit);
    rep_->set_meta_text("units_dropped", join_units(dropped));
}

bool tablet::reads(const std::vector<std::string>& units, const std::string& unit) {
    return units.empty() || units.front() == "*" ||
           std::find(units.begin(), units.end(), unit) != units.end();
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
    row_changes changed;
    for (const auto& r : a.rejections)
        record_rejection(cp, r, changed);
    cp.acked = std::max(cp.acked, a.acked_seq);
    prune_pending(cp.acked);
    write_checkpoint(rep_->db(), was, cp);
    rep_->fault_point("tablet.ack.before_commit");
    tx.commit();
    if (changes_listener_ && !changed.empty()) changes_listener_(changed);
}

void tablet::record_rejection(tablet_checkpoint& cp, const proto::rejection& r,
                              row_changes& changed) {
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
            note_change(changed, r.table, r.id);
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

namespace {

[[noreturn]] void cannot_place(const replica& rep, const std::string& what) {
    throw sync_error(errc::schema, "the server sent " + what +
                                       ", which this replica's schema (version " +
                                       std::to_string(rep.tables().version) +
                                       ") lacks; nothing of the batch was applied. Sync again to "
                                       "take the server's schema, or update the app");
}

} // namespace

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
    const auto units = rep_->scope_units();
    row_changes changed;
    for (const auto& r : c.rows) {
        const auto* def = rep_->tables().find(r.table);
        // Skipping it would move the cursor past it for good: the whole batch waits instead.
        if (!def) cannot_place(*rep_, "a row of table " + r.table);
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
            if (!i) cannot_place(*rep_, "a cell of column " + r.table + "." + cc.column);
            // A column twice in one row (no server sends it) keeps its newest version, so the
            // batch means the same however often it is applied (found by fuzz/apply_changes).
            auto same = std::find_if(inc.cells.begin(), inc.cells.end(),
                                     [&](const auto& c) { return c.column == *i; });
            if (same == inc.cells.end())
                inc.cells.push_back({*i, cc.val, cc.ver, std::nullopt});
            else if (cc.ver > same->ver)
                *same = {*i, cc.val, cc.ver, std::nullopt};
        }
        const auto d = merge::decide_row(view, inc, merge::role::tablet);
        const auto out = apply_decision(*def, st, values, {loaded.has_value(), was_alive}, inc, d,
                                        merge::role::tablet, 0);
        received = std::max(received, out.newest_hlc);
        rep_->clock().observe(received);
        // A row moved to a unit this tablet does not read leaves it, once nothing of it waits
        // to be pushed (finish_move lets go of it then).
        const auto* unit = def->scope ? std::get_if<std::string>(&values[*def->scope]) : nullptr;
        if (unit && !reads(units, *unit)) {
            // Its own pushes of the row are left out of later pulls: if it comes to read that
            // unit, it must ask for them (pull_again).
            let_go_of(*unit);
            if (!pending_in(st, acked_seq)) {
                if (in_table) {
                    io.remove(r.id);
                    note_change(changed, r.table, r.id);
                }
                store.erase(r.table, r.id);
                continue;
            }
            auto& wait = db.cached("INSERT OR IGNORE INTO noi_departed(tbl, id) VALUES (?1, ?2)");
            wait.bind(1, r.table).bind(2, r.id);
            wait.run();
        }
        if (out.in_table)
            io.upsert(r.id, values);
        else if (in_table)
            io.remove(r.id);
        if (changes_listener_ &&
            (out.in_table != in_table.has_value() || (in_table && *in_table != values)))
            note_change(changed, r.table, r.id);
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
    if (changes_listener_ && !changed.empty()) changes_listener_(changed);
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

} // namespace noi
