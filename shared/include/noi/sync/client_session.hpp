// One sync round on one connection, client side, as a state machine with no I/O: feed it the
// server's messages, send what it returns. The replicator (client-lib) owns connections,
// retries and backoff; a session is never restarted.
//
//   start()          WELCOME               last PUSH_ACK           CHANGES more=false
//   ───────► await_welcome ───────► pushing ─────────────► pulling ─────────────────► done
//                 │                    │                     │  ▲ CHANGES more=true
//                 └──── ERROR / unexpected message ──────────┴──┴──────────────────► failed
//
// | transition                 | performed by                 |
// |----------------------------|------------------------------|
// | start → await_welcome      | tablet::begin_round (fold)   |
// | WELCOME → pushing          | tablet::on_welcome           |
// | PUSH_ACK                   | tablet::on_push_ack          |
// | CHANGES                    | tablet::apply_changes        |
// | → done                     | tablet::finish_round         |
// | ERROR clock_ahead → failed | tablet::on_clock_refused     |
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/tablet.hpp>

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace noi {

struct client_options {
    std::string app_version = "noi/0.1.0";
    std::size_t push_rows = 200;   // rows per PUSH batch
    std::size_t max_in_flight = 2; // PUSH batches sent before their acks arrive
    std::uint32_t pull_rows = 500; // rows asked per PULL
    // Pull without pushing: the server holds this device's pushes back (quota_exceeded), and
    // the tablet should still get the others' changes. Not a full round: the last sync stays.
    bool pull_only = false;
};

struct round_stats {
    std::uint64_t rows_pushed = 0, cells_pushed = 0, batches_pushed = 0, batches_acked = 0;
    std::uint64_t rows_pulled = 0, cells_pulled = 0, pulls_sent = 0, pull_batches = 0, rejected = 0;
};

class client_session {
public:
    enum class state { idle, await_welcome, pushing, pulling, done, failed };

    client_session(tablet& t, client_options opt = {}) : t_(t), opt_(std::move(opt)) {}

    proto::message start();
    // Messages that may go out before m is handled, so that the server reads the next batch
    // while the tablet applies this one: the PULL after a CHANGES that says there is more.
    // on_message(m) does not repeat them.
    std::vector<proto::message> ahead_of(const proto::message& m);
    // The messages to send in answer; none once the session is done or failed.
    std::vector<proto::message> on_message(const proto::message& m);

    state current() const { return state_; }
    bool finished() const { return state_ == state::done || state_ == state::failed; }
    const std::optional<proto::error>& error() const { return error_; }
    const round_stats& stats() const { return stats_; }

private:
    std::vector<proto::message> fill_pushes();
    std::vector<proto::message> fail(proto::error e);

    tablet& t_;
    client_options opt_;
    state state_ = state::idle;
    std::optional<proto::error> error_;
    std::uint64_t next_from_ = 0;
    std::deque<std::uint64_t> in_flight_; // to_seq of each unacknowledged batch
    bool push_exhausted_ = false;
    bool pulled_ahead_ = false; // the PULL after the next CHANGES went out already
    round_stats stats_;
};

} // namespace noi
