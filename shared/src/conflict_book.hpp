// Conflicts the merge recorded (docs/design.md §6) and their resolutions; the owner of
// noi_conflicts.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/server_records.hpp>

#include <optional>
#include <vector>

namespace noi {

class conflict_book {
public:
    explicit conflict_book(replica& rep) : rep_(rep) {}

    // `rec.id` and `status` are the book's to give: they are ignored. A side without its device
    // id gets the device its site is bound to now.
    void record(const conflict_record& rec);
    // Oldest first; the filter and the page are applied in SQL.
    std::vector<conflict_record> find(const conflict_filter& f = {});
    // How many the filter matches, its page aside.
    std::uint64_t count(const conflict_filter& f);
    void mark_resolved(std::uint64_t id, const std::string& by, const std::string& resolution);
    // Marks every open conflict `device_id`'s pushes made resolved; returns how many.
    std::uint64_t resolve_open_of(const std::string& device_id, const std::string& by,
                                  const std::string& resolution);
    // The refusal of a push from a device with as many open conflicts as `limit`.
    std::optional<proto::error> full(const std::string& device_id, std::size_t limit);
    // Gives a side (the winner's, or the loser's) the version its cell was re-stamped with.
    void restamp(std::uint64_t id, bool winner, const version& v);
    struct totals {
        std::uint64_t all = 0, open = 0;
    };
    totals count();

private:
    replica& rep_;
};

} // namespace noi
