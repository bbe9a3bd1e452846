// The provincial server: the sync core behind Boost.Beast (HTTP and WebSocket on one port).
// This header keeps Beast out of its includers; everything network-shaped is in src/.
#pragma once

#include <noi/protocol/deflate.hpp>
#include <noi/sync/server_store.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace noi::server {

struct server_config {
    std::string data_dir;
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;        // 0 picks a free port
    std::string tls_cert, tls_key; // both set: wss:// and https://
    bool behind_tls_proxy = false; // plain listening beyond loopback is allowed only then
    int threads = 2;
    std::size_t max_message_bytes = 4u << 20;
    std::size_t max_connections = 20'000; // open TCP connections, sync sessions or not
    // Connections from one address that are not sync sessions yet (handshakes, admin requests).
    std::size_t max_pending_per_address = 64;
    // A sync session stops reading requests while its unsent answers exceed this, and is
    // closed when they have not drained below it within drain_timeout.
    std::size_t max_unsent_bytes = 1u << 20;
    std::chrono::seconds drain_timeout{30};
    std::size_t max_sessions_per_device = 4;
    int max_requests_per_second = 200; // per device; more are read later, not refused (0: none)
    // Bytes of PUSH one device may send in an hour (a burst of it at once): a commune's years
    // of records fit many times over; past it the push is refused for now (0: no limit).
    std::size_t max_push_mib_per_hour = 256;
    std::chrono::seconds handshake_timeout{15};
    std::chrono::seconds idle_timeout{300};
    std::int64_t clock_bound_ms = 10 * 60 * 1000;
    proto::deflate_settings deflate;
    // Failed authentications per client address before its failures are answered late (429);
    // a right token is always served, while a console sign-in past it is refused unchecked until
    // the budget refills. Sync and admin tokens have separate budgets. 0: no limit.
    int auth_failures_per_minute = 30;
    // The longest a failure over the budget waits for its answer: long enough to slow a
    // guesser, short enough that a flood holds few connections.
    std::chrono::seconds auth_failure_delay_max{5};
    // When set, /metrics answers only requests that carry it as a bearer token.
    std::string metrics_token;
    // Proxies whose X-Forwarded-For names the client: only from these is the header believed.
    std::vector<std::string> trusted_proxies;
    std::size_t max_db_mib =
        0; // a cap on the database's size (0: the disk's); pushes past it are refused
    // Open conflicts one device's pushes may have made before its pushes are refused
    // (server_options::max_open_conflicts_per_device).
    std::size_t max_open_conflicts_per_device = 1000;
    // Log lines one device's sync sessions may write in a minute: this many for the sessions'
    // ends, and as many for their warnings; the rest are told in one line a minute.
    std::size_t device_log_lines_per_minute = 10;
    // Console sign-ins waiting for their password's check (Argon2id, one at a time) or being
    // checked, one per client address at most; beyond it a sign-in gets 503 at once.
    std::size_t max_pending_password_checks = 8;
    // A web console session ends after this long without a request.
    std::chrono::seconds console_idle{30 * 60};
    // Other noi-server processes started with it may serve the same data directory at once
    // (noi-server serve --shared): each tells its sessions of the others' writes, and a replica
    // has one session among them all (server_store.hpp, invariants 1 and 3).
    bool shared_data = false;
    // How often a shared server looks for the others' writes to NOTIFY its sessions of.
    std::chrono::milliseconds others_poll{200};
};

// Creates a server in dir (made if missing): the database with the default schema and the
// reference communes. Returns the first admin token. Throws sync_error(already_exists) when
// dir already holds a server, and changes nothing there.
std::string init_data_dir(const std::string& dir, const map_choice& map = {});

// Creates a server in dir (made if missing) whose store is the PostgreSQL database `conninfo`
// names (it holds no password: a libpq password or service file does, docs/operations.md), and
// records it in dir. An empty database gets the store, the default schema and the map, and the
// first admin token is returned; a database that holds a province's store already is joined:
// dir becomes one more process of that province, and nullopt is returned (no account is made).
std::optional<std::string> init_data_dir_on_postgresql(const std::string& dir,
                                                       const std::string& conninfo,
                                                       const map_choice& map = {});

// Moves the server of dir from its SQLite file into the empty PostgreSQL database `conninfo`
// names (pgstore's migrate_to_pg, one transaction), the server stopped, and records the store in
// dir: serve then uses PostgreSQL, and its tablets go on syncing without a reset. DIR/noi.db is
// left as it was. `progress` hears of each table as it is copied.
std::vector<std::pair<std::string, std::uint64_t>>
migrate_store(const std::string& dir, const std::string& conninfo,
              const std::function<void(const std::string&, std::uint64_t)>& progress = {});

// Copies a consistent snapshot of dir's database to file while a server may be running.
void backup(const std::string& dir, const std::string& file);

// What restore() did.
struct restore_report {
    std::int64_t snapshot_at_ms = 0; // when backup() took it; 0 for snapshots of older releases
    bool carried = false;            // the replaced database was read and carried over
    std::string carry_failure;       // why not, when a database was there but could not be read
    std::uint64_t devices_enrolled_since = 0, devices_revoked_since = 0;
    std::uint64_t conflicts_carried = 0, quarantine_carried = 0; // new or changed since
    std::uint64_t server_writes_carried = 0;                     // rows
    std::string replaced_kept_as; // where the replaced database now is (empty: there was none)
};

// Puts `snapshot` (made by backup()) in place of dir's database, the server stopped: checks it,
// carries over from the database it replaces what only the server holds and was decided
// since (devices, revocations, tokens, accounts, the admin log, conflicts and quarantine as
// they stand, the server's own writes), takes a new epoch, and keeps the replaced database
// beside it. Without a database in dir that opens (a new disk, a damaged file), or with
// without_carry, the snapshot goes in alone. A database that opens but cannot be carried over
// (another server's, a read error) changes nothing: it throws.
restore_report restore(const std::string& dir, const std::string& snapshot,
                       bool without_carry = false);

// Takes a new epoch (docs/design.md §4): at its next sync every tablet sends again all it wrote
// and pulls everything. For a store that went back in time behind the server's back: a
// PostgreSQL store restored to an earlier point, or an asynchronous standby promoted
// (docs/operations.md). The server, every process of it, is stopped.
void new_epoch(const std::string& dir);

// Repairs a database whose clock a hostile device poisoned under a release before stamps were
// bounded (server_store::repair_clock); the server must be stopped.
clock_repair repair_clock(const std::string& dir);

class server {
public:
    // Opens the data directory and binds the listening socket; throws with a message that
    // says what to do when either fails.
    explicit server(server_config cfg);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    std::uint16_t port() const;
    std::string listen_address() const; // HOST:PORT as bound
    // Serves until stop() (callable from any thread or a signal handler's strand).
    void run();
    void stop();
    // Loads the certificate and key files again (after a renewal); connections accepted from
    // then on use them, open ones keep theirs. On an error the old ones stay and it is logged.
    // Returns whether a new certificate is in use.
    bool reload_tls();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace noi::server
