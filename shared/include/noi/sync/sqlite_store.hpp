// The server's store on SQLite: one database file with the replica's tables and the server's
// own (docs/architecture.md names which part owns which). It is the server_store Nối ships.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/server_store.hpp>

#include <memory>

namespace noi {

struct row_state;
class device_registry;
class feed;
class quarantine_book;
class conflict_book;
class audit_trail;
class unit_registry;
class live_sites;
struct row_rules;

// Marks the database copy `file` as a snapshot taken at `at_ms` (noi-server backup).
void mark_snapshot(const std::string& file, std::int64_t at_ms);

class sqlite_store final : public server_store {
public:
    // Creates a server replica with the default schema, the reference communes and an epoch.
    // Refuses (errc::refused) a province that is not on the map of the day asked for.
    static std::unique_ptr<sqlite_store> create(const std::string& path, const wall_clock& wall,
                                                replica_options opt = {}, server_options so = {},
                                                const map_choice& map = {});
    static std::unique_ptr<sqlite_store> open(const std::string& path, const wall_clock& wall,
                                              replica_options opt = {}, server_options so = {});
    // What SQLite's integrity check (quick_check) finds wrong in the database file `path`,
    // before anything opens it as a store; nullopt when nothing is.
    static std::optional<std::string> damage(const std::string& path);
    sqlite_store(std::unique_ptr<replica> r, server_options so);
    ~sqlite_store() override;

    // The replica beneath, for tests, the simulation and tools that look at its tables.
    replica& rep() { return *rep_; }

    // A group is a SQLite transaction (a SAVEPOINT inside one open already).
    std::unique_ptr<store_group> begin() override;
    bool in_transaction() const override { return rep_->db().in_transaction(); }
    void reopen_transaction() override { rep_->db().begin_write(); }
    // SQLite's max_page_count: a write that would pass it fails as a full disk does.
    void limit_size(std::uint64_t mib) override;
    access_store& access() override;

    // The server_store interface (server_store.hpp says what each does).
    void add_device(const device& d) override;
    std::optional<device> find_device(const std::string& id) override;
    std::vector<device> devices() override;
    std::vector<device_status> device_statuses() override;
    bool revoke_device(const std::string& device_id) override;
    void record_refusal(const std::string& device_id) override;
    std::variant<proto::welcome, proto::error> hello(const device& d,
                                                     const proto::hello& h) override;
    void release(const site_id& s) override;
    void keep_alive() override;
    std::variant<proto::push_ack, proto::error> push(const device& d, const site_id& s,
                                                     const proto::push& p,
                                                     emissions* emitted = nullptr) override;
    proto::changes pull(const device& d, const proto::pull& p,
                        const std::optional<site_id>& puller = std::nullopt) override;
    void write_local(const std::string& table, const std::string& id,
                     const std::vector<value>& values, const std::string& writer = {}) override;
    void write_cells(const std::string& table, const std::string& id,
                     const std::vector<std::pair<std::size_t, value>>& cells,
                     std::optional<bool> exists, const std::string& writer = {}) override;
    std::string instance() override { return rep_->meta_text("instance").value_or(""); }
    void set_instance(const std::string& mark) override { rep_->set_meta_text("instance", mark); }
    resolve_result resolve_conflict(std::uint64_t id, const resolution& r) override;
    quarantine_result discard_quarantined(std::uint64_t id) override;
    std::optional<proto::row_change> quarantined_row(std::uint64_t id) override;
    quarantine_result release_quarantined(std::uint64_t id) override;
    void record_sync(const std::string& device_id) override;
    emissions emitted_since(std::uint64_t after) override;
    std::uint64_t server_seq() const override;
    std::uint64_t committed_head() override;
    site_id epoch() override;
    void new_epoch() override;
    bool holds_stamps_beyond_clock() override;
    clock_repair repair_clock() override;
    std::vector<conflict_record> conflicts(const conflict_filter& f = {}) override;
    std::uint64_t count_conflicts(const conflict_filter& f) override;
    std::uint64_t resolve_device_conflicts(const std::string& device_id,
                                           const std::string& by) override;
    std::vector<quarantine_record> quarantine() override;
    store_counts counts(std::int64_t silent_since_ms) override;
    std::int64_t now_ms() override { return rep_->clock().wall_ms(); }
    std::int64_t schema_version() const override { return rep_->tables().version; }
    const schema& current_schema() const override { return rep_->tables(); }
    schema_version_record apply_schema(const schema& next, const std::string& by) override;
    std::vector<schema_version_record> schema_history() override;
    const table_def* find_table(const std::string& name) const override {
        return rep_->tables().find(name);
    }
    std::optional<std::map<std::string, value>> read_row(const std::string& table,
                                                         const std::string& id) override;
    std::vector<stored_row> live_rows(const std::string& table, const std::string& column = {},
                                      const value& equals = {}) override;
    std::vector<oversized_row> oversized_rows() override;
    std::optional<value> row_scope(const std::string& table, const std::string& id) override;
    std::vector<audit_record> audit(const std::string& table, const std::string& row_id) override;
    std::optional<std::vector<version>> tombstone_seen(const std::string& table,
                                                       const std::string& id) override;
    std::vector<unit_record> units() override;
    std::vector<map_change_record> map_changes() override;
    std::vector<lineage_edge> lineage() override;
    std::optional<unit_record> unit_on(const std::string& code, const std::string& day,
                                       std::string& why) override;
    std::vector<std::string> unit_members(const std::string& id) override;
    map_impact change_map(const map_change_request& c, const std::string& by,
                          bool dry_run) override;
    device move_device(const std::string& device_id, const std::string& code) override;
    rows_moved move_rows(const std::string& table, const std::vector<std::string>& ids,
                         const std::string& column, const value& equals, const std::string& code,
                         const std::string& by, bool dry_run) override;

