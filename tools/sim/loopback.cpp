#include "loopback.hpp"

#include <noi/protocol/codec.hpp>

#include <deque>

namespace noi::sim {

namespace {

proto::message through_wire(const proto::message& m, std::uint64_t& bytes) {
    auto b = proto::encode(m);
    bytes += b.size();
    auto r = proto::decode(b);
    if (auto* e = std::get_if<proto::decode_error>(&r))
        throw std::runtime_error("codec failed: " + e->detail);
    return std::get<proto::message>(std::move(r));
}

} // namespace

round_result sync_once(tablet& t, server_store& s, const device& d, const client_options& opt,
                       const link_faults& faults) {
    round_result res;
    client_session client(t, opt);
    server_session server(s, d);
    std::deque<proto::message> to_server{client.start()};
    std::deque<proto::message> to_client;
    for (int guard = 0; guard < 100000; ++guard) {
        if (faults.between) faults.between();
        if (!to_server.empty()) {
            auto m = std::move(to_server.front());
            to_server.pop_front();
            if (faults.cut && faults.cut(m, true)) {
                res.cut = true;
                break;
            }
            res.sent_by_client.push_back(m);
            auto received = through_wire(m, res.bytes);
            if (faults.alter) faults.alter(received, true);
            auto reply = server.on_message(received);
            for (auto& r : reply.send)
                to_client.push_back(std::move(r));
            if (reply.close) to_server.clear();
            continue;
        }
        if (!to_client.empty()) {
            auto m = std::move(to_client.front());
            to_client.pop_front();
            if (faults.cut && faults.cut(m, false)) {
                res.cut = true;
                break;
            }
            auto received = through_wire(m, res.bytes);
            if (faults.alter) faults.alter(received, false);
            for (auto& r : client.ahead_of(received))
                to_server.push_back(std::move(r));
            for (auto& r : client.on_message(received))
                to_server.push_back(std::move(r));
            continue;
        }
        break;
    }
    res.done = client.current() == client_session::state::done;
    res.error = client.error();
    res.stats = client.stats();
    return res;
}

} // namespace noi::sim
