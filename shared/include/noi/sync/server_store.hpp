// The server's store, in the domain's terms (docs/design.md §4, §6, §6a): devices and their
// scopes, sites bound to devices, per-site acknowledged sequences, merging pushed rows with
// conflict records, quarantine, re-emission of kept versions, the audit history, and pull by
// server sequence filtered by scope. Each push is one group of writes together with the site's
// new sequence. No SQL and no SQLite type is in it: sqlite_store.hpp is the store Nối ships,
// and tests/sync/store_contract_test.cpp is the contract any other must pass.
//
// INVARIANTS. They hold with any number of instances (processes, connections) serving one
// database; tests/sync/store_invariants_test.cpp checks each with two instances on one store,
// interleaved by seed, and tests/e2e/shared_store_test.cpp with two noi-server processes.
//
//  1. Feed visibility follows commit order. A server sequence is taken only inside a write
//     transaction that holds the store's write lock, from the highest sequence committed, and
//     the lock is held until that transaction ends: every sequence below one a reader sees was
//     committed or rolled back before. So a puller's cursor never passes a sequence that
//     commits later, and no sequence is used twice.
//  2. (hlc, site) is unique. The server's own stamps come from a clock whose floor is read from
//     the store when the write lock is taken and saved in the same transaction: two instances
//     never give two writes one stamp.
//  3. One live session per site, across instances. A session's claim on its site is stored and
//     taken under the write lock; it dies with its session, or with its process (store_books.hpp,
//     live_sites).
//  4. `acked` moves in the same commit as its rows. A push reads the site's acknowledged
//     sequence under the write lock and applies only the rows above it, and writes the new one
//     in the transaction that applies them, as a compare-and-set from the one it read (a push
//     that finds it moved is rolled back whole): a replayed or duplicated push applies nothing
//     twice.
//  5. Validation reads the schema of its own transaction. An instance reads the schema again
//     when the write lock shows another published one; HELLO and the check of a new version
//     happen inside the transaction too.
//  6. Ids and counts come from storage. Quarantine, conflict and map-change ids, and the number
//     of sites a device has bound, are read under the write lock, never kept in memory.
//  7. A row's state is read, merged and saved under the write lock: no merge saves a state read
//     before another instance's write of the row.
//
// The write lock is the storage's: SQLite's BEGIN IMMEDIATE in sqlite_store (which then reads
// what other connections committed: catch_up), an advisory transaction lock for a store whose
// writers do not exclude each other by themselves.
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/protocol/row_size.hpp>
#include <noi/sync/access_store.hpp>
#include <noi/sync/schema.hpp>
#include <noi/sync/schema_labels.hpp>
#include <noi/sync/server_records.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace noi {

struct server_options {
    std::int64_t clock_bound_ms = 10 * 60 * 1000; // pushes stamped further ahead are refused
    std::size_t max_pull_rows = 500;
    std::size_t max_pull_bytes = 64 * 1024; // a few seconds on a slow link, once compressed
    // Replicas one device may make (each HELLO of a new one binds a site for good): a tablet
    // reinstalled now and then stays far below it.
    std::size_t max_sites_per_device = 32;
    // A device whose open quarantine reaches either bound has its pushes refused (quota_exceeded)
    // until an admin discards or releases rows: one tablet cannot fill the server's disk.
    std::size_t max_quarantine_rows_per_device = 1000;
    std::size_t max_quarantine_bytes_per_device = 4u << 20;
    std::size_t max_quarantine_payload = 64 * 1024; // a larger rejected row is recorded, not kept
    // A device whose pushes made this many open conflicts has its pushes refused
    // (quota_exceeded) until an admin resolves some: two replicas of one device cannot bury
    // the inbox and stall every push behind it.
    std::size_t max_open_conflicts_per_device = 1000;
    // A push that would make a row larger is rejected (too_large); tests raise it to make the
    // rows an earlier release let in.
    std::size_t max_row_bytes = proto::max_row_bytes;
};

// The map a new server starts with (noi-server init --province --as-of): the province's units
// valid on that day, from the built-in national list (national_map.hpp).
struct map_choice {
    std::string province = "19"; // Thái Nguyên, which Bắc Kạn went into
    std::string as_of;           // YYYY-MM-DD; empty: today in Vietnam
};

