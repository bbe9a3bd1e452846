// One sync connection, server side, as a state machine with no I/O. The transport has already
// authenticated the device; the session answers HELLO, PUSH and PULL and says when to close.
//
//   HELLO                      PUSH → PUSH_ACK, PULL → CHANGES
//   ───────► ready ◄──────────────────────────────┘
//      │  anything else, a bad HELLO, a sequence gap
//      └──────────────────────────────────────────► closed (ERROR sent)
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/server_store.hpp>

#include <optional>
#include <vector>

namespace noi {

class server_session {
public:
    server_session(server_store& store, device d) : store_(store), device_(std::move(d)) {}
    ~server_session();
    server_session(const server_session&) = delete;
    server_session& operator=(const server_session&) = delete;

    // What follows an answer: the messages to send, whether to close, and for a PUSH, where its
    // emissions went (the scopes to NOTIFY) and what it carried (for the server's counters).
    struct reply {
        std::vector<proto::message> send;
        bool close = false;
        emissions emitted;
        std::size_t rows_pushed = 0, cells_pushed = 0;
    };
    // Runs on the writer (the database thread).
    reply on_message(const proto::message& m);

    // A PULL after HELLO reads only: it is answered by answer_pull on the reader's own
    // connection, off the writer. Anything else goes to on_message.
    bool for_reader(const proto::message& m) const {
        return ready() && std::holds_alternative<proto::pull>(m);
    }
    struct pull_reply {
        proto::changes changes;
        bool round_finished = false; // the last batch: the device's round is a full sync now
        // A PULL the server will not answer (a cursor it never sent): send this, then close.
        std::optional<proto::error> refused;
    };
    pull_reply answer_pull(server_store& reader, const proto::pull& p) const;

    bool ready() const { return site_.has_value(); }
    // Set by HELLO and never changed after.
    const std::optional<site_id>& site() const { return site_; }
    const device& dev() const { return device_; }

private:
    reply answer(const proto::message& m);
    reply refuse(proto::error e);

    server_store& store_;
    device device_;
    std::optional<site_id> site_;
    bool closed_ = false;
};

} // namespace noi
