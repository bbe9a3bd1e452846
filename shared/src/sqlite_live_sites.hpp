// Live sessions on SQLite (invariant 3 of server_store.hpp): the owner of noi_holders and
// noi_live_sites. A process is a *holder*; a session's claim on its site is a row naming the
// holder, taken under the write lock, so two processes cannot both admit a site. A holder's
// claims die with it: when its process is gone from this machine, or when it has not beaten
// for `timeout_ms` (a process elsewhere, or a pid taken again).
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/store_books.hpp>

#include <cstdint>
#include <set>

namespace noi {

class sqlite_live_sites final : public live_sites {
public:
    static constexpr std::int64_t timeout_ms = 60'000;
    explicit sqlite_live_sites(replica& rep);
    // Lets go of this holder's claims (a process that stops cleanly frees its sites at once).
    ~sqlite_live_sites() override;
    sqlite_live_sites(const sqlite_live_sites&) = delete;
    sqlite_live_sites& operator=(const sqlite_live_sites&) = delete;
    bool claim(const site_id& s) override;
    void admit(const site_id& s) override { mine_.insert(s); }
    void release(const site_id& s) override;
    void beat() override;

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
