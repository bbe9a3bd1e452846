#include "http_session.hpp"

#include "admin_api.hpp"
#include "api_reply.hpp"
#include "schema_api.hpp"
#include "websocket_session.hpp"

#include <noi/protocol/wipe.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace noi::server {
namespace {

std::optional<std::string> bearer(const http::request<http::string_body>& req) {
    auto it = req.find(http::field::authorization);
    if (it == req.end()) return std::nullopt;
    std::string v(it->value());
    const std::string prefix = "Bearer ";
    if (v.rfind(prefix, 0) != 0 || v.size() == prefix.size()) return std::nullopt;
    return v.substr(prefix.size());
}

} // namespace

template <class Stream> std::string http_session<Stream>::client_address() {
    beast::error_code ec;
    auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (ec) return "an unknown peer";
    auto addr = plain_address(peer.address());
    const auto& trusted = state_.config().trusted_proxies;
    auto is_trusted = [&](const std::string& a) {
        return std::find(trusted.begin(), trusted.end(), a) != trusted.end();
    };
    if (!is_trusted(addr)) return addr;
    // The rightmost address a trusted proxy did not add itself is the client's.
    auto it = req_.find("X-Forwarded-For");
    if (it == req_.end()) return addr;
    std::string list(it->value());
    while (!list.empty()) {
        auto comma = list.rfind(',');
        auto part = list.substr(comma == std::string::npos ? 0 : comma + 1);
        list.resize(comma == std::string::npos ? 0 : comma);
        part.erase(0, part.find_first_not_of(" \t"));
        part.erase(part.find_last_not_of(" \t") + 1);
        beast::error_code bad;
        auto a = asio::ip::make_address(part, bad);
        if (bad) return addr; // a forged or broken header names nobody: the proxy answers for it
        if (!is_trusted(plain_address(a))) return plain_address(a);
    }
    return addr;
}

template <class Stream>
void http_session<Stream>::refuse_credential(auth_limiter& limits, const char* what,
                                             std::string body, const std::string& content_type) {
    const auto who = client_address();
    state_.stats().auth_failures++;
    const int wait = limits.blocked_for(who);
    limits.failed(who);
    // Logged while within the budget only, so a guesser cannot flood the log.
    if (wait == 0) {
        spdlog::warn("refused {} from {}", what, who);
        return respond(401, std::move(body), content_type);
    }
    // Over its budget: the answer waits, and says when the address may try again.
    state_.stats().auth_limited++;
    late_.emplace(stream_.get_executor());
    late_->expires_after(std::min<std::chrono::seconds>(std::chrono::seconds(wait),
                                                        state_.config().auth_failure_delay_max));
    late_->async_wait([self = this->shared_from_this(), wait](beast::error_code) {
        self->respond(429,
                      "too many failed authentications from this address; retry in " +
                          std::to_string(wait) + " s\n",
                      "text/plain", wait);
    });
}

template <class Stream>
http_session<Stream>::http_session(Stream&& stream, server_state& state,
                                   std::shared_ptr<connection_slot> slot)
    : stream_(std::move(stream)), state_(state), slot_(std::move(slot)) {}

template <class Stream> void http_session<Stream>::run() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        asio::dispatch(stream_.get_executor(),
                       beast::bind_front_handler(&http_session::do_read, this->shared_from_this()));
    } else {
        beast::get_lowest_layer(stream_).expires_after(state_.config().handshake_timeout);
        stream_.async_handshake(
            asio::ssl::stream_base::server,
            beast::bind_front_handler(&http_session::on_handshake, this->shared_from_this()));
    }
}

template <class Stream> void http_session<Stream>::on_handshake(beast::error_code ec) {
    if (ec) return; // a client that cannot speak TLS with us: nothing to answer
    do_read();
}

template <class Stream> void http_session<Stream>::shutdown() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
}

