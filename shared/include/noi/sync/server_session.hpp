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

    struct reply {
        std::vector<proto::message> send;
        bool close = false;
        emissions emitted; // a PUSH's: who must be told (NOTIFY)
    };
    reply on_message(const proto::message& m);

    bool ready() const { return site_.has_value(); }
    // Set by HELLO and never changed after.
    const std::optional<site_id>& site() const { return site_; }
    const device& dev() const { return device_; }

private:
    reply refuse(proto::error e);

    server_store& store_;
    device device_;
    std::optional<site_id> site_;
    bool closed_ = false;
};

} // namespace noi
