// The storage port on SQLite (store_port.hpp): one database file, its connection's write lock
// taken by BEGIN IMMEDIATE, and the books of sqlite_*.hpp over it. Other processes on the same
// file are caught up with through PRAGMA data_version whenever the write lock is taken.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/store_port.hpp>

#include <memory>

namespace noi {

class sqlite_device_registry;
class sqlite_feed;
class sqlite_quarantine_book;
class sqlite_conflict_book;
class sqlite_audit_trail;
class sqlite_unit_registry;
class sqlite_live_sites;
class sqlite_schema_log;

class sqlite_port final : public store_port {
public:
    // Brings the server's tables to this release's format (migrations.hpp) first.
    explicit sqlite_port(std::unique_ptr<replica> r);
    ~sqlite_port() override;

    replica& rep() { return *rep_; }

    std::unique_ptr<store_group> begin() override;
    bool in_transaction() const override { return rep_->db().in_transaction(); }
    void reopen_transaction() override { rep_->db().begin_write(); }
    // SQLite's max_page_count: a write that would pass it fails as a full disk does.
    void limit_size(std::uint64_t mib) override;
    void on_catch_up(std::function<void()> fn) override { caught_up_ = std::move(fn); }

    device_registry& devices() override;
    feed& changes() override;
    quarantine_book& quarantine() override;
    conflict_book& conflicts() override;
    audit_trail& audit() override;
    unit_registry& units() override;
    live_sites& live() override;
    schema_log& schemas() override;
    access_store& access() override { return *access_; }
    row_state_book& states() override { return states_; }
    table_rows& rows(const table_def& t) override;

    const schema& tables() const override { return rep_->tables(); }
    void adopt_schema(const schema& next) override { rep_->adopt_schema(next); }
    void refresh_schema() override;

    const site_id& site() const override { return rep_->site(); }
    hlc_clock& clock() override { return rep_->clock(); }
    void save_clock() override { rep_->save_clock(); }
    random_bytes& random() override { return rep_->random(); }
    site_id epoch() override;
    void set_epoch(const site_id& e) override;
    std::optional<std::string> meta_text(const std::string& key) override {
        return rep_->meta_text(key);
    }
    void set_meta_text(const std::string& key, const std::string& value) override {
        rep_->set_meta_text(key, value);
    }
    std::int64_t meta_int(const std::string& key, std::int64_t fallback) override {
        return rep_->meta_int(key, fallback);
    }
    void set_meta_int(const std::string& key, std::int64_t value) override {
        rep_->set_meta_int(key, value);
    }
    void fault_point(std::string_view name) override { rep_->fault_point(name); }

private:
    // With the write lock just taken: reads again what another connection committed since this
    // one last wrote (the feed's head, the clock's floor, the schema), then the service's part.
    void catch_up();

    std::unique_ptr<replica> rep_;
    std::int64_t data_version_ = 0;
    std::function<void()> caught_up_;
    row_state_store states_;
    std::unique_ptr<sqlite_device_registry> devices_;
    std::unique_ptr<sqlite_feed> feed_;
    std::unique_ptr<sqlite_quarantine_book> quarantine_;
    std::unique_ptr<sqlite_conflict_book> conflicts_;
    std::unique_ptr<sqlite_audit_trail> audit_;
    std::unique_ptr<sqlite_unit_registry> units_;
    std::unique_ptr<sqlite_live_sites> live_;
    std::unique_ptr<sqlite_schema_log> schemas_;
    std::unique_ptr<access_store> access_;
};

} // namespace noi
