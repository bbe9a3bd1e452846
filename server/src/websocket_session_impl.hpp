// websocket_session's definitions, for the streams it is instantiated with: the server's own
// (websocket_session.cpp) and a test's in-memory stream (tests/server/websocket_session_test.cpp).
#pragma once

#include "websocket_session.hpp"

#include <noi/beast/deflate.hpp>
#include <noi/protocol/codec.hpp>
#include <noi/sync/error.hpp>

#include <spdlog/spdlog.h>

namespace noi::server {

inline std::shared_ptr<const std::vector<std::uint8_t>> encoded(const proto::message& m) {
    return std::make_shared<const std::vector<std::uint8_t>>(proto::encode(m));
}

template <class Stream>
websocket_session<Stream>::websocket_session(Stream&& stream, device dev, server_state& state,
                                             std::shared_ptr<connection_slot> slot)
    : ws_(std::move(stream)), dev_(std::move(dev)), state_(state), slot_(std::move(slot)) {}

template <class Stream> websocket_session<Stream>::~websocket_session() {
    // The core session releases its site in the store: that happens on the database thread.
    if (core_)
        state_.db([core = std::move(core_)](server_store&, auth_store&) mutable { core.reset(); });
}

template <class Stream> void websocket_session<Stream>::run(http::request<http::string_body> req) {
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.handshake_timeout = state_.config().handshake_timeout;
    timeouts.idle_timeout = state_.config().idle_timeout;
    ws_.set_option(timeouts);
    ws_.set_option(beast_support::permessage_deflate(state_.config().deflate, true));
    ws_.read_message_max(state_.config().max_message_bytes);
    ws_.binary(true);
    ws_.write_buffer_bytes(2048);
    beast::get_lowest_layer(ws_).expires_never();
    ws_.async_accept(
        req, beast::bind_front_handler(&websocket_session::on_accept, this->shared_from_this()));
}

template <class Stream> void websocket_session<Stream>::on_accept(beast::error_code ec) {
    if (ec) return finish();
    accepted_at_ = std::chrono::steady_clock::now();
    state_.join(this->shared_from_this());
    auto self = this->shared_from_this();
    state_.db([self](server_store& store, auth_store&) {
        std::uint64_t head = 0;
        try {
            self->core_ = std::make_shared<server_session>(store, self->dev_);
            head = store.server_seq();
        } catch (const std::exception& e) {
            // The store is out of reach (PostgreSQL failing over): the tablet comes back later.
            spdlog::error("a sync session of device {} could not start: {}", self->dev_.id,
                          e.what());
            self->close_for_shutdown();
            return;
        }
        asio::post(self->ws_.get_executor(), [self, head] {
            self->notified_ = std::max(self->notified_, head);
            self->request_in_flight_ = false;
            self->maybe_read();
        });
    });
}

template <class Stream> void websocket_session<Stream>::maybe_read() {
    if (closing_ || finished_ || request_in_flight_ || read_in_flight_ || throttle_timer_) return;
    if (unsent_bytes_ > state_.config().max_unsent_bytes) {
        if (!drain_timer_) {
            drain_timer_.emplace(ws_.get_executor());
            drain_timer_->expires_after(state_.config().drain_timeout);
            drain_timer_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
                if (!ec) self->on_drain_deadline();
            });
        }
        return;
    }
    if (drain_timer_) {
        drain_timer_->cancel();
        drain_timer_.reset();
    }
    if (std::chrono::steady_clock::now() < next_read_at_) {
        throttle_timer_.emplace(ws_.get_executor());
        throttle_timer_->expires_at(next_read_at_);
        throttle_timer_->async_wait([self = this->shared_from_this()](beast::error_code) {
            self->throttle_timer_.reset();
            self->maybe_read(); // answers (NOTIFYs) may have backed up meanwhile
        });
        return;
    }
    do_read();
}

// The answers have not drained: the client reads nothing and keeps its memory on the server.
template <class Stream> void websocket_session<Stream>::on_drain_deadline() {
    drain_timer_.reset();
    if (finished_ || unsent_bytes_ <= state_.config().max_unsent_bytes) return;
    state_.log_problem(
        dev_.id, spdlog::level::warn,
        fmt::format("closing the sync session of device {}: {} bytes of answers unread for {} s",
                    dev_.id, unsent_bytes_, state_.config().drain_timeout.count()));
    closing_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
}

template <class Stream> void websocket_session<Stream>::do_read() {
    if (closing_) return;
    read_in_flight_ = true;
    ws_.async_read(
        buffer_, beast::bind_front_handler(&websocket_session::on_read, this->shared_from_this()));
}

