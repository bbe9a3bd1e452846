#include <noi/sync/server_session.hpp>

namespace noi {

server_session::~server_session() {
    if (site_) store_.release(*site_);
}

server_session::reply server_session::refuse(proto::error e) {
    closed_ = true;
    return {{std::move(e)}, true, {}};
}

server_session::reply server_session::on_message(const proto::message& m) {
    if (closed_) return {{}, true, {}};
    if (!site_) {
        const auto* h = std::get_if<proto::hello>(&m);
        if (!h)
            return refuse({proto::error_code::unexpected_message,
                           proto::condition::protocol,
                           "the first message must be HELLO",
                           {}});
        auto r = store_.hello(device_, *h);
        if (auto* e = std::get_if<proto::error>(&r)) return refuse(std::move(*e));
        site_ = h->site;
        return {{std::get<proto::welcome>(std::move(r))}, false, {}};
    }
    if (const auto* p = std::get_if<proto::push>(&m)) {
        emissions emitted;
        auto r = store_.push(device_, *site_, *p, &emitted);
        if (auto* e = std::get_if<proto::error>(&r)) return refuse(std::move(*e));
        return {{std::get<proto::push_ack>(std::move(r))}, false, std::move(emitted)};
    }
    if (const auto* p = std::get_if<proto::pull>(&m))
        return {{store_.pull(device_, *p, site_)}, false, {}};
    return refuse({proto::error_code::unexpected_message,
                   proto::condition::protocol,
                   "only PUSH and PULL may follow HELLO",
                   {}});
}

} // namespace noi
