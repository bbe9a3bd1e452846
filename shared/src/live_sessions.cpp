#include "live_sessions.hpp"

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace noi {
namespace {

std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) return "?";
    return name;
}

// Whether a process of this machine runs: kill(pid, 0) sends nothing and fails with ESRCH for a
// pid no process has.
bool process_runs(std::int64_t pid) {
    return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH);
}

std::string fresh_holder(random_bytes& random) {
    site_id id;
    random.fill(id.data(), id.size());
    return to_hex(id);
}

} // namespace

live_sessions::live_sessions(store_port& port)
    : port_(port), holder_(fresh_holder(port.random())), host_(host_name()), pid_(getpid()) {}

live_sessions::~live_sessions() {
    if (!registered_) return;
    try {
        auto tx = port_.begin();
        port_.live().leave(holder_);
        tx->commit();
    } catch (const std::exception&) {
        // The claims die with the process anyway (holder_alive).
    }
}

void live_sessions::register_holder() {
    port_.live().beat(holder_, host_, pid_, port_.clock().wall_ms(), !registered_);
    registered_ = true;
}

void live_sessions::beat() {
    auto tx = port_.begin();
    register_holder();
    tx->commit();
}

bool live_sessions::holder_alive(const std::string& holder) {
    const auto h = port_.live().find_holder(holder);
    if (!h) return false;
    const bool here = h->host == host_;
    return h->beat_at + timeout_ms > port_.clock().wall_ms() && (!here || process_runs(h->pid));
}

bool live_sessions::claim(const site_id& s) {
    // In the claim's own transaction: a holder row written by an earlier HELLO that rolled back
    // (a refused one) is not there.
    register_holder();
    if (mine_.count(s)) return false;
    const auto holder = port_.live().claimant(s);
    // A claim of this holder that mine_ lacks is one whose release failed to write: its
    // session is over.
    if (holder && *holder != holder_ && holder_alive(*holder)) return false;
    port_.live().claim(s, holder_, port_.clock().wall_ms());
    return true;
}

void live_sessions::release(const site_id& s) {
    if (!mine_.erase(s)) return;
    try {
        auto tx = port_.begin();
        port_.live().release(s, holder_);
        tx->commit();
    } catch (const std::exception&) {
        // Left for claim(): this holder retakes its own stale claim, and the claim dies with it.
    }
}

} // namespace noi