template <class Stream> void http_session<Stream>::do_read() {
    parser_.emplace();
    parser_->body_limit(1 << 20);
    parser_->header_limit(16 * 1024);
    beast::get_lowest_layer(stream_).expires_after(state_.config().handshake_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
}

template <class Stream> void http_session<Stream>::on_read(beast::error_code ec, std::size_t) {
    if (ec) {
        if (!benign(ec)) spdlog::debug("http read: {}", ec.message());
        return shutdown();
    }
    req_ = parser_->release();
    std::string target(req_.target());
    auto path = target.substr(0, target.find('?'));

    if (websocket::is_upgrade(req_)) {
        if (path != "/sync") return respond(404, "only /sync speaks WebSocket\n", "text/plain");
        return upgrade();
    }
    if (path == "/healthz") return respond(200, "ok\n", "text/plain");
    if (path == "/metrics") {
        const auto& want = state_.config().metrics_token;
        if (!want.empty()) {
            auto token = bearer(req_);
            if (!token || !same_secret(*token, want))
                return refuse_credential(state_.admin_auth_limits(),
                                         "a scrape without the metrics token",
                                         "/metrics needs the metrics token; pass it as "
                                         "Authorization: Bearer TOKEN\n",
                                         "text/plain");
        }
        state_.counts([self = this->shared_from_this()](const store_counts& c) {
            asio::post(self->stream_.get_executor(),
                       [self, text = self->state_.metrics_text(c)]() mutable {
                           self->respond(200, std::move(text), "text/plain; version=0.0.4");
                       });
        });
        return;
    }
    if (path.rfind("/admin/v1/", 0) == 0) return admin_request(target);
    if (console_request(path)) return;
    respond(404, "not found\n", "text/plain");
}

template <class Stream> void http_session<Stream>::admin_request(const std::string& target) {
    auto token = bearer(req_);
    std::string method(req_.method_string());
    // Without a bearer token, a console session's cookie stands for its account; a change must
    // then carry the session's CSRF token too, which another site's page cannot read.
    std::optional<console_session> session;
    // Refusals are in the language the reader asks for (the console's, noi-admin's --lang).
    const auto asked = req_[http::field::accept_language];
    const auto lang = reader_language(std::string_view(asked.data(), asked.size()));
    if (!token)
        if (auto id = cookie_of(req_, session_cookie_name)) session = state_.console().use(*id);
    if (session && method != "GET" && !carries_csrf(req_, session->csrf))
        return respond(
            403,
            for_reader(
                R"({"error":"the request lacks the console's CSRF token; reload the page and try again"})",
                lang),
            "application/json");
    // A schema to publish is read here: one no tablet could take is refused without waiting
    // for the database thread, behind pushes, nor holding it (issue 28, item 6). A request
    // with no credential at all is not read: it gets its 401.
    std::optional<std::string> refused_early;
    if ((token || session) && method == "POST" &&
        target.substr(0, target.find('?')) == "/admin/v1/schema")
        refused_early = schema_refusal(req_.body());
    auto self = this->shared_from_this();
    // Reads go to the reader's connection: no GET handler writes (the route table's changes are
    // all other methods), and a WAL reader sees every change answered before it.
    auto on = [this, &method](auto job) {
        method == "GET" ? state_.read_admin(std::move(job)) : state_.db(std::move(job));
    };
    on([self, token, session, method, target, refused_early, lang,
        body = req_.body()](server_store& store, auth_store& auth) {
        api_response r;
        std::optional<account> who;
        try {
            // A schema published through the writer is shown at once. Once per version this
            // stores the audit trail's column list of a new table (the one write a GET makes).
            if (method == "GET") store.refresh_schema();
            if (token) who = auth.account_for(*token);
            if (session) who = auth.enabled_account(session->account);
        } catch (const std::exception& e) {
            spdlog::error("admin request {} {}: its credential could not be read: {}", method,
                          target, e.what());
            asio::post(self->stream_.get_executor(), [self, lang] {
                self->respond(
                    503,
                    for_reader(
                        R"({"error":"the server cannot reach its database; retry in a moment"})",
                        lang),
                    "application/json", 5);
            });
            return;
        }
        if (!who) {
            asio::post(self->stream_.get_executor(), [self, lang] {
                self->refuse_credential(
                    self->state_.admin_auth_limits(), "an admin request without an admin token",
                    for_reader(
                        R"({"error":"an admin token is required; pass it as Authorization: Bearer TOKEN, or sign in to the console"})",
                        lang),
                    "application/json");
            });
            return;
        }
        try {
            r = handle_admin(self->state_, store, auth, *who, method, target, body, refused_early);
        } catch (const std::exception& e) {
            spdlog::error("admin request {} {} failed: {}", method, target, e.what());
            r = {500, R"({"error":"the server failed to handle the request; see its log"})"};
        }
        if (r.status >= 400) r.body = for_reader(std::move(r.body), lang);
        asio::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable {
            header_list extra;
            if (r.total) extra.emplace_back("X-Total-Count", std::to_string(*r.total));
            if (!r.filename.empty())
                extra.emplace_back("Content-Disposition",
                                   "attachment; filename=\"" + r.filename + "\"");
            self->respond(r.status, std::move(r.body), r.content_type, 0, extra);
        });
    });
}