// The map asked for, checked before any store is made (a refused province leaves nothing
// behind): `as_of` defaults to today in Vietnam. Throws sync_error(refused) for a day not
// written YYYY-MM-DD or a province not on the map of that day.
map_choice checked_map(const map_choice& asked, std::int64_t now_ms);

// What noi-server repair-clock changed.
struct clock_repair {
    std::uint64_t versions = 0;  // distinct stamps beyond the clock, each given a fresh one
    std::uint64_t rows = 0;      // rows whose state changed (and were emitted again)
    std::uint64_t conflicts = 0; // conflict sides re-stamped like the cells they name
    std::uint64_t floor_before = 0, floor_after = 0;
};

// Where a push's emissions went: the newest server sequence of each scope that received one,
// and of rows of global tables (which every device reads). NOTIFY is sent from it, so only the
// devices whose scope received data hear of it, and each only of its own scope's sequence.
struct emissions {
    std::map<std::string, std::uint64_t> scopes;
    std::uint64_t global = 0;
    void add(const value& scope, std::uint64_t seq);
    // The sequence the device would pull up to; 0 for none.
    std::uint64_t for_device(const device& d) const;
};

// Requests made inside one commit together or not at all (server_store::begin()).
class store_group {
public:
    virtual ~store_group() = default;
    virtual void commit() = 0;
};

class server_store {
public:
    virtual ~server_store() = default;

    // Requests made inside one commit together or not at all; inside one open already (the
    // server's group commit), they roll back alone, and the outer commit makes them durable.
    virtual std::unique_ptr<store_group> begin() = 0;
    // Whether a group is still open: false once the store rolled one back by itself (a full
    // disk, for one).
    virtual bool in_transaction() const = 0;
    // After the store rolled the group back by itself, opens a new one for the outer begin()
    // to commit, so the requests after stay atomic together.
    virtual void reopen_transaction() = 0;
    // Caps the store's size (noi-server --max-db-mib); 0 leaves it unbounded.
    virtual void limit_size(std::uint64_t mib) = 0;
    // Tokens, accounts and the admin log, kept with the rest of the server's data.
    virtual access_store& access() = 0;

    // Throws sync_error(already_exists) for a known id.
    virtual void add_device(const device& d) = 0;
    virtual std::optional<device> find_device(const std::string& id) = 0;
    virtual std::vector<device> devices() = 0;
    // Every device as the fleet status shows it, by commune and name.
    virtual std::vector<device_status> device_statuses() = 0;
    // Returns false for an unknown device. With `wipe`, its tablet is told at its next contact
    // to delete its synced data (device_registry::revoke).
    virtual bool revoke_device(const std::string& device_id, bool wipe = false) = 0;
    // A device enrolled by mistake and never synced (no replica of it ever said HELLO) is
    // deleted with its tokens; one that synced is kept (revoke it), its data is on record.
    enum class removal { removed, not_found, synced };
    virtual removal remove_unsynced_device(const std::string& device_id) = 0;
    virtual void record_wiped(const std::string& device_id) = 0;
    // A revoked device's token was tried: the fleet status shows it (refused_at).
    virtual void record_refusal(const std::string& device_id) = 0;

    // One connection's requests. hello binds the site to the device and claims it as live
    // until release(); a second live session for one site is refused.
    virtual std::variant<proto::welcome, proto::error> hello(const device& d,
                                                             const proto::hello& h) = 0;
    virtual void release(const site_id& s) = 0;
    // Tells the other instances serving this store that this one still holds its sessions
    // (invariant 3); a running server calls it every few seconds.
    virtual void keep_alive() = 0;
    // `emitted`, when given, learns where the push's emissions went.
    virtual std::variant<proto::push_ack, proto::error>
    push(const device& d, const site_id& s, const proto::push& p, emissions* emitted = nullptr) = 0;
    // `puller`: the site asking, whose own cells are left out when the PULL says so.
    virtual proto::changes pull(const device& d, const proto::pull& p,
                                const std::optional<site_id>& puller = std::nullopt) = 0;

