// Where a tablet stands in its sync with the server, kept in noi_meta: read in one query at the
// start of a transaction, and written back, only what changed, before it commits.
#pragma once

#include <noi/sync/database.hpp>

#include <cstdint>
#include <optional>

namespace noi {

struct tablet_checkpoint {
    std::uint64_t acked = 0;  // acked_seq: the local sequence the server holds up to
    std::uint64_t sent = 0;   // sent_seq: the highest sent, remembered before it left
    std::uint64_t local = 0;  // local_seq: the last local sequence the fold gave
    std::uint64_t cursor = 0; // the pull cursor, a server sequence
    bool pulls_own = false;   // pull_own: this round's pulls bring the tablet's own writes too
    std::uint64_t hlc_received = 0;        // the greatest HLC received or accepted
    std::uint64_t confirmed_rejection = 0; // the newest rejection recorded
    std::optional<std::int64_t> last_sync_at_ms;
    friend bool operator==(const tablet_checkpoint&, const tablet_checkpoint&) = default;
};

tablet_checkpoint read_checkpoint(database& db);
// Writes the fields of `now` that differ from `was`, inside the caller's transaction.
void write_checkpoint(database& db, const tablet_checkpoint& was, const tablet_checkpoint& now);

} // namespace noi
