// Who is signed in to the web console: a session per sign-in, named by a random id that only
// its cookie carries, with a CSRF token the page sends back on every change. Kept in memory: a
// restart signs everyone out, and no copy of the disk holds a live session.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace noi::server {

struct console_session {
    std::string account, csrf;
};

class console_sessions {
public:
    using clock = std::chrono::steady_clock;
    // A session ends after `idle` without a request; at most `max_sessions` live at once, the
    // least recently used going first.
    explicit console_sessions(std::chrono::seconds idle, std::size_t max_sessions = 10'000);

    struct opened {
        std::string id;
        console_session session;
    };
    opened open(const std::string& account, clock::time_point now = clock::now());
    // The session of a cookie's id while it lasts; each look counts as use.
    std::optional<console_session> use(const std::string& id, clock::time_point now = clock::now());
    void close(const std::string& id);
    // Every session of an account (disabled, or its password changed).
    void close_account(const std::string& account);
    std::chrono::seconds idle() const { return idle_; }

private:
    struct entry {
        console_session session;
        clock::time_point last_used;
    };
    void drop_expired(clock::time_point now);

    std::chrono::seconds idle_;
    std::size_t max_;
    std::mutex mu_;
    std::map<std::string, entry> by_hash_; // keyed by the id's SHA-256, compared in full
};

} // namespace noi::server
