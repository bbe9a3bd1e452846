// The books a store keeps for the sync service (store_port.hpp): each is one part of the
// server's data with the few operations the rules need of it, in the domain's terms. No SQL
// and no storage type is in them; sqlite_store's are the SQLite ones, and a second store
// writes its own. Every write happens in the port's open write transaction, under its write
// lock (the invariants of server_store.hpp), and every id a book gives comes from storage.
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema.hpp>
#include <noi/sync/server_records.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace noi {

struct audit_column_list;

// Devices and the replicas (sites) bound to them, with what the server acknowledged of each.
class device_registry {
public:
    virtual ~device_registry() = default;
    // Throws sync_error(already_exists) for a known id.
    virtual void add(const device& d) = 0;
    virtual std::optional<device> find(const std::string& id) = 0;
    virtual std::vector<device> all() = 0;
    virtual std::vector<device_status> statuses() = 0;
    // The device now serves `scope`; its tablet may still push rows of the scope it holds
    // until it confirms the new one.
    virtual void move(const std::string& device_id, const std::string& scope) = 0;
    // A HELLO said the tablet holds `scope` alone, as of the WELCOME of `version`: when both are
    // the device's, nothing older is held.
    virtual void confirm_scope(const std::string& device_id, const std::string& scope,
                               std::uint64_t version) = 0;
    // False for an unknown device. With `wipe`, its tablet deletes its synced data at its next
    // contact (an order given once stays; a revoked device can be given it later).
    virtual bool revoke(const std::string& device_id, bool wipe) = 0;
    // Deletes a device that never made contact nor bound a site (enrolled by mistake, never
    // synced); false for one that did, or an unknown one. Its tokens are the access store's to
    // drop.
    virtual bool remove_unsynced(const std::string& device_id) = 0;
    // Its tablet said it deleted its synced data; the first time is kept.
    virtual void record_wiped(const std::string& device_id) = 0;
    // A revoked device's token was tried (at most one write a minute).
    virtual void record_refusal(const std::string& device_id) = 0;
    // A replica (site) as the server holds it.
    struct binding {
        std::string device_id;       // the device it is bound to
        std::uint64_t acked = 0;     // the replica's local sequence the server holds up to
        std::uint64_t confirmed = 0; // the newest rejection the replica said it recorded
    };
    virtual std::optional<binding> site(const site_id& site) = 0;
    // How many replicas the device has bound, counted in storage (invariant 6).
    virtual std::size_t sites_of(const std::string& device_id) = 0;
    // Binds the site to the device: a new site with nothing acknowledged, or one moved to it.
    virtual void bind(const site_id& site, const std::string& device_id) = 0;
    virtual void set_confirmed(const site_id& site, std::uint64_t confirmed) = 0;
    // What the server holds of a site bound to `device_id`; nullopt for one bound elsewhere.
    virtual std::optional<std::uint64_t> acked(const site_id& site,
                                               const std::string& device_id) = 0;
    // Moves the site's acknowledged sequence from `expected` to `acked`, a compare-and-set
    // (invariant 4 of server_store.hpp): false, and nothing changes, when it no longer holds
    // `expected` (another session's push of the same replica came first).
    virtual bool set_acked(const site_id& site, std::uint64_t expected, std::uint64_t acked) = 0;
    // A HELLO's app_version is kept to this many bytes (cut at a character, ending in "…"): it
    // is the tablet's to say, and every fleet page shows it (issue 28, item 10: 1 MiB was kept).
    static constexpr std::size_t max_app_version_bytes = 64;
    // What a HELLO says of the device, for the fleet status (its app_version already kept
    // short and escaped by the service).
    virtual void record_contact(const std::string& device_id, const proto::hello& h) = 0;
    // A push applied `rows` of the changes the round's HELLO counted as pending.
    virtual void lower_pending(const std::string& device_id, std::uint64_t rows) = 0;
    // A device finished a round (its last pull said "no more").
    virtual void record_sync(const std::string& device_id) = 0;
    // Devices not heard from since `since_ms` (or, never heard from, enrolled before), by unit.
    virtual std::map<std::string, std::uint64_t> silent_by_commune(std::int64_t since_ms) = 0;
};

