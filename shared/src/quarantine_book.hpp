// The quarantine (docs/design.md §7): rows the server refused, kept with their reason until an
// admin discards or releases them; the owner of noi_quarantine.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/server_records.hpp>

#include <optional>
#include <string>
#include <vector>

namespace noi {

struct server_options;

class quarantine_book {
public:
    // The most bytes an entry keeps of a table name, a row id and a message.
    static constexpr std::size_t max_name_bytes = 256;
    static constexpr std::size_t max_id_bytes = 1024;
    static constexpr std::size_t max_message_bytes = 2048;

    quarantine_book(replica& rep, const server_options& opt) : rep_(rep), opt_(opt) {}

    // Records a refused row of `device_id`'s replica `site` and returns the rejection the
    // tablet hears. The same row refused again for the same reason replaces its entry, counted.
    // A row too large to keep is recorded without its payload (`why` then says so).
    proto::rejection record(const std::string& device_id, const site_id& site,
                            const proto::row_change& r, proto::reject_reason reason,
                            std::string why);
    // The refusal of a push from a device whose open quarantine is at its quota.
    std::optional<proto::error> full(const std::string& device_id);

    // A replica's rejections after the newest one it confirmed, oldest first (WELCOME).
    std::vector<proto::rejection> after(const site_id& site, std::uint64_t confirmed);
    // Those of `listed`, the rejections a replica still keeps, that are settled: discarded or
    // released, or collapsed into a later entry (WELCOME's `settled`).
    std::vector<std::uint64_t> settled(const site_id& site,
                                       const std::vector<std::uint64_t>& listed);

    struct entry {
        std::string device_id;
        site_id pusher{};
        quarantine_state status = quarantine_state::open;
        std::optional<proto::row_change> row; // none when too large to keep, or unreadable
        bool kept = false;                    // the payload was kept (it may still not read)
    };
    std::optional<entry> find(std::uint64_t id);
    // An entry's status alone, without reading its row.
    std::optional<quarantine_state> status(std::uint64_t id);
    // Marks an open entry discarded and drops its payload; false when it was not open.
    bool discard(std::uint64_t id);
    void mark_released(std::uint64_t id);
    std::vector<quarantine_record> all();
    std::uint64_t open_count();
    // The released entries, with their rows (restore carries them to a snapshot).
    std::vector<std::pair<std::uint64_t, entry>> released();

private:
    static std::optional<proto::row_change> decode(const std::string& payload);
    replica& rep_;
    const server_options& opt_;
};

} // namespace noi