template <class Stream> void http_session<Stream>::upgrade() {
    auto token = bearer(req_);
    // A client that can wipe says so; one that deleted its synced data at the office's order
    // says that on the same request (docs/protocol.md, "A lost tablet's wipe").
    const auto said = req_[proto::wipe_header];
    const bool reports_wiped = said == "done", can_wipe = reports_wiped || said == "able";
    auto self = this->shared_from_this();
    state_.db([self, token, reports_wiped, can_wipe](server_store& store, auth_store& auth) {
        std::optional<device> dev, wiping;
        // The order goes to a client that can carry it out, until its report is in; after
        // that, only the report is answered again (its answer may have been lost). Anything
        // else with the token is a revoked device still trying, refused and on record.
        if (token && can_wipe) wiping = auth.wipe_ordered_for(*token);
        if (wiping && wiping->wiped_at_ms && !reports_wiped) wiping.reset();
        if (token && !wiping) dev = auth.device_for(*token);
        if (wiping && reports_wiped && !wiping->wiped_at_ms) {
            store.record_wiped(wiping->id);
            auth.record("device:" + wiping->id, "wiped", wiping->id);
            spdlog::warn("device {} deleted its synced data at the office's order", wiping->id);
        }
        asio::post(self->stream_.get_executor(), [self, dev = std::move(dev),
                                                  wiping = std::move(wiping),
                                                  reports_wiped]() mutable {
            if (wiping) {
                // 410: this tablet is gone for good; the header says what it must do, and
                // that its report was taken.
                return self->respond(
                    410,
                    reports_wiped ? "the server recorded that this tablet deleted its data\n"
                                  : "this tablet was revoked by the province office, which "
                                    "ordered its synced data deleted\n",
                    "text/plain", 0, {{proto::wipe_header, reports_wiped ? "done" : "order"}});
            }
            if (!dev) {
                return self->refuse_credential(
                    self->state_.sync_auth_limits(),
                    "a sync connection with a bad or revoked device token",
                    "the device token is unknown or revoked\n", "text/plain");
            }
            // One tablet syncs over one connection; a few allow for a reconnect racing the old
            // one. More are a client that opens connections and never closes them. The session
            // counts from here, before its handshake, so a burst of upgrades cannot overshoot.
            if (!self->slot_->become_session(dev->id))
                return self->respond(
                    429,
                    "this device has " +
                        std::to_string(self->state_.config().max_sessions_per_device) +
                        " sync connections open already; close one and retry\n",
                    "text/plain", 5);
            std::make_shared<websocket_session<Stream>>(std::move(self->stream_), std::move(*dev),
                                                        self->state_, std::move(self->slot_))
                ->run(std::move(self->req_));
        });
    });
}

template <class Stream>
void http_session<Stream>::respond(unsigned status, std::string body,
                                   const std::string& content_type, int retry_after_s,
                                   const header_list& extra) {
    res_ = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status),
                                                               req_.version());
    res_->set(http::field::server, "noi");
    res_->set(http::field::content_type, content_type);
    res_->keep_alive(req_.keep_alive() && status != 401 && status != 429);
    if (retry_after_s > 0) res_->set(http::field::retry_after, std::to_string(retry_after_s));
    add_security_headers(*res_);
    for (const auto& [name, v] : extra)
        res_->insert(name, v);
    res_->body() = std::move(body);
    res_->prepare_payload();
    bool close = res_->need_eof();
    http::async_write(
        stream_, *res_,
        beast::bind_front_handler(&http_session::on_write, this->shared_from_this(), close));
}

template <class Stream>
void http_session<Stream>::on_write(bool close, beast::error_code ec, std::size_t) {
    if (ec) return;
    if (close) return shutdown();
    res_.reset();
    do_read();
}

template class http_session<beast::tcp_stream>;
template class http_session<beast::ssl_stream<beast::tcp_stream>>;

} // namespace noi::server