// The audit record of the change an emission applies, kept on its feed entry.
struct feed_audit {
    std::int64_t at;
    const std::string& device_id;
    const site_id& writer;
    std::string cells;
    std::uint64_t prev; // the row's previous record, 0 for none
};

// One entry of the feed as a pull reads it.
struct feed_entry {
    std::uint64_t seq = 0;
    std::string table, id;
    std::optional<site_id> pusher; // the site whose push alone the entry applies
    bool answer = false;           // an answer to the puller alone: its row goes whole
};

// What a pull reads of the feed: live entries after `after`, in sequence order, at most `limit`.
struct feed_query {
    std::uint64_t after = 0;
    std::size_t limit = 0;
    // The units whose entries are read, besides those of global tables; null reads every unit.
    const std::vector<std::string>* units = nullptr;
    // The puller, whose answers are read too; null for none.
    const site_id* answers_for = nullptr;
    // Given the entries read before fn sees the first of them, in the same snapshot, by a
    // store that reads them all first: their rows can then be read at once
    // (store_port::read_ahead).
    std::function<void(const std::vector<feed_entry>&)> ahead;
};

// The feed (docs/design.md §4): server sequences number row emissions, and each entry names its
// row and the row's scope, so a pull reads one scope's entries in order. An entry also carries
// the audit record of the change it applies (audit_trail). An entry is dead only when nothing
// of its row still has its sequence; an *answer* is read by one replica alone.
class feed {
public:
    virtual ~feed() = default;
    // The newest sequence committed, as a reader sees it now.
    virtual std::uint64_t committed_head() = 0;
    // The newest sequence this writer took (invariant 1: under the write lock, the highest
    // committed plus what the open transaction took).
    virtual std::uint64_t head() = 0;
    virtual std::uint64_t next() = 0;
    // Gives back the sequence just taken, when nothing was written with it.
    virtual void give_back(std::uint64_t seq) = 0;
    // `pusher`: the site whose push this emission applies, when it carries nothing else (its
    // own pulls leave the entry out).
    virtual void record(std::uint64_t seq, const std::string& table, const std::string& id,
                        const value& scope, const site_id* pusher, const feed_audit* audit) = 0;
    // Makes an entry one for every reader, its pusher too, keeping who wrote it.
    virtual void for_everyone(std::uint64_t seq) = 0;
    // Records an answer to `site` alone: its next pull brings the row as the server holds it.
    // The site's earlier answer of the row dies.
    virtual void answer(std::uint64_t seq, const std::string& table, const std::string& id,
                        const value& scope, const site_id& site) = 0;
    // Marks dead the entries of `held` (sequences_of the row's state before a change) that
    // `after`, its new state, no longer holds: no pull reads them again.
    virtual void supersede(const std::vector<std::uint64_t>& held, const row_state& after) = 0;
    // Calls `fn` on the entries `q` asks for until it returns false. The rows `fn` reads through
    // the port are of the same snapshot as the entries, and so is the port's schema then.
    virtual void read(const feed_query& q, const std::function<bool(const feed_entry&)>& fn) = 0;
    // The newest sequence of each scope (null: global tables) among live entries for every
    // reader committed after `after`.
    virtual std::vector<std::pair<value, std::uint64_t>> newest_after(std::uint64_t after) = 0;
};

