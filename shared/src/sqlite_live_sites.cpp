#include "sqlite_live_sites.hpp"

#include "site_bytes.hpp"

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

} // namespace

sqlite_live_sites::sqlite_live_sites(replica& rep)
    : rep_(rep), holder_(rep.new_uuid()), host_(host_name()), pid_(getpid()) {}

sqlite_live_sites::~sqlite_live_sites() {
    if (!registered_) return;
    try {
        transaction tx(rep_.db());
        auto& drop = rep_.db().cached("DELETE FROM noi_live_sites WHERE holder = ?1");
        drop.bind(1, holder_);
        drop.run();
        auto& gone = rep_.db().cached("DELETE FROM noi_holders WHERE holder = ?1");
        gone.bind(1, holder_);
        gone.run();
        tx.commit();
    } catch (const std::exception&) {
        // The claims die with the process anyway (holder_alive).
    }
}

void sqlite_live_sites::register_holder() {
    const auto now = rep_.clock().wall_ms();
    if (!registered_) {
        // Processes killed long ago left their rows: a day past their last beat, they go.
        auto& old = rep_.db().cached("DELETE FROM noi_holders WHERE beat_at < ?1");
        old.bind(1, now - 24 * 3600 * 1000);
        old.run();
    }
    auto& st = rep_.db().cached("INSERT INTO noi_holders(holder, host, pid, beat_at) VALUES "
                                "(?1, ?2, ?3, ?4) ON CONFLICT(holder) DO UPDATE SET beat_at = ?4");
    st.bind(1, holder_).bind(2, host_).bind(3, pid_).bind(4, now);
    st.run();
    registered_ = true;
}

void sqlite_live_sites::beat() {
    transaction tx(rep_.db());
    register_holder();
    tx.commit();
}

bool sqlite_live_sites::holder_alive(const std::string& holder) {
    auto& st = rep_.db().cached("SELECT host, pid, beat_at FROM noi_holders WHERE holder = ?1");
    st.bind(1, holder);
    bool alive = false;
    if (st.step()) {
        const bool here = st.column_text(0) == host_;
        alive = st.column_int(2) + timeout_ms > rep_.clock().wall_ms() &&
                (!here || process_runs(st.column_int(1)));
    }
    st.reset();
    return alive;
}

bool sqlite_live_sites::claim(const site_id& s) {
    // In the claim's own transaction: a holder row written by an earlier HELLO that rolled back
    // (a refused one) is not there.
    register_holder();
    if (mine_.count(s)) return false;
    const auto key = site_bytes(s);
    auto& held = rep_.db().cached("SELECT holder FROM noi_live_sites WHERE site = ?1");
    held.bind_blob(1, key.data(), key.size());
    std::string holder;
    if (held.step()) holder = held.column_text(0);
    held.reset();
    // A claim of this holder that mine_ lacks is one whose release failed to write: its
    // session is over.
    if (!holder.empty() && holder != holder_ && holder_alive(holder)) return false;
    auto& take = rep_.db().cached(
        "INSERT OR REPLACE INTO noi_live_sites(site, holder, since) VALUES (?1, ?2, ?3)");
    take.bind_blob(1, key.data(), key.size()).bind(2, holder_).bind(3, rep_.clock().wall_ms());
    take.run();
    return true;
}

void sqlite_live_sites::release(const site_id& s) {
    if (!mine_.erase(s)) return;
    try {
        transaction tx(rep_.db());
        const auto key = site_bytes(s);
        auto& drop = rep_.db().cached("DELETE FROM noi_live_sites WHERE site = ?1 AND holder = ?2");
        drop.bind_blob(1, key.data(), key.size()).bind(2, holder_);
        drop.run();
        tx.commit();
    } catch (const std::exception&) {
        // Left for claim(): this holder retakes its own stale claim, and the claim dies with it.
    }
}

} // namespace noi
