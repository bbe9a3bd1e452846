// http_session's part for the web console: its files, signing in and out, and who is signed
// in. The console's pages call the admin API with the session's cookie (http_session.cpp).
#include "api_reply.hpp"
#include "console_assets.hpp"
#include "http_session.hpp"
#include "password_hash.hpp"

#include <spdlog/spdlog.h>

namespace noi::server {
namespace {

json me_json(const account& a, const std::string& csrf) {
    return {{"name", a.name}, {"role", a.role}, {"communes", a.communes}, {"csrf", csrf}};
}

// An unknown name costs the same check as a known one, so the time of a refusal does not say
// which names exist.
const std::string& stand_in_hash() {
    static const std::string hash = hash_password("the hash of a password no account has");
    return hash;
}

} // namespace

template <class Stream> bool http_session<Stream>::secure_cookies() const {
    return !std::is_same_v<Stream, beast::tcp_stream> || state_.config().behind_tls_proxy;
}

template <class Stream> bool http_session<Stream>::console_request(const std::string& path) {
    const auto verb = req_.method();
    auto only_post = [&](void (http_session::*handle)()) {
        if (verb != http::verb::post)
            respond(405, R"({"error":"use POST"})", "application/json");
        else
            (this->*handle)();
        return true;
    };
    if (path == "/console/v1/sign-in") return only_post(&http_session::sign_in);
    if (path == "/console/v1/sign-out") return only_post(&http_session::sign_out);
    if (path == "/console/v1/me") {
        whoami();
        return true;
    }
    if (verb != http::verb::get) return false;
    const auto* asset = find_console_asset(path);
    if (!asset) return false;
    respond(200, std::string(asset->body), std::string(asset->content_type));
    return true;
}

template <class Stream> void http_session<Stream>::sign_in() {
    json req = json::parse(req_.body(), nullptr, false);
    if (req.is_discarded() || !req.is_object() || !req.contains("name") ||
        !req["name"].is_string() || !req.contains("password") || !req["password"].is_string())
        return respond(400, R"({"error":"send {\"name\": NAME, \"password\": PASSWORD}"})",
                       "application/json");
    const auto address = client_address();
    // The sign-ins waiting for the hashing thread are bounded, one per address: one beyond them
    // is refused at once, never queued.
    auto entered = state_.sign_ins().enter(address);
    if (const auto* why = std::get_if<sign_in_queue::refusal>(&entered)) {
        if (*why == sign_in_queue::refusal::full) {
            state_.stats().sign_ins_shed++;
            return respond(
                503, R"({"error":"the server is checking other sign-ins; retry in a few seconds"})",
                "application/json", 1);
        }
        state_.stats().auth_limited++;
        return respond(
            429, R"({"error":"a sign-in from this address is being checked; wait for its answer"})",
            "application/json", 1);
    }
    // Over its budget of failures, an address is refused before its password is checked, the
    // right one too: delayed but checked, guesses sent at once bought ~950 checks a minute
    // (issue 28, item 4). The check takes its failure ahead and gives it back when the password
    // is right, so concurrent guesses cannot pass the budget between them either.
    if (const int wait = state_.admin_auth_limits().take(address); wait > 0) {
        state_.stats().auth_limited++;
        return respond(429,
                       json{{"error", "too many failed sign-ins from this address; retry in " +
                                          std::to_string(wait) + " s"}}
                           .dump(),
                       "application/json", wait);
    }
    auto self = this->shared_from_this();
    state_.db(
        [self, address, place = std::get<0>(std::move(entered)),
         name = req["name"].get<std::string>(),
         password = req["password"].get<std::string>()](server_store&, auth_store& auth) mutable {
            auto who = auth.enabled_account(name);
            auto hash = who ? auth.password_hash(name) : std::nullopt;
            self->state_.hashing([self, address, place = std::move(place), name, password, who,
                                  hash = hash.value_or("")]() mutable {
                self->check_password(std::move(place), address, name, password, who, hash);
            });
        });
}

template <class Stream>
void http_session<Stream>::check_password(std::shared_ptr<sign_in_queue::place> place,
                                          std::string address, std::string name,
                                          std::string password, std::optional<account> who,
                                          std::string hash) {
    state_.stats().password_checks++;
    const bool right =
        verify_password(hash.empty() ? stand_in_hash() : hash, password) && !hash.empty() && who;
    // Freed before the answer leaves, so the address's next sign-in finds its place free.
    place.reset();
    if (right) state_.admin_auth_limits().give_back(address);
    auto self = this->shared_from_this();
    asio::post(stream_.get_executor(), [self, right, address, name, who] {
        if (!right) {
            // Once per failure the budget allowed, so a guesser cannot flood the log.
            self->state_.stats().auth_failures++;
            spdlog::warn("refused a console sign-in with a wrong name or password from {}",
                         address);
            return self->respond(401, R"({"error":"the name or the password is wrong"})",
                                 "application/json");
        }
        auto opened = self->state_.console().open(who->name);
        self->state_.db(
            [name](server_store&, auth_store& auth) { auth.record(name, "sign in", "console"); });
        self->respond(200, text(me_json(*who, opened.session.csrf)), "application/json", 0,
                      {{"Set-Cookie", session_cookie(opened.id, self->secure_cookies())}});
    });
}

template <class Stream> void http_session<Stream>::sign_out() {
    auto id = cookie_of(req_, session_cookie_name);
    auto session = id ? state_.console().use(*id) : std::nullopt;
    if (session) {
        if (!carries_csrf(req_, session->csrf))
            return respond(403, R"({"error":"the request lacks the console's CSRF token"})",
                           "application/json");
        state_.console().close(*id);
    }
    respond(200, R"({"signed_in":false})", "application/json", 0,
            {{"Set-Cookie", cleared_session_cookie(secure_cookies())}});
}

template <class Stream> void http_session<Stream>::whoami() {
    auto id = cookie_of(req_, session_cookie_name);
    auto session = id ? state_.console().use(*id) : std::nullopt;
    if (!session) return respond(401, R"({"error":"not signed in"})", "application/json");
    auto self = this->shared_from_this();
    state_.db([self, session = *session](server_store&, auth_store& auth) {
        auto who = auth.enabled_account(session.account);
        asio::post(self->stream_.get_executor(), [self, who, csrf = session.csrf] {
            if (!who) return self->respond(401, R"({"error":"not signed in"})", "application/json");
            self->respond(200, text(me_json(*who, csrf)), "application/json");
        });
    });
}

// The rest of each member is instantiated where it is called from, console_request.
template bool http_session<beast::tcp_stream>::console_request(const std::string&);
template bool http_session<beast::tcp_stream>::secure_cookies() const;
template bool
http_session<beast::ssl_stream<beast::tcp_stream>>::console_request(const std::string&);
template bool http_session<beast::ssl_stream<beast::tcp_stream>>::secure_cookies() const;

} // namespace noi::server