// Rows the server refused, kept with their reason until an admin discards or releases them.
// What is kept of a refused row, and which entries collapse, are the service's rules
// (quarantine_rules.cpp); this stores entries.
class quarantine_book {
public:
    virtual ~quarantine_book() = default;
    // An entry as the service writes it.
    struct new_entry {
        std::string device_id;
        site_id site{};
        std::string table, row_id;
        std::uint64_t seq = 0;
        proto::reject_reason reason{};
        std::string message;
        std::optional<std::string> payload; // the row, encoded; none when too large to keep
        std::int64_t at = 0;
        std::uint64_t repeats = 1;
    };
    // How many refusals the replica's open entries of this row for this reason count.
    virtual std::uint64_t repeats(const new_entry& e) = 0;
    // Adds `e` under an id above every entry's and above the meta value quarantine_id_floor
    // (read from storage, invariant 6), and drops the replica's other open entries of the same
    // row and reason: `e` counts them. Returns its id.
    virtual std::uint64_t add(const new_entry& e) = 0;
    // A replica's open rejections after the newest one it confirmed, oldest first (WELCOME).
    virtual std::vector<proto::rejection> after(const site_id& site, std::uint64_t confirmed) = 0;
    // For an entry that exists: whether it is `site`'s and no longer open.
    virtual std::optional<bool> closed(std::uint64_t id, const site_id& site) = 0;
    // The newest entry's id; 0 for none.
    virtual std::uint64_t newest_id() = 0;
    // What a device's open entries hold: each collapsed repeat counts as a rejection, and every
    // stored byte counts (payload, table name, row id, message).
    struct held {
        std::uint64_t rows = 0, bytes = 0;
    };
    virtual held open_of(const std::string& device_id) = 0;
    struct entry {
        std::string device_id;
        site_id pusher{};
        quarantine_state status = quarantine_state::open;
        // none when too large to keep, or unreadable (quarantine_payload.hpp decodes it)
        std::optional<proto::row_change> row;
        bool kept = false; // the payload was kept (it may still not read)
    };
    virtual std::optional<entry> find(std::uint64_t id) = 0;
    // An entry's status alone, without reading its row.
    virtual std::optional<quarantine_state> status(std::uint64_t id) = 0;
    // Marks an open entry discarded and drops its payload; false when it was not open.
    virtual bool discard(std::uint64_t id) = 0;
    virtual void mark_released(std::uint64_t id) = 0;
    virtual std::vector<quarantine_record> all() = 0;
    virtual std::uint64_t open_count() = 0;
    // The released entries, with their rows (restore carries them to a snapshot).
    virtual std::vector<std::pair<std::uint64_t, entry>> released() = 0;
};

// Conflicts the merge recorded (docs/design.md §6) and their resolutions.
class conflict_book {
public:
    virtual ~conflict_book() = default;
    // `rec.id` and `status` are the book's to give: they are ignored. A side without its device
    // id gets the device its site is bound to now.
    virtual void record(const conflict_record& rec) = 0;
    // Oldest first, the filter and its page applied.
    virtual std::vector<conflict_record> find(const conflict_filter& f = {}) = 0;
    // How many the filter matches, its page aside.
    virtual std::uint64_t count(const conflict_filter& f) = 0;
    virtual void mark_resolved(std::uint64_t id, const std::string& by,
                               const std::string& resolution) = 0;
    // Marks every open conflict `device_id`'s pushes made resolved; returns how many.
    virtual std::uint64_t resolve_open_of(const std::string& device_id, const std::string& by,
                                          const std::string& resolution) = 0;
    // Gives a side (the winner's, or the loser's) the version its cell was re-stamped with.
    virtual void restamp(std::uint64_t id, bool winner, const version& v) = 0;
    struct totals {
        std::uint64_t all = 0, open = 0;
    };
    virtual totals count() = 0;
    // The newest conflict's id; 0 for none.
    virtual std::uint64_t newest_id() = 0;
};

inline const std::string exists_column = "*exists";

// The audit history (docs/design.md §3): each accepted change's record lives on its feed
// entry, chained to the row's previous one. Reading a row's history (the chain walked, the
// values after filled in) is the service's; this stores the records and the numbered column
// lists an insert's record names.
class audit_trail {
public:
    virtual ~audit_trail() = default;
    // The column list an insert's audit record of this table may name, if it has one: each
    // table's list is stored when the store opens, never inside a push that could roll back.
    virtual const audit_column_list* creation_list(const std::string& table) const = 0;
    // The names of column list `id`; throws sync_error(corrupt_state) when there is none.
    virtual std::vector<std::string> column_list(std::uint64_t id) = 0;
    // A record as stored (audit_codec.hpp packs its cells).
    struct stored {
        std::uint64_t id = 0; // its feed entry's sequence, or its own number in older stores
        std::int64_t at = 0;
        std::string device_id;
        site_id writer{};
        std::string cells;
        std::uint64_t prev = 0; // the row's previous record on the feed; 0 for none
    };
    // The record on feed entry `seq`, if the entry carries one.
    virtual std::optional<stored> on_entry(std::uint64_t seq) = 0;
    // A row's records kept apart before records moved onto the feed, oldest first (SQLite
    // stores of earlier releases; none elsewhere).
    virtual std::vector<stored> before_feed(const std::string& table,
                                            const std::string& row_id) = 0;
};

