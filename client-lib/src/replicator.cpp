#include <noi/client/replicator.hpp>

#include <noi/protocol/codec.hpp>
#include <noi/sync/database.hpp>
#include <noi/sync/error.hpp>

#include <optional>
#include <thread>

namespace noi::client {

replicator::replicator(tablet& t, transport_factory factory, replicator_options opt)
    : t_(t), factory_(std::move(factory)), opt_(std::move(opt)) {}

namespace {

stall_reason stall_of(proto::error_code c) {
    switch (c) {
    case proto::error_code::quota_exceeded:
        return stall_reason::quota;
    case proto::error_code::schema_ahead:
    case proto::error_code::unsupported_version:
    case proto::error_code::bad_cursor:
        return stall_reason::server_behind;
    default:
        return stall_reason::refused;
    }
}

stall_reason stall_of(transport_errc c) {
    switch (c) {
    case transport_errc::refused_credentials:
    case transport_errc::wipe_ordered:
        return stall_reason::credentials;
    case transport_errc::bad_url:
    case transport_errc::tls_failed:
        return stall_reason::refused;
    default:
        return stall_reason::network;
    }
}

} // namespace

std::shared_ptr<transport> replicator::connection() {
    std::shared_ptr<transport> tr = factory_();
    std::lock_guard lock(current_mutex_);
    current_ = tr;
    // A cancel() that came before the transport existed still ends it.
    if (cancelled_) tr->interrupt();
    return tr;
}

sync_result replicator::wiped(std::chrono::milliseconds timeout) {
    sync_result result;
    result.outcome = sync_outcome::wiped;
    result.stalled = stall_reason::credentials;
    result.message = "the province office revoked this tablet and its synced data was deleted "
                     "at its order; to use the tablet again, make a new replica and enrol it";
    if (!t_.empty_wal())
        result.message += " (the deleted rows' last copies are overwritten at the next sync, "
                          "once the app's other reads of the replica have ended)";
    if (t_.wipe_reported() || cancelled_) return result;
    try {
        connection()->report_wiped(opt_.url, opt_.token,
                                   std::min(timeout, std::chrono::milliseconds(15'000)));
        t_.set_wipe_reported();
    } catch (const transport_error& e) {
        // The next sync tells the server again.
        result.message += " (the server is told at the next sync: " + std::string(e.what()) + ")";
    }
    return result;
}

void replicator::cancel() {
    cancelled_ = true;
    std::lock_guard lock(current_mutex_);
    if (auto tr = current_.lock()) tr->interrupt();
}

sync_result replicator::sync(std::chrono::milliseconds timeout,
                             const std::function<void(const sync_progress&)>& progress) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + timeout;
    auto remaining = [&] {
        return std::max(
            std::chrono::milliseconds(1),
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()));
    };
    sync_result result;
    sync_progress seen;
    auto report = [&](sync_phase phase) {
        seen.phase = phase;
        seen.attempt = result.attempts;
        if (progress) progress(seen);
    };
    auto cancelled = [&] {
        result.outcome = sync_outcome::cancelled;
        result.message = "the sync was cancelled; nothing was lost";
        result.stalled = stall_reason::none;
        return result;
    };
    if (t_.wiped_at_ms()) return wiped(timeout);
    auto backoff = opt_.first_backoff;
    bool schema_retried = false;
    // The server's refusal of this device's pushes (quota_exceeded): the next attempts only
    // pull, and the sync ends once one has, with the refusal as its message.
    std::string pushes_held;
    while (clock::now() < deadline) {
        if (cancelled_) return cancelled();
        ++result.attempts;
        std::string why;
        // Outlives the try block, so a cut can still read how far the attempt got.
        std::optional<client_session> session;
        try {
            const auto pending = t_.status().pending;
            const auto bytes_before = seen.bytes_sent;
            seen.stats = {};
            seen.rows_to_send = pending;
            seen.bytes_to_send = 0;
            report(sync_phase::connecting);
            auto tr = connection();
            auto send = [&](const proto::message& m) {
                const auto bytes = proto::encode(m);
                tr->send(bytes, remaining());
                seen.bytes_sent += bytes.size();
            };
            tr->connect(opt_.url, opt_.token,
                        std::min(remaining(), std::chrono::milliseconds(15'000)));
            auto session_opt = opt_.session;
            session_opt.push_rows = static_cast<std::size_t>(
                t_.rep().meta_int("push_rows", static_cast<std::int64_t>(opt_.session.push_rows)));
            session_opt.pull_rows =
                static_cast<std::uint32_t>(t_.rep().meta_int("pull_rows", opt_.session.pull_rows));
            session_opt.pull_only = !pushes_held.empty();
            session.emplace(t_, session_opt);
            send(session->start());
            while (!session->finished()) {
                auto bytes = tr->receive(std::min(remaining(), opt_.message_timeout));
                seen.bytes_received += bytes.size();
                auto decoded = proto::decode(bytes);
                if (auto* e = std::get_if<proto::decode_error>(&decoded))
                    throw transport_error(transport_errc::unreachable,
                                          "the server sent an unreadable message: " + e->detail);
                const auto& msg = std::get<proto::message>(decoded);
                for (const auto& early : session->ahead_of(msg))
                    send(early);
                for (const auto& reply : session->on_message(msg))
                    send(reply);
                seen.stats = session->stats();
                seen.rows_to_send =
                    session_opt.pull_only ? 0 : pending - std::min(pending, seen.stats.rows_pushed);
                if (seen.stats.rows_pushed > 0)
                    seen.bytes_to_send = seen.rows_to_send * ((seen.bytes_sent - bytes_before) /
                                                              seen.stats.rows_pushed);
                report(session->current() == client_session::state::pulling ||
                               session->current() == client_session::state::done
                           ? sync_phase::pulling
                           : sync_phase::pushing);
            }
            tr->close();
            result.stats = session->stats();
            adapt_batches(result.stats, session->current() == client_session::state::done);
            if (session->current() == client_session::state::done && session_opt.pull_only) {
                result.outcome = sync_outcome::network;
                result.stalled = stall_reason::quota;
                result.message = pushes_held + " (the others' changes were pulled meanwhile)";
                return result;
            }
            if (session->current() == client_session::state::done) {
                result.outcome = sync_outcome::done;
                result.stalled = stall_reason::none;
                result.message.clear();
                seen.rows_to_send = 0;
                seen.bytes_to_send = 0;
                report(sync_phase::done);
                return result;
            }
            const auto& err = *session->error();
            result.message = err.message;
            result.stalled = stall_of(err.code);
            if (err.cond != proto::condition::transient) {
                result.outcome = sync_outcome::refused;
                return result;
            }
            // A transient refusal (a re-stamped clock, a busy site): go again at once.
            if (err.code == proto::error_code::clock_ahead) continue;
            if (err.code == proto::error_code::quota_exceeded && pushes_held.empty()) {
                pushes_held = err.message;
                continue;
            }
            why = err.message;
        } catch (const transport_error& e) {
            if (session) adapt_batches(session->stats(), false);
            if (cancelled_) return cancelled();
            if (e.code() == transport_errc::wipe_ordered) {
                // A wipe that fails (the replica busy) rolled back: it is tried again.
                try {
                    t_.wipe();
                    return wiped(remaining());
                } catch (const std::exception& failed) {
                    result.stalled = stall_reason::credentials;
                    why = std::string("the tablet could not yet delete its data as the province "
                                      "office ordered: ") +
                          failed.what();
                }
            } else {
                result.stalled = stall_of(e.code());
                if (e.code() == transport_errc::refused_credentials ||
                    e.code() == transport_errc::bad_url || e.code() == transport_errc::tls_failed) {
                    result.outcome = e.code() == transport_errc::refused_credentials
                                         ? sync_outcome::credentials
                                         : sync_outcome::refused;
                    result.message = e.what();
                    return result;
                }
                why = e.what();
            }
        } catch (const sync_error& e) {
            // The round rolled back. A row the replica's schema cannot place comes when a
            // version was published during the session: a new HELLO brings the schema. A second
            // time, or a schema the replica cannot take, stays so however often it is tried.
            if (e.code() == errc::schema) {
                if (!schema_retried) {
                    schema_retried = true;
                    continue;
                }
                result.outcome = sync_outcome::refused;
                result.stalled = stall_reason::refused;
                result.message = e.what();
                return result;
            }
            // The replica was busy or failed: try again.
            why = e.what();
        }
        result.message = why;
        std::uniform_real_distribution<double> jitter(0.5, 1.0);
        auto wait = std::chrono::milliseconds(
            static_cast<std::int64_t>(static_cast<double>(backoff.count()) * jitter(jitter_)));
        if (clock::now() + wait >= deadline) break;
        seen.stalled = result.stalled;
        seen.waiting_because = why;
        seen.retry_in = wait;
        report(sync_phase::waiting);
        seen.stalled = stall_reason::none;
        seen.waiting_because.clear();
        seen.retry_in = {};
        pause(wait, cancelled_);
        backoff = std::min(opt_.max_backoff, backoff * 2);
    }
    if (cancelled_) return cancelled();
    result.outcome = sync_outcome::network;
    if (result.message.empty()) result.message = "no round could finish in time";
    return result;
}

void replicator::adapt_batches(const round_stats& s, bool finished) {
    auto push = t_.rep().meta_int("push_rows", static_cast<std::int64_t>(opt_.session.push_rows));
    auto pull = t_.rep().meta_int("pull_rows", opt_.session.pull_rows);
    auto next_push = push, next_pull = pull;
    if (finished) {
        next_push = std::min<std::int64_t>(1000, push + push / 2 + 1);
        next_pull = std::min<std::int64_t>(2000, pull + pull / 2 + 1);
    } else {
        if (s.batches_pushed > s.batches_acked && s.batches_acked == 0)
            next_push = std::max<std::int64_t>(10, push / 2);
        if (s.pulls_sent > 0 && s.pull_batches == 0)
            next_pull = std::max<std::int64_t>(20, pull / 2);
    }
    if (next_push == push && next_pull == pull) return;
    try {
        transaction tx(t_.rep().db());
        t_.rep().set_meta_int("push_rows", next_push);
        t_.rep().set_meta_int("pull_rows", next_pull);
        tx.commit();
    } catch (const sync_error&) {
        // Only a tuning hint: a busy replica keeps the old sizes.
    }
}

void replicator::pause(std::chrono::milliseconds d, const std::atomic<bool>& stop) {
    auto until = std::chrono::steady_clock::now() + d;
    while (!stop && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

void replicator::wait_for_change(const std::atomic<bool>& stop) {
    auto data_version = [this] { return t_.others_commits(); };
    auto tr = connection();
    tr->connect(opt_.url, opt_.token, std::chrono::milliseconds(15'000));
    tr->send(proto::encode(t_.begin_round(opt_.session.app_version)),
             std::chrono::milliseconds(15'000));
    const auto seen = data_version();
    // The connection stays open between polls: a receive that timed out would close it, and
    // the tablet would run a round every second while idle.
    while (!stop && !cancelled_) {
        if (auto bytes = tr->poll(std::chrono::milliseconds(500))) {
            auto decoded = proto::decode(*bytes);
            if (auto* m = std::get_if<proto::message>(&decoded)) {
                if (std::holds_alternative<proto::notify>(*m)) break;
                if (std::holds_alternative<proto::error>(*m)) break;
            }
        }
        if (data_version() != seen) break;
    }
    tr->close();
}

sync_result replicator::watch(const std::atomic<bool>& stop,
                              const std::function<void(const sync_result&)>& on_round) {
    auto backoff = opt_.first_backoff;
    sync_result last;
    while (!stop && !cancelled_) {
        last = sync(std::chrono::seconds(60));
        if (on_round) on_round(last);
        if (last.outcome == sync_outcome::credentials || last.outcome == sync_outcome::refused ||
            last.outcome == sync_outcome::cancelled || last.outcome == sync_outcome::wiped)
            return last;
        if (last.outcome == sync_outcome::network) {
            pause(backoff, stop);
            backoff = std::min(opt_.max_backoff, backoff * 2);
            continue;
        }
        backoff = opt_.first_backoff;
        try {
            wait_for_change(stop);
        } catch (const std::exception&) {
            std::uniform_real_distribution<double> jitter(0.5, 1.0);
            pause(std::chrono::milliseconds(static_cast<std::int64_t>(
                      static_cast<double>(backoff.count()) * jitter(jitter_))),
                  stop);
            backoff = std::min(opt_.max_backoff, backoff * 2);
        }
    }
    return last;
}

} // namespace noi::client
