// What all connections share: the database thread (the only one that touches the store, so
// a push is applied by one writer), the registry of live sync sessions for NOTIFY and
// revocation, and the metrics.
#pragma once

#include "net.hpp"

#include "auth_limiter.hpp"
#include "auth_store.hpp"
#include "console_sessions.hpp"
#include "log_throttle.hpp"
#include "rate_limiter.hpp"
#include "sign_in_queue.hpp"
#include "store_location.hpp"

#include <noi/server/server.hpp>
#include <noi/sync/hlc.hpp>
#include <noi/sync/server_store.hpp>

#include <spdlog/common.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace noi::server {

// A live sync connection, as the registry sees it (plain or TLS).
class sync_connection {
public:
    virtual ~sync_connection() = default;
    virtual const device& dev() const = 0;
    // Thread-safe: queue a NOTIFY, close because the device was revoked, or close because the
    // server is stopping.
    virtual void send_notify(std::uint64_t server_seq) = 0;
    virtual void close_revoked() = 0;
    virtual void close_for_shutdown() = 0;
};

struct metrics {
    std::atomic<std::uint64_t> connections{0}, devices_connected{0}, pushes{0}, rows_pushed{0},
        cells_merged{0}, pulls{0}, bytes_in{0}, bytes_out{0}, commits{0}, commit_us{0},
        auth_failures{0}, auth_limited{0}, refused_connections{0}, password_checks{0},
        sign_ins_shed{0};
};

// What a tablet is told when the server's disk (or its --max-db-mib) is full.
inline constexpr const char* storage_full_message =
    "the server's storage is full: nothing of this batch was kept, and the tablet keeps its data "
    "and retries; "
    "the province's operator must free space";

class server_state;

// One open TCP connection, counted from its accept to its close; while it has not become a
// sync session it also counts as pending for its address, so clients that connect and never
// finish a request cannot take every connection or file descriptor. Once it is a sync session
// it counts against its device's sessions instead, from the moment it is admitted (before the
// WebSocket handshake) until the session ends or the slot goes, whichever is first: admitting
// only after the handshake let a device reconnecting in a loop hold 16 sessions where 4 are
// allowed (issue 28, item 7).
class connection_slot {
public:
    connection_slot(server_state& state, std::string address, bool counted_per_address);
    ~connection_slot();
    connection_slot(const connection_slot&) = delete;
    connection_slot& operator=(const connection_slot&) = delete;
    // The connection becomes a sync session of `device_id`, no longer pending for its address;
    // false, and nothing changes, when that device holds max_sessions_per_device already.
    bool become_session(const std::string& device_id);
    // The sync session is over: its device may open another. Only the first call counts.
    void session_ended();

private:
    void no_longer_pending();

    server_state& state_;
    std::string address_;
    bool pending_;
    std::optional<std::string> device_; // while it counts as a session of this device
};

class server_state {
public:
    server_state(const server_config& cfg, const store_location& where);
    ~server_state();

    const server_config& config() const { return cfg_; }
    metrics& stats() { return metrics_; }
    // A job saw the disk full: SQLite then rolls the whole group back, and its answer says why.
    void storage_was_full() { storage_full_ = true; }
    auth_limiter& sync_auth_limits() { return sync_auth_limits_; }
    auth_limiter& admin_auth_limits() { return admin_auth_limits_; }
    rate_limiter& request_limits() { return request_limits_; }
    rate_limiter& push_byte_limits() { return push_byte_limits_; }

    // A line about a device's sync sessions: `log_session` for a session's end (info),
    // `log_problem` for what a session did wrong or could not do. Each kind is throttled per
    // device (server_config::device_log_lines_per_minute); what is held back is told in one
    // line once its minute is over. Thread-safe.
    void log_session(const std::string& device_id, const std::string& line);
    void log_problem(const std::string& device_id, spdlog::level::level_enum level,
                     const std::string& line);
    // Tells what was held back in minutes that are over; the server calls it every few seconds.
    void log_held_back();

    // Runs f(store, auth) on the database thread, in order of posting.
    void db(std::function<void(server_store&, auth_store&)> f);

    // Runs f off the I/O and database threads, one at a time: a password check takes a
    // fraction of a second and 64 MiB, which neither syncs nor other sign-ins should wait on.
    void hashing(std::function<void()> f);
    console_sessions& console() { return console_; }
    // The sign-ins whose passwords wait for the hashing thread (bounded, one per address).
    sign_in_queue& sign_ins() { return sign_ins_; }

