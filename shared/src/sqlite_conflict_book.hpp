// Conflicts on SQLite (docs/design.md §6): the owner of noi_conflicts.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/store_books.hpp>

namespace noi {

class sqlite_conflict_book final : public conflict_book {
public:
    explicit sqlite_conflict_book(replica& rep) : rep_(rep) {}
    void record(const conflict_record& rec) override;
    // The filter and the page are applied in SQL.
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
    replica& rep_;
};

} // namespace noi
