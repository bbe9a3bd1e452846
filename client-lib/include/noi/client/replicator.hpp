// Runs sync rounds for one tablet: one connection at a time, each carrying one client_session;
// after a cut it reconnects with exponential backoff and jitter until a round finishes or the
// time is up. The session does the sync; the replicator only retries (LiteCore's split).
#pragma once

#include <noi/client/transport.hpp>
#include <noi/sync/client_session.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

namespace noi::client {

enum class sync_outcome {
    done,        // a full round finished
    network,     // no round could finish in time (nothing lost; retry later)
    credentials, // the server refused the token
    refused,     // the server refused the replica for good (message says why)
    cancelled,   // cancel() was called (nothing lost; the next sync goes on from here)
    wiped, // the device was revoked and the replica's synced data deleted at the office's order
};

enum class sync_phase {
    connecting, // reaching the server
    pushing,    // sending this replica's changes
    pulling,    // taking the others' changes
    waiting,    // an attempt failed: the next one starts after retry_in (waiting_because)
    done,       // the round finished
};

// Why a sync is not getting through, for the officer: what the last failure was.
enum class stall_reason {
    none,
    network,       // no connection, or it broke: the link
    credentials,   // the server refused the device token (revoked, or mistyped)
    server_behind, // the server is older than the tablet (schema, protocol) or was restored
    quota,         // the server holds this device's pushes: too many of its rows rejected
    refused,       // the server refused the replica for another reason (the message says)
};

struct sync_progress {
    round_stats stats;
    int attempt = 0;
    sync_phase phase = sync_phase::connecting;
    std::uint64_t rows_to_send = 0;   // pending rows not yet pushed by this attempt
    std::uint64_t bytes_to_send = 0;  // an estimate: at the bytes a row took in this attempt
    std::uint64_t bytes_sent = 0;     // protocol message bytes handed to the connection
    std::uint64_t bytes_received = 0; // and taken from it, this sync
    stall_reason stalled = stall_reason::none; // while waiting: why the attempt failed
    std::string waiting_because;
    std::chrono::milliseconds retry_in{0};
};

struct sync_result {
    sync_outcome outcome = sync_outcome::network;
    std::string message;
    stall_reason stalled = stall_reason::none; // unless done: why
    round_stats stats;                         // of the round that finished, or the last attempt
    int attempts = 0;
};

struct replicator_options {
    std::string url, token;
    client_options session;
    std::chrono::milliseconds first_backoff{300};
    std::chrono::milliseconds max_backoff{15'000};
    std::chrono::milliseconds message_timeout{30'000};
};

class replicator {
public:
    using transport_factory = std::function<std::unique_ptr<transport>()>;
    replicator(tablet& t, transport_factory factory, replicator_options opt);

    sync_result sync(std::chrono::milliseconds timeout,
                     const std::function<void(const sync_progress&)>& progress = {});

    // From another thread: the sync or watch running now ends at once with outcome cancelled
    // (its connection interrupted, nothing lost), as does every later one on this replicator.
    void cancel();

    // Stays online until `stop`: a round at once, then another after each local change (a
    // commit by any connection to the replica) and each NOTIFY from the server, reconnecting
    // with backoff and jitter after a cut. Returns early only when the server refuses the
    // device (credentials or a permanent refusal), with that result, or after cancel().
    sync_result watch(const std::atomic<bool>& stop,
                      const std::function<void(const sync_result&)>& on_round = {});

private:
    // Holds a connection open after HELLO until a NOTIFY arrives, the replica changes, the
    // connection breaks or `stop` is set.
    void wait_for_change(const std::atomic<bool>& stop);
    void pause(std::chrono::milliseconds d, const std::atomic<bool>& stop);
    // A transport from the factory, which cancel() can interrupt while it is current.
    std::shared_ptr<transport> connection();
    // Batch sizes follow what the last connections achieved (docs/design.md §10): a connection cut
    // before its first batch came back halves them; a finished round grows them again. They
    // are kept in the replica, so the next process starts where this one left off.
    void adapt_batches(const round_stats& s, bool finished);
    // A wiped replica's sync: the server is told once (tablet::wipe_reported), then nothing
    // more happens.
    sync_result wiped(std::chrono::milliseconds timeout);

    tablet& t_;
    transport_factory factory_;
    replicator_options opt_;
    std::mt19937_64 jitter_{std::random_device{}()};
    std::atomic<bool> cancelled_{false};
    std::mutex current_mutex_;
    std::weak_ptr<transport> current_;
};

} // namespace noi::client
