// The storage port on PostgreSQL (store_port.hpp): one connection, its write lock a
// transaction-scoped advisory lock taken at the start of each outermost transaction, and the
// books of pg_*.hpp over it. What another instance committed is read again whenever the lock is
// taken and shows it (the feed's head, the clock's floor, the schema's version).
#pragma once

#include "pg_access_store.hpp"
#include "pg_audit_trail.hpp"
#include "pg_conflict_book.hpp"
#include "pg_connection.hpp"
#include "pg_device_registry.hpp"
#include "pg_feed.hpp"
#include "pg_live_sites.hpp"
#include "pg_quarantine_book.hpp"
#include "pg_rows.hpp"
#include "pg_schema_log.hpp"
#include "pg_unit_registry.hpp"

#include <noi/sync/replica.hpp>
#include <noi/sync/store_port.hpp>

#include <map>
#include <memory>
#include <optional>

namespace noi {

// Makes synced table `t` (or adds the columns it has beyond `held`, its definition until now)
// and records its definition in noi_tables, in the caller's transaction.
void store_synced_table(pg::connection& c, const table_def& t, const table_def* held);

class pg_port final : public store_port {
public:
    // Opens a store made by pg_port::create; throws sync_error(refused) for a database with
    // none, or of a later release.
    pg_port(const std::string& conninfo, const wall_clock& wall, replica_options opt);
    // Makes the tables, the default schema and a site id in an empty database, and opens the
    // store, in a transaction that stays open: nothing of it is kept unless commit_creation()
    // is called, so a store is never left half made.
    static std::unique_ptr<pg_port> create(const std::string& conninfo, const wall_clock& wall,
                                           replica_options opt);
    void commit_creation();

    std::unique_ptr<store_group> begin() override;
    bool in_transaction() const override { return c_.in_transaction(); }
    void reopen_transaction() override;
    // PostgreSQL's own limits (a tablespace's disk, quotas) bound it; nothing to set here.
    void limit_size(std::uint64_t) override {}
    void on_catch_up(std::function<void()> fn) override { caught_up_ = std::move(fn); }

    device_registry& devices() override { return *devices_; }
    feed& changes() override { return *feed_; }
    quarantine_book& quarantine() override { return *quarantine_; }
    conflict_book& conflicts() override { return *conflicts_; }
    audit_trail& audit() override { return *audit_; }
    unit_registry& units() override { return *units_; }
    live_sites& live() override { return *live_; }
    schema_log& schemas() override { return *schemas_; }
    access_store& access() override { return *access_; }
    row_state_book& states() override { return *states_; }
    table_rows& rows(const table_def& t) override;
    void read_ahead(const std::vector<row_ahead>& rows) override;
    push_gate gate_of(const std::string& device_id, const site_id& s) override;

    const schema& tables() const override { return schema_; }
    void adopt_schema(const schema& next) override;
    void refresh_schema() override;

    const site_id& site() const override { return site_; }
    hlc_clock& clock() override { return clock_; }
    void save_clock() override;
    random_bytes& random() override { return random_; }
    site_id epoch() override;
    void set_epoch(const site_id& e) override;
    std::optional<std::string> meta_text(const std::string& key) override;
    void set_meta_text(const std::string& key, const std::string& value) override;
    std::int64_t meta_int(const std::string& key, std::int64_t fallback) override;
    void set_meta_int(const std::string& key, std::int64_t value) override;
    void fault_point(std::string_view) override {}

private:
    // With the write lock just taken.
    void catch_up();
    // Reads the synced tables' definitions and the schema's version.
    void load_schema();
    pg_table_rows& table(const table_def& t);
    struct creating {};
    pg_port(const std::string& conninfo, const wall_clock& wall, replica_options opt, creating);
    // Everything past the connection, for both constructors.
    void open(const wall_clock& wall);

    pg::connection c_;
    std::optional<pg::transaction> creation_; // until commit_creation()
    hlc_clock clock_;
    random_bytes random_;
    site_id site_{};
    schema schema_;
    std::function<void()> caught_up_;
    std::unique_ptr<pg_device_registry> devices_;
    std::unique_ptr<pg_feed> feed_;
    std::unique_ptr<pg_quarantine_book> quarantine_;
    std::unique_ptr<pg_conflict_book> conflicts_;
    std::unique_ptr<pg_audit_trail> audit_;
    std::unique_ptr<pg_unit_registry> units_;
    std::unique_ptr<pg_live_sites> live_;
    std::unique_ptr<pg_schema_log> schemas_;
    std::unique_ptr<pg_access_store> access_;
    std::unique_ptr<pg_row_states> states_;
    std::map<std::string, std::unique_ptr<pg_table_rows>, std::less<>> rows_;
};

} // namespace noi
