// Conflicts on PostgreSQL (docs/design.md §6): the owner of noi_conflicts. A side's value, of
// any type, is kept packed (row_state.hpp's pack_values of one value).
#pragma once

#include "pg_connection.hpp"

#include <noi/sync/hlc.hpp>
#include <noi/sync/store_books.hpp>

namespace noi {

class pg_conflict_book final : public conflict_book {
public:
    pg_conflict_book(pg::connection& c, const wall_clock& wall) : c_(c), wall_(wall) {}
    void record(const conflict_record& rec) override;
    std::vector<conflict_record> find(const conflict_filter& f = {}) override;
    std::uint64_t count(const conflict_filter& f) override;
    void mark_resolved(std::uint64_t id, const std::string& by,
                       const std::string& resolution) override;
    std::uint64_t resolve_open_of(const std::string& device_id, const std::string& by,
                                  const std::string& resolution) override;
    void restamp(std::uint64_t id, bool winner, const version& v) override;
    totals count() override;
    std::uint64_t newest_id() override;

private:
    pg::connection& c_;
    const wall_clock& wall_;
};

} // namespace noi
