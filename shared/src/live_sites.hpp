// Which replica has a session open, across every process serving one store (invariant 3 of
// server_store.hpp): the owner of noi_holders and noi_live_sites. A process is a *holder*; a
// session's claim on its site is a row naming the holder, taken under the write lock, so two
// processes cannot both admit a site. A holder's claims die with it: when its process is gone
// from this machine, or when it has not beaten for `timeout_ms` (a process elsewhere, or a pid
// taken again).
#pragma once

#include <noi/sync/replica.hpp>

#include <cstdint>
#include <set>
#include <string>

namespace noi {

class live_sites {
public:
    static constexpr std::int64_t timeout_ms = 60'000;

    explicit live_sites(replica& rep);
    // Lets go of this holder's claims (a process that stops cleanly frees its sites at once).
    ~live_sites();
    live_sites(const live_sites&) = delete;
    live_sites& operator=(const live_sites&) = delete;

    // Inside the caller's write transaction: claims `s` for this holder, or returns false when
    // a live session has it (one of this holder's, or of another that is alive).
    bool claim(const site_id& s);
    // The transaction that claimed `s` committed: its session is live until release().
    void admit(const site_id& s) { mine_.insert(s); }
    // Ends this holder's session of `s`; a failed write leaves a claim that claim() retakes.
    void release(const site_id& s);
    // Tells the other processes this holder is alive; the server calls it every few seconds.
    void beat();

private:
    bool holder_alive(const std::string& holder);
    void register_holder();

    replica& rep_;
    std::string holder_, host_;
    std::int64_t pid_;
    bool registered_ = false;
    std::set<site_id> mine_;
};

} // namespace noi
