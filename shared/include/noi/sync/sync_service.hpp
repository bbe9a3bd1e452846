// The server's sync rules, written once over the storage port (store_port.hpp): HELLO, PUSH
// and PULL step by step, the merge of a pushed row with its conflicts, quarantine and
// re-emission, the server's own writes, the admin's resolutions and releases, changes of the
// map, clock repair and what a restore carries over. It is the server_store every store
// serves; sqlite_store is this service over the SQLite port, and a second store writes only a
// port. The pure rules it applies (row_rules, session_rules, pull_rules, apply_decision) have
// no storage at all and are tested alone.
#pragma once

#include <noi/sync/server_store.hpp>
#include <noi/sync/store_port.hpp>

#include <memory>

namespace noi {

struct row_state;
struct row_rules;
class live_sessions;

class sync_service : public server_store {
public:
    sync_service(std::unique_ptr<store_port> port, server_options so);
    ~sync_service() override;

    std::unique_ptr<store_group> begin() override { return port_->begin(); }
    bool in_transaction() const override { return port_->in_transaction(); }
    void reopen_transaction() override { port_->reopen_transaction(); }
    void limit_size(std::uint64_t mib) override { port_->limit_size(mib); }
    access_store& access() override { return port_->access(); }

    // The server_store interface (server_store.hpp says what each does).
    void add_device(const device& d) override;
    std::optional<device> find_device(const std::string& id) override;
    std::vector<device> devices() override;
    std::vector<device_status> device_statuses() override;
    bool revoke_device(const std::string& device_id, bool wipe = false) override;
    removal remove_unsynced_device(const std::string& device_id) override;
    void record_wiped(const std::string& device_id) override;
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
    std::string instance() override { return port_->meta_text("instance").value_or(""); }
    void set_instance(const std::string& mark) override { port_->set_meta_text("instance", mark); }
    resolve_result resolve_conflict(std::uint64_t id, const resolution& r) override;
    quarantine_result discard_quarantined(std::uint64_t id) override;
    std::optional<proto::row_change> quarantined_row(std::uint64_t id) override;
    quarantine_result release_quarantined(std::uint64_t id) override;
    void record_sync(const std::string& device_id) override;
    emissions emitted_since(std::uint64_t after) override;
    std::uint64_t server_seq() const override { return port_->changes().head(); }
    std::uint64_t committed_head() override { return port_->changes().committed_head(); }
    site_id epoch() override { return port_->epoch(); }
    void new_epoch() override;
    bool holds_stamps_beyond_clock() override;
    clock_repair repair_clock() override;
    std::vector<conflict_record> conflicts(const conflict_filter& f = {}) override;
    std::uint64_t count_conflicts(const conflict_filter& f) override;
    std::uint64_t resolve_device_conflicts(const std::string& device_id,
                                           const std::string& by) override;
    std::vector<quarantine_record> quarantine() override;
    store_counts counts(std::int64_t silent_since_ms) override;
    std::int64_t now_ms() override { return port_->clock().wall_ms(); }
    std::int64_t schema_version() const override { return port_->tables().version; }
    const schema& current_schema() const override { return port_->tables(); }
    void refresh_schema() override { port_->refresh_schema(); }
    schema_version_record apply_schema(const schema& next, const std::string& by,
                                       const schema_labels& labels) override;
    std::vector<schema_version_record> schema_history() override;
    schema_labels current_labels() override;
    const table_def* find_table(const std::string& name) const override {
        return port_->tables().find(name);
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

    // The units of the province on the map chosen, with their reference rows (a new store).
    void start_map(const map_choice& map);

    // What a restore (noi-server restore) carries from `from`, the store a snapshot replaces,
    // to this one, the snapshot, as the rules see it; moving the books across is the store's.
    // Re-applies the server's own writes (admin resolutions, releases) that `from` holds and
    // this one lacks, with their original stamps, as re-sends (merge.hpp: no conflict of their
    // own). Tablets re-push their own writes themselves; nobody else would re-push these.
    // Returns the rows that changed.
    std::uint64_t carry_own_writes(sync_service& from);
    // Applies again, as re-sends, the rows `from` released from quarantine that this one has
    // not (their tablets dropped them when they were rejected, so none would re-push them).
    // Call it before this store takes over `from`'s quarantine. Returns the rows applied.
    std::uint64_t carry_releases(sync_service& from);
    // The clock of `from` bounds this one's from now on: its wall high-water mark, and the
    // floor of its stamps (in the open transaction).
    void carry_clock(sync_service& from);

protected:
    store_port& port() { return *port_; }

private:
    // With the write lock just taken and another instance's commit seen: the service's part
    // of catching up (the wall high-water mark).
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
    // Binds the site to `d` for a HELLO, or says why it cannot be: a site belongs to one device,
    // moves only off a revoked one to a fresh device of its commune, and a device makes at most
    // max_sites_per_device replicas.
    std::variant<device_registry::binding, proto::error> bind(const device& d, const site_id& s);
    // Why `code` names no unit of this server on `day`, naming the unit it went into.
    std::string unit_refusal(const std::string& code, const std::string& day);
    // Quarantines a row of `device_id`'s replica `s` refused for `reason` and returns the
    // rejection the tablet hears (quarantine_rules.cpp).
    proto::rejection reject(const std::string& device_id, const site_id& s,
                            const proto::row_change& r, proto::reject_reason reason,
                            std::string why);
    // Closes the replica's open rejections its officer dropped or resent (HELLO's `answered`,
    // the first max_answers_per_hello), each in the admin log under the device's name.
    static constexpr std::size_t max_answers_per_hello = 100;
    void take_answers(const device& d, const site_id& s,
                      const std::vector<proto::answered_rejection>& answered);
    // The conflicts of the device's writes its tablet has not heard of, or holds open and an
    // admin has decided (conflict_notices.cpp).
    void tell_conflicts(const device& d, const proto::hello& h, proto::welcome& w);
    // Those of `listed`, the rejections a replica still keeps, that are settled (WELCOME).
    std::vector<std::uint64_t> settled(const site_id& s, const std::vector<std::uint64_t>& listed);
    // Fills a device's units (server_records.hpp) from the map.
    device with_units(device d);
    // A row's values: from its table while alive, from its tombstone when deleted.
    std::vector<value> row_values(const table_def& def, const std::string& id, const row_state* st);

    std::unique_ptr<store_port> port_;
    server_options opt_;
    std::int64_t wall_high_ = 0, saved_wall_high_ = 0;
    std::unique_ptr<live_sessions> live_;
};

} // namespace noi