template <class Stream>
void websocket_session<Stream>::on_read(beast::error_code ec, std::size_t n) {
    read_in_flight_ = false;
    if (ec) {
        // An oversized frame is refused by Beast itself, with close code 1009 (too big).
        if (ec == websocket::error::message_too_big)
            state_.log_problem(
                dev_.id, spdlog::level::warn,
                fmt::format("device {} sent a message over the size limit", dev_.id));
        if (!benign(ec)) spdlog::debug("sync read from {}: {}", dev_.id, ec.message());
        return finish();
    }
    state_.stats().bytes_in += n;
    if (ws_.got_text()) {
        buffer_.consume(buffer_.size());
        state_.log_problem(
            dev_.id, spdlog::level::warn,
            fmt::format("device {} sent a text frame; the protocol is binary only", dev_.id));
        closing_ = true;
        queue(encoded(proto::error{proto::error_code::malformed,
                                   proto::condition::protocol,
                                   "the sync protocol sends each message as one binary frame; "
                                   "text frames are refused",
                                   {}}));
        return;
    }
    auto data = buffer_.cdata();
    std::span<const std::uint8_t> bytes(static_cast<const std::uint8_t*>(data.data()), data.size());
    proto::limits lim;
    lim.max_message_bytes = state_.config().max_message_bytes;
    auto decoded = proto::decode(bytes, lim);
    // Given back: a session keeps the room of its largest message (a push of thousands of
    // rows) through all the hours it then sits idle, with thousands like it.
    buffer_.consume(buffer_.size());
    buffer_.shrink_to_fit();
    if (auto* e = std::get_if<proto::decode_error>(&decoded)) {
        state_.log_problem(dev_.id, spdlog::level::warn,
                           fmt::format("malformed message from device {}: {}", dev_.id, e->detail));
        closing_ = true;
        queue(encoded(proto::refusal_for(*e)));
        return;
    }
    if (std::holds_alternative<proto::push>(std::get<proto::message>(decoded)) &&
        !state_.push_byte_limits().try_take(dev_.id, static_cast<double>(n))) {
        state_.log_problem(
            dev_.id, spdlog::level::warn,
            fmt::format(
                "device {} pushed more than {} MiB within an hour; its push is refused for now",
                dev_.id, state_.config().max_push_mib_per_hour));
        closing_ = true;
        queue(encoded(proto::error{
            proto::error_code::quota_exceeded,
            proto::condition::transient,
            "this device pushed more than " +
                std::to_string(state_.config().max_push_mib_per_hour) +
                " MiB within the last hour; nothing of this batch was kept, and the tablet keeps "
                "its data and retries later",
            {}}));
        return;
    }
    request_in_flight_ = true;
    // Each request takes its share of the device's rate: past it, the next one is read later.
    next_read_at_ = std::chrono::steady_clock::now() + state_.request_limits().take(dev_.id);
    // A WELCOME went out before this message was read (one request at a time), so the core's
    // state is the database thread's as it answered.
    if (core_->for_reader(std::get<proto::message>(decoded)))
        return pull(std::get<proto::pull>(std::get<proto::message>(decoded)));
    auto self = this->shared_from_this();
    state_.db_grouped([self, msg = std::get<proto::message>(std::move(decoded))](
                          server_store&, auth_store&) -> server_state::outcome {
        std::vector<std::shared_ptr<const std::vector<std::uint8_t>>> out;
        bool close = true;
        emissions emitted;
        try {
            auto reply = self->core_->on_message(msg);
            if (std::holds_alternative<proto::push>(msg)) {
                self->state_.stats().pushes++;
                self->state_.stats().rows_pushed += reply.rows_pushed;
                self->rows_in_ += reply.rows_pushed;
                self->state_.stats().cells_merged += reply.cells_pushed;
            }
            for (const auto& m : reply.send) {
                if (const auto* e = std::get_if<proto::error>(&m))
                    self->last_error_ = static_cast<std::uint16_t>(e->code);
                out.push_back(encoded(m));
            }
            close = reply.close;
            emitted = std::move(reply.emitted);
        } catch (const std::exception& e) {
            self->state_.log_problem(
                self->dev_.id, spdlog::level::err,
                fmt::format("sync request from device {} failed: {}", self->dev_.id, e.what()));
            const bool full = is_storage_full(e);
            if (full) self->state_.storage_was_full();
            out.push_back(
                encoded(proto::error{proto::error_code::internal,
                                     proto::condition::transient,
                                     full ? storage_full_message
                                          : "the server failed to handle the request; retry later",
                                     {}}));
        }
        auto committed = [self, out = std::move(out), close,
                          emitted = std::move(emitted)]() mutable {
            asio::post(self->ws_.get_executor(),
                       [self, out = std::move(out), close, emitted = std::move(emitted)]() mutable {
                           self->on_answer(std::move(out), close, emitted);
                       });
        };
        auto failed = [self](const std::string& why) {
            asio::post(self->ws_.get_executor(), [self, why] {
                self->on_answer(
                    {encoded(proto::error{
                        proto::error_code::internal, proto::condition::transient, why, {}})},
                    true, {});
            });
        };
        return {std::move(committed), std::move(failed)};
    });
}