    // A write by the server itself (reference data, admin resolutions): stamped with the
    // server's clock (kept in the same transaction), merged like any push. The only writes of
    // global tables there are. `writer` is who the row's audit record names: empty for the
    // server itself, "admin:NAME" for an account's edit of reference data (its history then
    // shows the account, not "server").
    virtual void write_local(const std::string& table, const std::string& id,
                             const std::vector<value>& values, const std::string& writer = {}) = 0;
    // The same for some cells and, optionally, the row's existence (true: bring it back, or
    // make a row the server never held).
    virtual void write_cells(const std::string& table, const std::string& id,
                             const std::vector<std::pair<std::size_t, value>>& cells,
                             std::optional<bool> exists, const std::string& writer = {}) = 0;

    // The running server's instance mark (noi-server writes it beside the database too, so a
    // database copied in behind its back is noticed); empty when no server runs it.
    virtual std::string instance() = 0;
    virtual void set_instance(const std::string& mark) = 0;

    // An admin's decision on a conflict (docs/design.md §6): keep one device's side, or a new
    // value.
    struct resolution {
        std::optional<std::string> keep_device;
        std::optional<value> new_value;
        bool force = false;
        std::string by; // who resolved it
    };
    enum class resolve_status {
        resolved,
        not_found,
        already_resolved,
        changed_since,
        row_deleted,
        bad_request
    };
    struct resolve_result {
        resolve_status status;
        std::string message;
    };
    virtual resolve_result resolve_conflict(std::uint64_t id, const resolution& r) = 0;

    // Quarantine: drop a rejected row, or apply it once its reason no longer holds.
    enum class quarantine_status { done, not_found, still_rejected, already_closed };
    struct quarantine_result {
        quarantine_status status;
        std::string message;
    };
    virtual quarantine_result discard_quarantined(std::uint64_t id) = 0;
    // The row a rejection kept, as the tablet sent it; nullopt when it was too large to keep,
    // was discarded, or cannot be read.
    virtual std::optional<proto::row_change> quarantined_row(std::uint64_t id) = 0;
    virtual quarantine_result release_quarantined(std::uint64_t id) = 0;

    // A device finished a round (its last pull said "no more").
    virtual void record_sync(const std::string& device_id) = 0;

    // Where the feed entries committed after sequence `after` went, by any instance: another
    // process's pushes are NOTIFYed from it.
    virtual emissions emitted_since(std::uint64_t after) = 0;

    virtual std::uint64_t server_seq() const = 0;
    // The newest server sequence committed, as a reader sees it now (server_seq() is the
    // writer's, with what the open group took).
    virtual std::uint64_t committed_head() = 0;
    virtual site_id epoch() = 0;
    // A restored backup gets a new epoch so tablets re-push and pull from zero (docs/design.md §4).
    virtual void new_epoch() = 0;

    // A database poisoned before stamps were bounded holds a floor beyond the server's clock.
    virtual bool holds_stamps_beyond_clock() = 0;
    // Gives every stored version beyond the clock a fresh stamp of the server's, emits the rows
    // again and starts a new epoch, in one transaction (docs/operations.md). The server must
    // not be running.
    virtual clock_repair repair_clock() = 0;

