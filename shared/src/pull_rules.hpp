// The rules of answering a PULL that read no storage (docs/design.md §4, §11): how much one
// PULL reads and sends, what it sends of each row it reads, and where its CHANGES ends. The
// store reads the feed and the rows; these decide.
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema.hpp>
#include <noi/sync/server_records.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace noi {

// What a PULL sends of a row whose feed entry it read at `seq` (`answer`: an entry for the
// pulling replica alone): the row as the server holds it, when the device reads the row's unit
// (an answer whole); only its scope cell when the row moved to a unit the device does not read,
// so its tablet lets it go (a departure); otherwise nothing.
std::optional<proto::row_change> row_for_puller(const device& d, const table_def& def,
                                                const std::string& id, row_state st,
                                                std::vector<value> values, std::uint64_t seq,
                                                bool answer);

// One CHANGES being filled. Each feed entry read is either passed (nothing to send: the
// cursor moves past it) or offered; the page ends (more) before an entry past its rows or
// entries read, or before a row that would take it past its bytes; a row larger than the bytes
// travels alone.
class pull_page {
public:
    // `max_rows`: what the PULL asked, bounded by the server's; a PULL leaving out its own
    // pushes reads up to 8 entries a row it may send.
    pull_page(const proto::pull& p, std::size_t server_max_rows, std::size_t max_bytes,
              bool skips_own);

    // Before reading the next entry: false, and the page says there is more, when it is full.
    bool room();
    void pass(std::uint64_t seq);
    // False, and the page says there is more, when `r` does not fit after what is taken. A row
    // no replica could decode (stored before rows were bounded) is passed over instead, so it
    // cannot stop every pull of its scope.
    bool offer(proto::row_change r, std::uint64_t seq);
    // How many entries the store should read at most (one more tells whether there are more).
    std::size_t entries_to_read() const { return scan_limit_ + 1; }

    proto::changes done() { return std::move(out_); }

private:
    proto::changes out_;
    std::size_t limit_, scan_limit_, max_bytes_;
    std::size_t bytes_ = 0, sent_ = 0, scanned_ = 0;
};

} // namespace noi
