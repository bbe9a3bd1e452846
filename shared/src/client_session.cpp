#include <noi/sync/client_session.hpp>

#include <utility>

namespace noi {

proto::message client_session::start() {
    state_ = state::await_welcome;
    return t_.begin_round(opt_.app_version);
}

std::vector<proto::message> client_session::fail(proto::error e) {
    state_ = state::failed;
    if (e.code == proto::error_code::clock_ahead) t_.on_clock_refused();
    error_ = std::move(e);
    return {};
}

std::vector<proto::message> client_session::fill_pushes() {
    std::vector<proto::message> out;
    if (opt_.pull_only) push_exhausted_ = true;
    while (!push_exhausted_ && in_flight_.size() < opt_.max_in_flight) {
        auto p = t_.next_push(next_from_, opt_.push_rows);
        if (!p) {
            push_exhausted_ = true;
            break;
        }
        next_from_ = p->to_seq;
        in_flight_.push_back(p->to_seq);
        stats_.batches_pushed++;
        stats_.rows_pushed += p->rows.size();
        for (const auto& r : p->rows)
            stats_.cells_pushed += r.cells.size();
        out.emplace_back(std::move(*p));
    }
    if (push_exhausted_ && in_flight_.empty()) {
        t_.finish_move();
        state_ = state::pulling;
        stats_.pulls_sent++;
        out.emplace_back(proto::pull{t_.cursor(), opt_.pull_rows, t_.pulls_own()});
    }
    return out;
}

std::vector<proto::message> client_session::ahead_of(const proto::message& m) {
    const auto* c = std::get_if<proto::changes>(&m);
    if (state_ != state::pulling || !c || !c->more) return {};
    pulled_ahead_ = true;
    stats_.pulls_sent++;
    return {proto::pull{c->cursor, opt_.pull_rows, t_.pulls_own()}};
}

std::vector<proto::message> client_session::on_message(const proto::message& m) {
    if (finished()) return {};
    if (const auto* e = std::get_if<proto::error>(&m)) return fail(*e);
    if (std::holds_alternative<proto::notify>(m)) return {};
    auto unexpected = [&] {
        return fail({proto::error_code::unexpected_message,
                     proto::condition::protocol,
                     "the server sent a message out of turn",
                     {}});
    };
    switch (state_) {
    case state::await_welcome: {
        const auto* w = std::get_if<proto::welcome>(&m);
        if (!w) return unexpected();
        // The tablet sets its clock by the server's: a time no HLC holds would overflow it.
        if (w->clock_ms > hlc_max_ms)
            return fail({proto::error_code::unexpected_message,
                         proto::condition::protocol,
                         "the server sent a clock reading no HLC can hold (" +
                             std::to_string(w->clock_ms) + " ms); check the server's clock",
                         {}});
        t_.on_welcome(*w);
        stats_.rejected += w->rejections.size();
        next_from_ = w->acked_seq;
        state_ = state::pushing;
        return fill_pushes();
    }
    case state::pushing: {
        const auto* a = std::get_if<proto::push_ack>(&m);
        if (!a || in_flight_.empty()) return unexpected();
        t_.on_push_ack(*a);
        stats_.batches_acked++;
        stats_.rejected += a->rejections.size();
        while (!in_flight_.empty() && in_flight_.front() <= a->acked_seq)
            in_flight_.pop_front();
        return fill_pushes();
    }
    case state::pulling: {
        const auto* c = std::get_if<proto::changes>(&m);
        if (!c) return unexpected();
        t_.apply_changes(*c);
        stats_.pull_batches++;
        stats_.rows_pulled += c->rows.size();
        for (const auto& r : c->rows)
            stats_.cells_pulled += r.cells.size();
        if (c->more) {
            if (std::exchange(pulled_ahead_, false)) return {};
            stats_.pulls_sent++;
            return {proto::pull{c->cursor, opt_.pull_rows, t_.pulls_own()}};
        }
        if (!opt_.pull_only) t_.finish_round();
        state_ = state::done;
        return {};
    }
    default:
        return unexpected();
    }
}

} // namespace noi
