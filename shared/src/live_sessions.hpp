// One session per site across every instance serving a store (invariant 3 of server_store.hpp),
// over the store's live_sites book. This instance is a *holder*; a session's claim on its site
// names it, taken under the write lock, so two instances cannot both admit a site. A holder's
// claims die with it: when its process is gone from this machine, or when it has not beaten
// for `timeout_ms` (a process elsewhere, or a pid taken again).
#pragma once

#include <noi/sync/store_port.hpp>

#include <set>
#include <string>

namespace noi {

class live_sessions {
public:
    static constexpr std::int64_t timeout_ms = 60'000;
    explicit live_sessions(store_port& port);
    // Lets go of this holder's claims (a process that stops cleanly frees its sites at once).
    ~live_sessions();
    live_sessions(const live_sessions&) = delete;
    live_sessions& operator=(const live_sessions&) = delete;

    // Inside the caller's write transaction: claims `s` for this holder, or returns false when
    // a live session has it (one of this holder's, or of another that is alive).
    bool claim(const site_id& s);
    // The transaction that claimed `s` committed: its session is live until release().
    void admit(const site_id& s) { mine_.insert(s); }
    // Ends this holder's session of `s`; a failed write leaves a claim that claim() retakes.
    void release(const site_id& s);
    // Tells the other instances this holder is alive; the server calls it every few seconds.
    void beat();

private:
    bool holder_alive(const std::string& holder);
    void register_holder();

    store_port& port_;
    std::string holder_, host_;
    std::int64_t pid_;
    bool registered_ = false;
    std::set<site_id> mine_;
};

} // namespace noi
