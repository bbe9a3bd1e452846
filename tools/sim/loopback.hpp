// Runs sync rounds between a tablet and a server store in one process, every message going
// through the real codec, with an optional cut after a given number of messages.
#pragma once

#include <noi/sync/client_session.hpp>
#include <noi/sync/server_session.hpp>

#include <functional>
#include <optional>

namespace noi::sim {

struct round_result {
    bool done = false;
    bool cut = false;
    std::optional<proto::error> error;
    round_stats stats;
    std::uint64_t bytes = 0;
    std::vector<proto::message> sent_by_client; // for replays on later connections
};

struct link_faults {
    // Called before each message crosses; returning true cuts the connection there.
    std::function<bool(const proto::message&, bool to_server)> cut;
    // Called between messages: writes that land in the middle of a round.
    std::function<void()> between;
    // Called on each message as it arrives: what a peer of an earlier release would not have
    // read, or not have sent, taken out.
    std::function<void(proto::message&, bool to_server)> alter;
};

round_result sync_once(tablet& t, server_store& s, const device& d, const client_options& opt = {},
                       const link_faults& faults = {});

} // namespace noi::sim
