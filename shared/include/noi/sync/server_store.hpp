// The server role of a replica (docs/design.md §4, §6, §6a): devices and their scopes, sites bound
// to devices, per-site acknowledged sequences, merging pushed rows with conflict records,
// quarantine, re-emission of kept versions, the audit history, and pull by server sequence
// filtered by scope. Each push is one transaction together with the site's new sequence.
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/replica.hpp>
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
};

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
    // The sequence a device of `scope` ("*": the province) would pull up to; 0 for none.
    std::uint64_t for_scope(const std::string& scope) const;
};

struct row_state;
class device_registry;
class feed;
class quarantine_book;
class conflict_book;
class audit_trail;

// Marks the database copy `file` as a snapshot taken at `at_ms` (noi-server backup).
void mark_snapshot(const std::string& file, std::int64_t at_ms);

class server_store {
public:
    // Creates a server replica with the default schema, the reference communes and an epoch.
    static std::unique_ptr<server_store> create(const std::string& path, const wall_clock& wall,
                                                replica_options opt = {}, server_options so = {});
    static std::unique_ptr<server_store> open(const std::string& path, const wall_clock& wall,
                                              replica_options opt = {}, server_options so = {});
    server_store(std::unique_ptr<replica> r, server_options so);
    ~server_store();

    replica& rep() { return *rep_; }

    // Requests made inside one commit together or not at all; inside one open already (the
    // server's group commit), they roll back alone, and the outer commit makes them durable.
    transaction begin() { return transaction(rep_->db()); }
    // Whether a transaction is still open: false once SQLite rolled one back by itself (a full
    // disk, for one).
    bool in_transaction() const { return rep_->db().in_transaction(); }
    // After SQLite rolled the transaction back by itself, opens a new one for the outer
    // begin() to commit, so the requests after stay atomic together.
    void reopen_transaction() { rep_->db().exec("BEGIN IMMEDIATE"); }
    // Caps the database's size (noi-server --max-db-mib); 0 leaves it unbounded.
    void limit_size(std::uint64_t mib);

    // Throws sync_error(already_exists) for a known id.
    void add_device(const device& d);
    std::optional<device> find_device(const std::string& id);
    std::vector<device> devices();
    // Every device as the fleet status shows it, by commune and name.
    std::vector<device_status> device_statuses();
    // Returns false for an unknown device.
    bool revoke_device(const std::string& device_id);
    // A revoked device's token was tried: the fleet status shows it (refused_at).
    void record_refusal(const std::string& device_id);

    // One connection's requests. hello binds the site to the device and claims it as live
    // until release(); a second live session for one site is refused.
    std::variant<proto::welcome, proto::error> hello(const device& d, const proto::hello& h);
    void release(const site_id& s);
    // `emitted`, when given, learns where the push's emissions went.
    std::variant<proto::push_ack, proto::error>
    push(const device& d, const site_id& s, const proto::push& p, emissions* emitted = nullptr);
    // `puller`: the site asking, whose own cells are left out when the PULL says so.
    proto::changes pull(const device& d, const proto::pull& p,
                        const std::optional<site_id>& puller = std::nullopt);

    // A write by the server itself (reference data, admin resolutions): stamped with the
    // server's clock, merged like any push.
    void write_local(const std::string& table, const std::string& id,
                     const std::vector<value>& values);
    // The same for some cells and, optionally, the row's existence (true: bring it back).
    void write_cells(const std::string& table, const std::string& id,
                     const std::vector<std::pair<std::size_t, value>>& cells,
                     std::optional<bool> exists);

    // After a restore: re-applies the server's own writes (admin resolutions, releases) that
    // `from`, the database the restore replaces, holds and this one lacks, with their original
    // stamps, as re-sends (merge.hpp: no conflict of their own). Tablets re-push their own
    // writes themselves; nobody else would re-push these. Returns the rows that changed.
    std::uint64_t carry_own_writes(server_store& from);
    // After a restore: applies again, as re-sends, the rows `from` released from quarantine
    // that this one has not (their tablets dropped them when they were rejected, so none
    // would re-push them). Call it before this store takes over `from`'s quarantine. Returns
    // the rows applied.
    std::uint64_t carry_releases(server_store& from);
    // A restore (noi-server restore): this store, a snapshot, takes from `current`, the database
    // at `current_path` that it replaces, what only the server holds and was decided since: the
    // devices, tokens, accounts, admin log, conflicts and quarantine as they stand, the sites,
    // and the server's own writes. One transaction; throws when it cannot be done.
    carry_report take_over(server_store& current, const std::string& current_path);
    // When backup took this snapshot (mark_snapshot); 0 for snapshots of older releases.
    std::int64_t snapshot_at_ms() { return rep_->meta_int("snapshot_at_ms"); }
    // After a restore without the database it replaced: quarantine ids start at `floor`.
    void start_quarantine_ids_at(std::int64_t floor) {
        rep_->set_meta_int("quarantine_id_floor", floor);
    }
    // The running server's instance mark (noi-server writes it beside the database too, so a
    // database copied in behind its back is noticed); empty when no server runs it.
    std::string instance() { return rep_->meta_text("instance").value_or(""); }
    void set_instance(const std::string& mark) { rep_->set_meta_text("instance", mark); }

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
    resolve_result resolve_conflict(std::uint64_t id, const resolution& r);