    virtual std::vector<conflict_record> conflicts(const conflict_filter& f = {}) = 0;
    // How many conflicts the filter matches, its page aside.
    virtual std::uint64_t count_conflicts(const conflict_filter& f) = 0;
    // Resolves every open conflict the pushes of `device_id` made, keeping every row as it
    // stands now (nothing is written); returns how many.
    virtual std::uint64_t resolve_device_conflicts(const std::string& device_id,
                                                   const std::string& by) = 0;
    virtual std::vector<quarantine_record> quarantine() = 0;
    // The counts behind /metrics; `silent_since_ms`: devices not heard from since (or, never
    // heard from, enrolled before it) count silent.
    virtual store_counts counts(std::int64_t silent_since_ms) = 0;
    // The server's wall clock, in ms since the epoch.
    virtual std::int64_t now_ms() = 0;
    virtual std::int64_t schema_version() const = 0;
    virtual const schema& current_schema() const = 0;
    // Reads the schema again when another connection published one since: a reader's
    // connection does so before reads of its own (a pull does in its snapshot).
    virtual void refresh_schema() = 0;
    // Publishes the next version of the application schema, in one transaction: it must be
    // the current version + 1 and only add (schema_change.hpp); refused with errc::schema, the
    // schema unchanged. Sessions already open keep the tables they were told of until their
    // next HELLO.
    // `labels` are published with it: each adds a label or replaces the one it names.
    virtual schema_version_record apply_schema(const schema& next, const std::string& by,
                                               const schema_labels& labels) = 0;
    // The published versions after the first, oldest first.
    virtual std::vector<schema_version_record> schema_history() = 0;
    // The labels of the current schema: the default tables', then each version's over them.
    virtual schema_labels current_labels() = 0;
    virtual const table_def* find_table(const std::string& name) const = 0;
    // A row as it stands now, by column name; nullopt when the server holds no live row.
    virtual std::optional<std::map<std::string, value>> read_row(const std::string& table,
                                                                 const std::string& id) = 0;
    // The live rows of `table` whose `column` holds `equals` (every live row when `column` is
    // empty), in id order; none for an unknown table or column.
    virtual std::vector<stored_row> live_rows(const std::string& table,
                                              const std::string& column = {},
                                              const value& equals = {}) = 0;
    // Every live row over proto::max_row_bytes, by table and id: a full scan, for the admin.
    virtual std::vector<oversized_row> oversized_rows() = 0;
    // The row's scope value as it stands now (live or deleted); nullopt for an unknown row.
    virtual std::optional<value> row_scope(const std::string& table, const std::string& id) = 0;
    virtual std::vector<audit_record> audit(const std::string& table,
                                            const std::string& row_id) = 0;
    // The administrative map (docs/design.md §11): every unit with its validity, the changes
    // applied and which unit went into which.
    virtual std::vector<unit_record> units() = 0;
    virtual std::vector<map_change_record> map_changes() = 0;
    virtual std::vector<lineage_edge> lineage() = 0;
    // The unit `code` names on `day` (YYYY-MM-DD); nullopt, with `why` naming the unit it
    // went into or saying the code is unknown.
    virtual std::optional<unit_record> unit_on(const std::string& code, const std::string& day,
                                               std::string& why) = 0;
    // The unit's id first, then each unit that went into it whole: whose rows its devices read.
    virtual std::vector<std::string> unit_members(const std::string& id) = 0;
    // Works out a change of the map and, unless `dry_run`, applies it in the caller's group,
    // recorded as `by`'s: new units, the old ones retired, the lineage, the reference rows
    // and the devices of the old units moved to the new. Throws sync_error(refused) with what
    // to fix for a change that cannot be made; a dry run changes nothing.
    virtual map_impact change_map(const map_change_request& c, const std::string& by,
                                  bool dry_run) = 0;
    // Moves a device to the unit `code` names today (an officer who moved): its tablet's writes
    // for the old unit are still taken until the tablet says it learned the move, then it holds
    // the new unit's rows alone. Returns the device before the move; throws sync_error(refused)
    // for an unknown or revoked device or a code that names no unit today.
    virtual device move_device(const std::string& device_id, const std::string& code) = 0;
    // Moves rows of a commune's table to the unit `code` names today (a household that moved),
    // as the server's write of their scope cell by `by`, in the caller's group unless
    // `dry_run`: the rows go to the new unit's tablets whole, and leave the old unit's. The
    // rows are `ids`, or those whose `column` holds `equals` when `ids` is empty. Throws
    // sync_error(refused) saying what to fix.
    virtual rows_moved move_rows(const std::string& table, const std::vector<std::string>& ids,
                                 const std::string& column, const value& equals,
                                 const std::string& code, const std::string& by, bool dry_run) = 0;

    // The delete's base kept with a tombstone (for checks and the admin tool).
    virtual std::optional<std::vector<version>> tombstone_seen(const std::string& table,
                                                               const std::string& id) = 0;
};

} // namespace noi
