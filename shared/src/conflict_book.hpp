// Conflicts the merge recorded (docs/design.md §6) and their resolutions; the owner of
// noi_conflicts.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/server_records.hpp>

#include <vector>

namespace noi {

class conflict_book {
public:
    explicit conflict_book(replica& rep) : rep_(rep) {}

    // `rec.id`, `status` and the device ids are the book's to give: they are ignored.
    void record(const conflict_record& rec);
    // Oldest first; the filter is applied in SQL.
    std::vector<conflict_record> find(const conflict_filter& f = {});
    void mark_resolved(std::uint64_t id, const std::string& by, const std::string& resolution);
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