    // Quarantine: drop a rejected row, or apply it once its reason no longer holds.
    enum class quarantine_status { done, not_found, still_rejected, already_closed };
    struct quarantine_result {
        quarantine_status status;
        std::string message;
    };
    quarantine_result discard_quarantined(std::uint64_t id);
    // The row a rejection kept, as the tablet sent it; nullopt when it was too large to keep,
    // was discarded, or cannot be read.
    std::optional<proto::row_change> quarantined_row(std::uint64_t id);
    quarantine_result release_quarantined(std::uint64_t id);

    // A device finished a round (its last pull said "no more").
    void record_sync(const std::string& device_id);

    std::uint64_t server_seq() const;
    site_id epoch();
    // A restored backup gets a new epoch so tablets re-push and pull from zero (docs/design.md §4).
    void new_epoch();

    // A database poisoned before stamps were bounded holds a floor beyond the server's clock.
    bool holds_stamps_beyond_clock();
    // Gives every stored version beyond the clock a fresh stamp of the server's, emits the rows
    // again and starts a new epoch, in one transaction (docs/operations.md). The server must
    // not be running.
    clock_repair repair_clock();

    std::vector<conflict_record> conflicts(const conflict_filter& f = {});
    std::vector<quarantine_record> quarantine();
    // The counts behind /metrics; `silent_since_ms`: devices not heard from since count silent.
    store_counts counts(std::int64_t silent_since_ms);
    // The server's wall clock, in ms since the epoch.
    std::int64_t now_ms() { return rep_->clock().wall_ms(); }
    std::int64_t schema_version() const { return rep_->tables().version; }
    const table_def* find_table(const std::string& name) const { return rep_->tables().find(name); }
    // A row as it stands now, by column name; nullopt when the server holds no live row.
    std::optional<std::map<std::string, value>> read_row(const std::string& table,
                                                         const std::string& id);
    // The live rows of `table` whose `column` holds `equals` (every live row when `column` is
    // empty), in id order; none for an unknown table or column.
    std::vector<stored_row> live_rows(const std::string& table, const std::string& column = {},
                                      const value& equals = {});
    // The row's scope value as it stands now (live or deleted); nullopt for an unknown row.
    std::optional<value> row_scope(const std::string& table, const std::string& id);
    std::vector<audit_record> audit(const std::string& table, const std::string& row_id);
    // The delete's base kept with a tombstone (for checks and the admin tool).
    std::optional<std::vector<version>> tombstone_seen(const std::string& table,
                                                       const std::string& id);

private:
    // The latest wall time the server has read, in ms; every stamp it takes is bounded by it.
    std::int64_t hlc_now_ms();
    // The greatest HLC a pushed stamp or base may hold: hlc_now_ms() plus the clock bound.
    std::uint64_t stamp_limit();
    // Keeps hlc_now_ms() across restarts (inside the caller's transaction).
    void save_wall_high();
    struct apply_result {
        std::optional<proto::rejection> rejection;
    };
    // Whether a version of the row (of site `by` only, when given) is beyond `limit`.
    static bool stamped_beyond(const proto::row_change& r, std::uint64_t limit, const site_id* by);
    // limit: stamp_limit(), taken once per push; bases beyond it count as none. emitted, when
    // given, learns the emission of an accepted row. guess_new: a tablet's insert is merged as
    // a new row without looking its state up first.
    apply_result apply_row(const device& d, const site_id& s, const proto::row_change& r,
                           std::uint64_t limit, emissions* emitted = nullptr,
                           bool guess_new = true);
    // On success, columns holds each cell's column index, in the row's order.
    // `s`: the pushing site, the only one whose versions the row may carry.
    std::optional<proto::reject_reason> validate(const device& d, const site_id& s,
                                                 const proto::row_change& r, const table_def*& def,
                                                 std::string& why,
                                                 std::vector<std::size_t>& columns);
    // Applies a row released from quarantine (apply_row), its emission for the tablet that
    // pushed it too.
    apply_result apply_released(const device& d, const site_id& pusher,
                                const proto::row_change& row, std::uint64_t limit);
    // A row's values: from its table while alive, from its tombstone when deleted.
    std::vector<value> row_values(const table_def& def, const std::string& id, const row_state* st);

    std::unique_ptr<replica> rep_;
    server_options opt_;
    std::int64_t wall_high_ = 0, saved_wall_high_ = 0;
    std::set<site_id> live_;
    std::unique_ptr<device_registry> devices_;
    std::unique_ptr<feed> feed_;
    std::unique_ptr<quarantine_book> quarantine_;
    std::unique_ptr<conflict_book> conflicts_;
    std::unique_ptr<audit_trail> audit_;
};

} // namespace noi