template <class Stream> void websocket_session<Stream>::pull(const proto::pull& p) {
    state_.stats().pulls++;
    auto self = this->shared_from_this();
    state_.read([self, p](server_store& reader) {
        std::shared_ptr<const std::vector<std::uint8_t>> out;
        bool close = false;
        try {
            auto [changes, round_finished, refused] = self->core_->answer_pull(reader, p);
            if (refused) {
                self->state_.log_problem(
                    self->dev_.id, spdlog::level::warn,
                    fmt::format("device {}: {}", self->dev_.id, refused->message));
                out = encoded(*refused);
                close = true;
            } else {
                self->rows_out_ += changes.rows.size();
                if (round_finished) {
                    ++self->rounds_;
                    self->state_.db([id = self->dev_.id](server_store& store, auth_store&) {
                        store.record_sync(id);
                    });
                }
                out = encoded(changes);
            }
        } catch (const std::exception& e) {
            self->state_.log_problem(
                self->dev_.id, spdlog::level::err,
                fmt::format("pull for device {} failed: {}", self->dev_.id, e.what()));
            out = encoded(proto::error{proto::error_code::internal,
                                       proto::condition::transient,
                                       "the server failed to read changes; retry later",
                                       {}});
            close = true;
        }
        asio::post(self->ws_.get_executor(), [self, out = std::move(out), close]() mutable {
            self->on_answer({std::move(out)}, close, {});
        });
    });
}

template <class Stream>
void websocket_session<Stream>::on_answer(
    std::vector<std::shared_ptr<const std::vector<std::uint8_t>>> out, bool close,
    const emissions& emitted) {
    if (!emitted.scopes.empty() || emitted.global) state_.notify(emitted, this);
    request_in_flight_ = false;
    if (close) closing_ = true;
    for (auto& b : out)
        queue(std::move(b));
    maybe_read();
}

template <class Stream> void websocket_session<Stream>::send_notify(std::uint64_t server_seq) {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), server_seq] {
        // A NOTIFY only says "pull": one behind unread answers adds nothing they do not say.
        if (self->closing_ || self->finished_ || server_seq <= self->notified_ ||
            self->unsent_bytes_ > self->state_.config().max_unsent_bytes)
            return;
        self->notified_ = server_seq;
        self->queue(encoded(proto::notify{server_seq}));
    });
}

template <class Stream> void websocket_session<Stream>::close_revoked() {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
        if (self->finished_) return;
        self->closing_ = true;
        self->queue(encoded(
            proto::error{proto::error_code::unknown_device,
                         proto::condition::permanent,
                         "this device's token was revoked or replaced: a revoked device is "
                         "enrolled again by the province office, a replaced token is given to "
                         "the tablet (noi-client set-token)",
                         {}}));
    });
}

template <class Stream> void websocket_session<Stream>::close_for_shutdown() {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
        if (self->finished_ || self->closing_) return;
        self->closing_ = true;
        self->close_code_ = websocket::close_code::going_away;
        // Answers still queued go first; the close frame follows the last of them.
        if (self->queue_.empty())
            self->ws_.async_close(self->close_code_, [self](beast::error_code) { self->finish(); });
    });
}

template <class Stream>
void websocket_session<Stream>::queue(std::shared_ptr<const std::vector<std::uint8_t>> bytes) {
    unsent_bytes_ += bytes->size();
    queue_.push_back(std::move(bytes));
    if (queue_.size() == 1) do_write();
}

template <class Stream> void websocket_session<Stream>::do_write() {
    const auto& b = *queue_.front();
    ws_.async_write(
        asio::buffer(b.data(), b.size()),
        beast::bind_front_handler(&websocket_session::on_write, this->shared_from_this()));
}

template <class Stream>
void websocket_session<Stream>::on_write(beast::error_code ec, std::size_t n) {
    if (ec) return finish();
    state_.stats().bytes_out += n;
    unsent_bytes_ -= queue_.front()->size();
    queue_.pop_front();
    maybe_read();
    if (!queue_.empty()) return do_write();
    if (closing_)
        ws_.async_close(close_code_,
                        [self = this->shared_from_this()](beast::error_code) { self->finish(); });
}

template <class Stream> void websocket_session<Stream>::finish() {
    if (finished_) return;
    finished_ = true;
    for (auto* t : {&throttle_timer_, &drain_timer_})
        if (*t) (*t)->cancel();
    state_.leave(this);
    // The device may open another session now, though this object may live a little longer
    // (handlers still queued hold it); a session that never got here ends with its slot.
    slot_->session_ended();
    if (!accepted_at_) return;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - *accepted_at_)
                        .count();
    std::string outcome = rounds_ ? "synced" : "no full round";
    if (last_error_) outcome += ", last error code " + std::to_string(last_error_.load());
    state_.log_session(
        dev_.id, fmt::format("sync session of device {} ({}): pushed {} rows, pulled {} rows in "
                             "{} ms, {}",
                             dev_.id, dev_.scope, rows_in_.load(), rows_out_.load(), ms, outcome));
}

} // namespace noi::server
