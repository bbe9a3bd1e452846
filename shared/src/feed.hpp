// The feed (docs/design.md §4): server sequences number row emissions, and noi_feed appends
// (seq, row) with the row's scope, so a pull reads one scope's entries in order. An entry also
// carries the audit record of the change it applies (audit_trail.hpp).
// Invariants: an entry is `dead` only when nothing of its row still has its sequence, so a pull
// that skips dead entries sends what one that reads them would; an *answer* (`only_site`) is
// read by that one replica alone, and sends its row whole.
#pragma once

#include <noi/sync/database.hpp>
#include <noi/sync/row_state.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace noi {

// The audit record of the change an emission applies, kept on its feed entry.
struct feed_audit {
    std::int64_t at;
    const std::string& device_id;
    const site_id& writer;
    std::string cells;
    std::uint64_t prev; // the row's previous record, 0 for none
};

class feed {
public:
    explicit feed(database& db);
    // Reads the head again: another connection committed entries (sqlite_store::catch_up).
    void reload() { seq_ = committed_head(); }
    // The newest sequence committed, as this connection reads it now.
    std::uint64_t committed_head();

    std::uint64_t head() const { return seq_; }
    std::uint64_t next() { return ++seq_; }
    // Gives back the sequence just taken, when nothing was written with it.
    void give_back(std::uint64_t seq) { seq_ = seq - 1; }

    // `pusher`: the site whose push this emission applies, when it carries nothing else (its
    // own pulls leave the entry out).
    void record(std::uint64_t seq, const std::string& table, const std::string& id,
                const value& scope, const site_id* pusher, const feed_audit* audit);
    // Makes an entry one for every reader, its pusher too, keeping who wrote it.
    void for_everyone(std::uint64_t seq);
    // Records an answer to `site` alone: its next pull brings the row as the server holds it.
    // The site's earlier answer of the row dies.
    void answer(std::uint64_t seq, const std::string& table, const std::string& id,
                const value& scope, const site_id& site);
    // Marks dead the entries of `held` (sequences_of the row's state before a change) that
    // `after`, its new state, no longer holds: no pull reads them again.
    void supersede(const std::vector<std::uint64_t>& held, const row_state& after);

private:
    database& db_;
    std::uint64_t seq_ = 0;
};

} // namespace noi
