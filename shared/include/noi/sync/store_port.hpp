// The storage port: what the sync service (sync_service.hpp) needs of a store, and all a
// second store (PostgreSQL) writes. Transactions under one write lock, the books
// (store_books.hpp), the row states, the synced tables, the server's clock, its schema and a
// few named values. Every rule of sync lives in the service over this port; a port decides
// nothing. docs/architecture.md "Add a store" says what a new port must pass.
//
// A port keeps the invariants of server_store.hpp with the service:
//  - begin() takes the store's write lock for the outermost transaction and holds it to the
//    end; when it is taken, the port first reads again what another instance committed (the
//    feed's head, the clock's floor, the schema) and tells the service (on_catch_up).
//  - the feed's head, the clock and the ids of the books come from storage under that lock.
//  - tables() is the schema of the open transaction, or of the last one committed; a
//    transaction that published a schema and rolled back leaves the one before.
#pragma once

#include <noi/sync/hlc.hpp>
#include <noi/sync/random_bytes.hpp>
#include <noi/sync/server_store.hpp>
#include <noi/sync/store_books.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace noi {

// A row a push or a pull is about to read: its state, and its table row too when `values`.
struct row_ahead {
    std::string_view table, id;
    bool values = false;
};

// What a push checks before it merges anything (sync_service::push), read at once.
struct push_gate {
    bool may_push = false; // the device is enrolled and not revoked
    // The highest sequence the server holds from the site; none when the site is not the
    // device's (no HELLO bound it).
    std::optional<std::uint64_t> acked;
    quarantine_book::held quarantined; // the device's open rejected rows
    std::uint64_t open_conflicts = 0;  // the open conflicts its pushes recorded
};

class store_port {
public:
    virtual ~store_port() = default;

    // A write transaction: the write lock for the outermost, a nested one inside (a savepoint)
    // that rolls back alone. Rolls back unless committed.
    virtual std::unique_ptr<store_group> begin() = 0;
    virtual bool in_transaction() const = 0;
    // After the store rolled the open transaction back by itself (a full disk), opens a new
    // one for the outer group to commit.
    virtual void reopen_transaction() = 0;
    // Caps the store's size; 0 leaves it unbounded.
    virtual void limit_size(std::uint64_t mib) = 0;
    // Called when the write lock shows another instance committed since this one last wrote
    // (a port that cannot tell calls it at every write lock), after the port read its own part
    // again: the service reads its part (the wall high-water mark) again.
    virtual void on_catch_up(std::function<void()> fn) = 0;

    virtual device_registry& devices() = 0;
    virtual feed& changes() = 0;
    virtual quarantine_book& quarantine() = 0;
    virtual conflict_book& conflicts() = 0;
    virtual audit_trail& audit() = 0;
    virtual unit_registry& units() = 0;
    virtual live_sites& live() = 0;
    virtual schema_log& schemas() = 0;
    virtual access_store& access() = 0;
    virtual row_state_book& states() = 0;
    virtual table_rows& rows(const table_def& t) = 0;
    // A hint, in the transaction or snapshot that reads `rows`: a store that pays a round trip
    // per read reads them all at once, and answers states().load and rows().read from that
    // until something is written to them. A store whose reads are cheap does nothing.
    virtual void read_ahead(const std::vector<row_ahead>& /*rows*/) {}
    // In the open transaction. The books' own reads, one after another; a store that pays a
    // round trip per read answers in one.
    virtual push_gate gate_of(const std::string& device_id, const site_id& s);

    // The synced tables (see above).
    virtual const schema& tables() const = 0;
    // Creates what `next` adds and makes it the schema, in the open transaction.
    virtual void adopt_schema(const schema& next) = 0;
    // Reads the schema of the transaction or snapshot now open again, when another instance
    // published one since.
    virtual void refresh_schema() = 0;

    // The server's own site, which stamps its writes.
    virtual const site_id& site() const = 0;
    // The server's clock; its floor is read under the write lock and kept by save_clock(), in
    // the open transaction.
    virtual hlc_clock& clock() = 0;
    virtual void save_clock() = 0;
    virtual random_bytes& random() = 0;

    // The epoch tablets are told in WELCOME (server_store::epoch).
    virtual site_id epoch() = 0;
    virtual void set_epoch(const site_id& e) = 0;
    // A few named values of the server (its epoch, instance mark, province, the clock's
    // high-water mark).
    virtual std::optional<std::string> meta_text(const std::string& key) = 0;
    virtual void set_meta_text(const std::string& key, const std::string& value) = 0;
    virtual std::int64_t meta_int(const std::string& key, std::int64_t fallback = 0) = 0;
    virtual void set_meta_int(const std::string& key, std::int64_t value) = 0;

    // A named point where the fault tests and the simulation stop a write.
    virtual void fault_point(std::string_view name) = 0;
};

} // namespace noi
