// A replica: one SQLite database (WAL, synchronous=FULL) with its site id, metadata, the
// synced tables' definitions, the SQL functions the capture triggers call, and the triggers
// themselves. Both roles build on it: `tablet` (client role) and `server_store`.
//
// Invariants:
//  1. A write to a synced table is captured in the same transaction, or fails: the triggers
//     call functions that only a connection opened through this class has.
//  2. The HLC floor and the local sequence never move backwards, across processes and
//     re-opens: the floor is max(meta floor, newest captured HLC), both inside the database.
#pragma once

#include <noi/sync/database.hpp>
#include <noi/sync/hlc.hpp>
#include <noi/sync/random_bytes.hpp>
#include <noi/sync/schema.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace noi {

class table_io;

enum class replica_role : std::int64_t { tablet = 1, server = 2 };

struct replica_options {
    // Seeds ids and site ids, so a simulation replays byte for byte. Unset: the system's
    // CSPRNG.
    std::optional<std::uint64_t> seed;
};

// Called at numbered fault points inside write transactions; a test makes it throw to
// simulate a crash there (the transaction rolls back, as after power loss).
using fault_hook = std::function<void(std::string_view point)>;

class replica;

// Made before a transaction that may adopt a schema: if the transaction does not commit, the
// replica's tables are read again from the file, which kept the version before.
class schema_adoption {
public:
    explicit schema_adoption(replica& r) : r_(r) {}
    ~schema_adoption();
    schema_adoption(const schema_adoption&) = delete;
    schema_adoption& operator=(const schema_adoption&) = delete;
    void committed() { committed_ = true; }

private:
    replica& r_;
    bool committed_ = false;
};

class replica {
public:
    // Creates a replica file; refuses (errc::already_exists) when one is already there.
    static std::unique_ptr<replica> create(const std::string& path, replica_role role,
                                           const wall_clock& wall, replica_options opt = {});
    // A tablet's own tables (each IF NOT EXISTS): made with a tablet replica, and by the
    // format step of the tablet (tablet::migrations) that adds one to an older replica.
    static void make_tablet_tables(database& db);
    // Opens an existing replica; refuses (errc::not_a_replica) anything else.
    static std::unique_ptr<replica> open(const std::string& path, const wall_clock& wall,
                                         replica_options opt = {});
    ~replica();

    // Makes an existing STRICT table synced (checks docs/design.md §2's rules, installs capture).
    void register_table(const std::string& table, const std::string& scope_column);
    // Creates and registers the NTM criterion-19 tables (docs/design.md §9).
    void install_default_schema();
    // Brings the synced tables to `next`, a version the server published (schema_change.hpp):
    // creates the tables the replica lacks, adds the columns, installs a tablet's capture
    // triggers anew for what changed and records the version, inside the caller's transaction.
    // Refuses (errc::schema) a table or column the replica holds with another scope or type.
    void adopt_schema(const schema& next);
    // Reads the synced tables again when another connection adopted a schema since, or a
    // transaction that adopted one rolled back; returns whether it did.
    bool refresh_schema();

    database& db() { return *db_; }
    const schema& tables() const { return schema_; }
    const site_id& site() const { return site_; }
    replica_role role() const { return role_; }
    hlc_clock& clock() { return clock_; }
    random_bytes& random() { return random_; }
    table_io& io(const table_def& t);

    // Re-reads the HLC floor another process may have advanced. Call at the start of every
    // write transaction the library runs.
    void refresh_clock();
    // Persists the clock's floor (inside the caller's transaction).
    void save_clock();

    std::int64_t meta_int(std::string_view key, std::int64_t fallback = 0);
    void set_meta_int(std::string_view key, std::int64_t v);
    std::optional<std::string> meta_text(std::string_view key);
    void set_meta_text(std::string_view key, std::string_view v);

    // Capture is on except while remote changes are applied, so they are not echoed.
    void set_capture(bool on);
    // The scope the tablet's triggers enforce: a unit's id, "*", or empty (not known yet), and
    // the units merged into it whose rows it writes too (none: the scope alone).
    void set_scope(const std::string& scope, const std::vector<std::string>& units = {});
    // The units set with the scope (the scope alone when none were).
    std::vector<std::string> scope_units() const;

    void set_fault_hook(fault_hook h) { fault_ = std::move(h); }
    void fault_point(std::string_view name) {
        if (fault_) fault_(name);
    }

    std::string new_uuid();
    // Rebuilds an older tablet's capture log and triggers in the current format, inside the
    // caller's transaction (tablet::open's upgrade, which also gives the rows their digests).
    void upgrade_capture_log();
    // Makes every synced table's capture triggers anew in the current form (trigger_format,
    // capture_log.hpp), inside the caller's transaction: tablets with older ones, at open.
    void reinstall_triggers();

    struct capture_context; // the SQL functions' view of this replica

private:
    replica(std::unique_ptr<database> db, const wall_clock& wall, replica_options opt);
    void configure_connection();
    void load();
    void install_triggers(const table_def& t);

    std::unique_ptr<database> db_;
    hlc_clock clock_;
    random_bytes random_;
    std::unique_ptr<capture_context> ctx_;
    site_id site_{};
    replica_role role_ = replica_role::tablet;
    schema schema_;
    std::map<std::string, std::unique_ptr<table_io>> io_;
    fault_hook fault_;
};

} // namespace noi
