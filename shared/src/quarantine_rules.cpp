// What the quarantine keeps of a refused row (docs/design.md §7), which entries collapse into
// one, and which rejections a replica may forget: the same for every store.
#include <noi/sync/sync_service.hpp>
#include <noi/sync/unicode_text.hpp>

#include "quarantine_payload.hpp"

namespace noi {
namespace {

// The most bytes an entry keeps of a table name, a row id and a message: a million-byte table
// name or id cost the quota nothing and every WELCOME its size (issue 28). No honest table name
// or id comes near them; a clipped one ends in "…".
constexpr std::size_t max_name_bytes = 256;
constexpr std::size_t max_id_bytes = 1024;
constexpr std::size_t max_message_bytes = 2048;

} // namespace

proto::rejection sync_service::reject(const std::string& device_id, const site_id& s,
                                      const proto::row_change& r, proto::reject_reason reason,
                                      std::string why) {
    quarantine_book::new_entry e;
    e.payload = encode_quarantined(r);
    // A row too large to keep is still recorded; the tablet keeps its copy.
    if (e.payload->size() > opt_.max_quarantine_payload) {
        e.payload.reset();
        why += " (the row was too large for the server to keep: it stays in the tablet's "
               "rejected list)";
    }
    e.device_id = device_id;
    e.site = s;
    // What the device sent may not be text (the reason it is refused): kept escaped.
    e.table = clipped(escaped_text(r.table), max_name_bytes);
    e.row_id = clipped(escaped_text(r.id), max_id_bytes);
    e.seq = r.seq;
    e.reason = reason;
    e.message = clipped(escaped_text(why), max_message_bytes);
    e.at = port_->clock().wall_ms();
    // The same row refused again for the same reason replaces its entry, counted. Only one
    // replica's own entries collapse: another replica of the device must still hear of its
    // rejection by its WELCOME. The new entry takes a new number, above the old one: a tablet
    // acts only on a rejection number it has not recorded yet.
    auto& book = port_->quarantine();
    e.repeats = 1 + book.repeats(e);
    const auto id = book.add(e);
    return {id, e.table, e.row_id, r.seq, reason, e.message};
}

// Only the replica's own open entries: an answer replayed, or naming another replica's entry
// or one an admin decided, changes nothing. Discarded either way: a resent row is a new change
// of the tablet's, merged or refused on its own; the refused one is not released.
void sync_service::take_answers(const device& d, const site_id& s,
                                const std::vector<proto::answered_rejection>& answered) {
    auto& book = port_->quarantine();
    // Officers answer at a person's pace; the rest wait on the tablet for its next HELLO, and
    // a hostile one cannot make a HELLO read a thousand entries under the write lock.
    for (std::size_t i = 0; i < answered.size() && i < max_answers_per_hello; ++i) {
        const auto& a = answered[i];
        const char* how = a.answer == proto::rejection_answer::dropped  ? "dropped"
                          : a.answer == proto::rejection_answer::resent ? "corrected and sent again"
                                                                        : nullptr;
        if (!how) continue;
        const auto e = book.find(a.quarantine_id);
        if (!e || e->pusher != s || e->status != quarantine_state::open) continue;
        book.discard(a.quarantine_id);
        std::string detail = std::string(how) + " by the tablet's officer";
        if (e->row) detail += " (" + e->row->table + " " + e->row->id + ")";
        port_->access().record("device:" + d.id, "discard",
                               "quarantine " + std::to_string(a.quarantine_id), detail);
    }
}

// An id missing between the floor and the newest entry was collapsed into a later one; an id
// below quarantine_id_floor may be one a lost database made (restore): never settled.
std::vector<std::uint64_t> sync_service::settled(const site_id& s,
                                                 const std::vector<std::uint64_t>& listed) {
    std::vector<std::uint64_t> out;
    if (listed.empty()) return out;
    auto& book = port_->quarantine();
    const auto floor = static_cast<std::uint64_t>(port_->meta_int("quarantine_id_floor"));
    const auto top = book.newest_id();
    for (std::size_t i = 0; i < listed.size() && i < proto::max_rejected_listed; ++i) {
        const auto id = listed[i];
        const auto closed = book.closed(id, s);
        if (closed ? *closed : id >= floor && id <= top) out.push_back(id);
    }
    return out;
}

} // namespace noi