    // Runs f(store) on the reader thread, with its own connection: pulls never wait for the
    // writer (WAL readers see the last commit).
    void read(std::function<void(server_store&)> f);
    // Runs f(store, auth) on the reader thread: the admin API's reads (the fleet page polls
    // two every 5 s) wait neither for pushes nor for a change stuck on a lock. f reads the
    // schema again itself (server_store::refresh_schema), where its errors are answered.
    void read_admin(std::function<void(server_store&, auth_store&)> f);

    // A sync request's work and what to do once it is durable or lost.
    struct outcome {
        std::function<void()> committed; // answers may be sent
        // The group's commit failed: nothing of it happened. The argument says why, for the peer.
        std::function<void(const std::string&)> failed;
    };
    using grouped_job = std::function<outcome(server_store&, auth_store&)>;
    // Runs job on the database thread inside one transaction with every other job queued by
    // then (group commit, docs/design.md §8): the fsync is shared, and no answer leaves before it.
    void db_grouped(grouped_job job);
    // Drains queued database work and stops the database thread.
    void stop_db();

    // The registry of live sessions (after their handshake), which NOTIFY and revocation
    // reach; a session leaves exactly once, and leaving twice changes nothing.
    void join(const std::shared_ptr<sync_connection>& s);
    void leave(sync_connection* s);
    // Tells each live session whose scope received data, with its scope's newest sequence.
    void notify(const emissions& emitted, const sync_connection* except);
    // A shared data directory (server_config::shared_data): NOTIFYs the live sessions of what
    // was committed since the last look, by any process. This process's own pushes are found
    // again then; a session drops a NOTIFY at or below one it was told. Thread-safe.
    void notify_others_writes();
    void close_device(const std::string& device_id);
    // Shutdown: every live session sends a close frame.
    void close_all();
    std::size_t live_sessions();
    // Whether a new connection from `address` may be taken: under max_connections in all, and
    // under max_pending_per_address before it is a sync session. Makes its slot when it may.
    std::shared_ptr<connection_slot> admit(const std::string& address);
    std::size_t open_connections() const { return open_connections_; }
    // The most live sessions one device has held at once since the server started (/metrics):
    // taken from the registry, apart from the admission count that bounds it.
    std::size_t device_sessions_peak();

    // What /metrics reads from the database: counted on the reader thread at most once a
    // second, however often it is asked, so a flood of scrapes costs the writer nothing.
    void counts(std::function<void(const store_counts&)> done);
    std::string metrics_text(const store_counts& c);

private:
    server_config cfg_;
    system_clock wall_;
    metrics metrics_;
    auth_limiter sync_auth_limits_{cfg_.auth_failures_per_minute};
    auth_limiter admin_auth_limits_{cfg_.auth_failures_per_minute};
    rate_limiter request_limits_{static_cast<double>(cfg_.max_requests_per_second)};
    rate_limiter push_byte_limits_{cfg_.max_push_mib_per_hour * 1048576.0 / 3600,
                                   cfg_.max_push_mib_per_hour * 1048576.0};
    log_throttle session_lines_{cfg_.device_log_lines_per_minute};
    log_throttle problem_lines_{cfg_.device_log_lines_per_minute};
    bool storage_full_ = false; // set and read on the database thread
    console_sessions console_{cfg_.console_idle};
    // Before the threads: places in it are held by jobs still queued on them.
    sign_in_queue sign_ins_{cfg_.max_pending_password_checks};
    asio::thread_pool hashing_{1};
    asio::io_context db_ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> db_work_;
    std::unique_ptr<server_store> store_;
    std::unique_ptr<auth_store> auth_;
    std::thread db_thread_;
    asio::io_context read_ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> read_work_;
    std::unique_ptr<server_store> reader_;
    std::unique_ptr<auth_store> reader_auth_; // on reader_: token checks for the admin's reads
    std::uint64_t others_seen_ = 0; // notify_others_writes' last look, on the reader thread
    // The feed entries this process's last commits wrote, (from, to], with no other process's
    // between: notify_others_writes need not read them again (their tablets were told).
    std::mutex own_mu_;
    std::uint64_t own_from_ = 0, own_to_ = 0;
    std::thread read_thread_;
    void drain_group();

    std::mutex counts_mu_;
    store_counts counts_;
    std::chrono::steady_clock::time_point counted_at_{};
    std::mutex group_mu_;
    std::vector<grouped_job> group_;
    bool group_scheduled_ = false;
    std::mutex mu_; // guards the four below
    std::map<sync_connection*, std::weak_ptr<sync_connection>> live_;
    std::map<std::string, std::size_t> live_by_device_;
    std::size_t device_sessions_peak_ = 0;
    std::map<std::string, std::size_t> admitted_by_device_; // connection_slot's sessions
    friend class connection_slot;
    std::atomic<std::size_t> open_connections_{0};
    std::mutex pending_mu_;
    std::map<std::string, std::size_t> pending_by_address_;
};

} // namespace noi::server
