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
    auto self = this->shared_from_this();
    auto look_up = [self, name = req["name"].get<std::string>(),
                    password = req["password"].get<std::string>()] {
        self->state_.db([self, name, password](server_store&, auth_store& auth) {
            auto who = auth.enabled_account(name);
            auto hash = who ? auth.password_hash(name) : std::nullopt;
            self->state_.hashing([self, name, password, who, hash = hash.value_or("")] {
                self->check_password(name, password, who, hash);
            });
        });
    };
    // An address over its budget of failures waits before its password is even checked, so a
    // guesser cannot keep the check busy; a right password still signs in, later.
    const int wait = state_.admin_auth_limits().blocked_for(client_address());
    if (wait == 0) return look_up();
    late_.emplace(stream_.get_executor());
    late_->expires_after(std::min<std::chrono::seconds>(std::chrono::seconds(wait),
                                                        state_.config().auth_failure_delay_max));
    late_->async_wait([look_up](beast::error_code) { look_up(); });
}

template <class Stream>
void http_session<Stream>::check_password(std::string name, std::string password,
                                          std::optional<account> who, std::string hash) {
    const bool right =
        verify_password(hash.empty() ? stand_in_hash() : hash, password) && !hash.empty() && who;
    auto self = this->shared_from_this();
    asio::post(stream_.get_executor(), [self, right, name, who] {
        if (!right)
            return self->refuse_credential(
                self->state_.admin_auth_limits(), "a console sign-in with a wrong name or password",
                R"({"error":"the name or the password is wrong"})", "application/json");
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