    // Restores (noi-server restore) move SQLite files; these carry over what the file a
    // snapshot replaces holds and the snapshot lacks.
    // After a restore: re-applies the server's own writes (admin resolutions, releases) that
    // `from`, the database the restore replaces, holds and this one lacks, with their original
    // stamps, as re-sends (merge.hpp: no conflict of their own). Tablets re-push their own
    // writes themselves; nobody else would re-push these. Returns the rows that changed.
    std::uint64_t carry_own_writes(sqlite_store& from);
    // After a restore: applies again, as re-sends, the rows `from` released from quarantine
    // that this one has not (their tablets dropped them when they were rejected, so none
    // would re-push them). Call it before this store takes over `from`'s quarantine. Returns
    // the rows applied.
    std::uint64_t carry_releases(sqlite_store& from);
    // A restore (noi-server restore): this store, a snapshot, takes from `current`, the database
    // at `current_path` that it replaces, what only the server holds and was decided since: the
    // devices, tokens, accounts, admin log, conflicts and quarantine as they stand, the sites,
    // and the server's own writes. One transaction; throws when it cannot be done.
    carry_report take_over(sqlite_store& current, const std::string& current_path);
    // When backup took this snapshot (mark_snapshot); 0 for snapshots of older releases.
    std::int64_t snapshot_at_ms() { return rep_->meta_int("snapshot_at_ms"); }
    // After a restore without the database it replaced: quarantine ids start at `floor`.
    void start_quarantine_ids_at(std::int64_t floor) {
        rep_->set_meta_int("quarantine_id_floor", floor);
    }

private:
    // With the write lock just taken: reads again what another connection committed since this
    // one last wrote (the feed's head, the clock's floor, the schema), so the invariants of
    // server_store.hpp hold with several processes on one file.
    void catch_up();
    // The server sequence from which rows of what a tablet at `version` lacks can appear.
    std::uint64_t schema_since(std::uint32_t version);
    // The latest wall time the server has read, in ms; every stamp it takes is bounded by it.
    std::int64_t hlc_now_ms();
    // The greatest HLC a pushed stamp or base may hold: hlc_now_ms() plus the clock bound.
    std::uint64_t stamp_limit();
    // Keeps hlc_now_ms() across restarts (inside the caller's transaction).
    void save_wall_high();
    struct apply_result {
        std::optional<proto::rejection> rejection;
    };
    // limit: stamp_limit(), taken once per push; bases beyond it count as none. emitted, when
    // given, learns the emission of an accepted row. guess_new: a tablet's insert is merged as
    // a new row without looking its state up first.
    apply_result apply_row(const device& d, const site_id& s, const proto::row_change& r,
                           std::uint64_t limit, emissions* emitted = nullptr,
                           bool guess_new = true);
    // What the row rules (row_rules.hpp) read of this store.
    row_rules rules();
    // Applies a row released from quarantine (apply_row), its emission for the tablet that
    // pushed it too.
    apply_result apply_released(const device& d, const site_id& pusher,
                                const proto::row_change& row, std::uint64_t limit);
    // The units of the province on the map chosen at init, with their reference rows.
    void start_map(const map_choice& map);
    // Fills a device's units (server_records.hpp) from the map.
    device with_units(device d);
    // The units a row was moved from (noi-admin rows move), oldest first.
    std::vector<std::string> moved_from(const std::string& table, const std::string& id);
    // A row's values: from its table while alive, from its tombstone when deleted.
    std::vector<value> row_values(const table_def& def, const std::string& id, const row_state* st);

    std::unique_ptr<replica> rep_;
    server_options opt_;
    std::int64_t wall_high_ = 0, saved_wall_high_ = 0;
    std::int64_t data_version_ = 0;
    std::unique_ptr<device_registry> devices_;
    std::unique_ptr<feed> feed_;
    std::unique_ptr<quarantine_book> quarantine_;
    std::unique_ptr<conflict_book> conflicts_;
    std::unique_ptr<audit_trail> audit_;
    std::unique_ptr<unit_registry> units_;
    std::unique_ptr<access_store> access_;
    std::unique_ptr<live_sites> live_;
};

} // namespace noi