// The administrative map as the server holds it (docs/design.md §11). A unit is never renamed
// or re-coded: a change of the map retires units and makes new ones, and the lineage says
// which went into which.
class unit_registry {
public:
    virtual ~unit_registry() = default;
    virtual void add(const unit_record& u) = 0;
    virtual std::optional<unit_record> find(const std::string& id) = 0;
    // Every unit, valid or retired, by code then validity.
    virtual std::vector<unit_record> all() = 0;
    // The unit `code` names on `day`.
    virtual std::optional<unit_record> on(const std::string& code, const std::string& day) = 0;
    virtual void retire(const std::string& id, const std::string& until) = 0;
    // The units that went into `id` whole, by id (one step of the lineage).
    virtual std::vector<std::string> whole_parts(const std::string& id) = 0;
    // The units `id` went into, whole or in part, by id (one step of the lineage).
    virtual std::vector<std::string> successors(const std::string& id) = 0;
    virtual std::uint64_t record_change(const map_change_record& c) = 0;
    virtual void link(const lineage_edge& e) = 0;
    virtual std::vector<map_change_record> changes() = 0;
    virtual std::vector<lineage_edge> lineage() = 0;
    // The unit of code `code` retired last on or before `day`, if any.
    virtual std::optional<unit_record> retired(const std::string& code, const std::string& day) = 0;
    // A row moved to another unit (noi-admin rows move).
    virtual void record_row_move(const std::string& table, const std::string& row_id,
                                 const std::string& from_unit, const std::string& to_unit,
                                 std::int64_t at_ms, const std::string& account) = 0;
    // The units a row was moved from, oldest first.
    virtual std::vector<std::string> moved_from(const std::string& table,
                                                const std::string& row_id) = 0;
    // How many rows and how many bytes of values each unit holds in `table`.
    struct unit_rows {
        std::uint64_t rows = 0, bytes = 0;
    };
    virtual std::map<std::string, unit_rows> rows_by_unit(const table_def& table) = 0;
};

// Sessions' claims on their sites, across every instance serving one store (invariant 3 of
// server_store.hpp), and the instances (*holders*) that hold them. What a claim means and when
// a holder counts as gone are the service's (live_sessions.hpp); this stores them.
class live_sites {
public:
    virtual ~live_sites() = default;
    struct holder {
        std::string host;
        std::int64_t pid = 0;
        std::int64_t beat_at = 0;
    };
    // Writes that `holder` (a process `pid` of `host`) is alive at `now`; `first`: also drops
    // holders silent for a day (processes killed long ago).
    virtual void beat(const std::string& holder, const std::string& host, std::int64_t pid,
                      std::int64_t now, bool first) = 0;
    virtual std::optional<holder> find_holder(const std::string& holder) = 0;
    // The holder of the claim on `s`, if any.
    virtual std::optional<std::string> claimant(const site_id& s) = 0;
    // Makes `holder` the claimant of `s`, from `now`.
    virtual void claim(const site_id& s, const std::string& holder, std::int64_t now) = 0;
    // Drops the claim on `s` if `holder` has it.
    virtual void release(const site_id& s, const std::string& holder) = 0;
    // Drops every claim of `holder`, and the holder.
    virtual void leave(const std::string& holder) = 0;
};

// The published schema versions after the first (noi-admin schema apply).
class schema_log {
public:
    virtual ~schema_log() = default;
    virtual void record(const schema_version_record& rec) = 0;
    // Oldest first.
    virtual std::vector<schema_version_record> all() = 0;
    // The feed head when the first version after `version` was published; nullopt for none.
    virtual std::optional<std::uint64_t> head_after(std::uint32_t version) = 0;
};

// Whole rows of one synced table.
class table_rows {
public:
    virtual ~table_rows() = default;
    // The row's values by column index, or none when the row is absent.
    virtual std::optional<std::vector<value>> read(const std::string& id) = 0;
    virtual void upsert(const std::string& id, const std::vector<value>& values) = 0;
    // A row known to be absent: a plain insert, cheaper where the store has one.
    virtual void insert(const std::string& id, const std::vector<value>& values) = 0;
    virtual void remove(const std::string& id) = 0;
    // Every row, in id order: fn(id, values by column index).
    virtual void
    for_each(const std::function<void(const std::string&, std::vector<value>)>& fn) = 0;
};

} // namespace noi
