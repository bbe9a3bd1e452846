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
    auto r = answer(m);
    // Counted whatever the answer: what the device sent, as the server's counters show it.
    if (const auto* p = std::get_if<proto::push>(&m)) {
        r.rows_pushed = p->rows.size();
        for (const auto& row : p->rows)
            r.cells_pushed += row.cells.size();
    }
    return r;
}

server_session::reply server_session::answer(const proto::message& m) {
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
        reply out;
        auto r = store_.push(device_, *site_, *p, &out.emitted);
        if (auto* e = std::get_if<proto::error>(&r)) return refuse(std::move(*e));
        out.send.emplace_back(std::in_place_type<proto::push_ack>,
                              std::get<proto::push_ack>(std::move(r)));
        return out;
    }
    if (const auto* p = std::get_if<proto::pull>(&m)) {
        auto r = answer_pull(store_, *p);
        if (r.refused) return refuse(std::move(*r.refused));
        return {{std::move(r.changes)}, false, {}};
    }
    return refuse({proto::error_code::unexpected_message,
                   proto::condition::protocol,
                   "only PUSH and PULL may follow HELLO",
                   {}});
}

server_session::pull_reply server_session::answer_pull(server_store& reader,
                                                       const proto::pull& p) const {
    pull_reply r;
    // A cursor is a server sequence this server sent; one beyond its head would be echoed back
    // and stored, and the client would miss every change up to it.
    if (const auto head = reader.committed_head(); p.cursor > head) {
        r.refused = proto::error{proto::error_code::bad_cursor,
                                 proto::condition::protocol,
                                 "the PULL's cursor " + std::to_string(p.cursor) +
                                     " is beyond the server's newest "
                                     "sequence " +
                                     std::to_string(head) +
                                     "; a cursor must be one a CHANGES of this "
                                     "server's epoch gave (or 0 to pull everything)",
                                 {}};
        return r;
    }
    r.changes = reader.pull(device_, p, site_);
    r.round_finished = !r.changes.more;
    return r;
}

} // namespace noi
