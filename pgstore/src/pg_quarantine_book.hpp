// The quarantine on PostgreSQL (docs/design.md §7): the owner of noi_quarantine.
#pragma once

#include "pg_connection.hpp"

#include <noi/sync/store_books.hpp>

namespace noi {

// What a device's open entries hold (quarantine_book::held): one row of two bigints, the
// device's id as $1.
extern const char* const pg_open_held_sql;

class pg_quarantine_book final : public quarantine_book {
public:
    explicit pg_quarantine_book(pg::connection& c) : c_(c) {}
    std::uint64_t repeats(const new_entry& e) override;
    std::uint64_t add(const new_entry& e) override;
    std::vector<proto::rejection> after(const site_id& site, std::uint64_t confirmed) override;
    std::optional<bool> closed(std::uint64_t id, const site_id& site) override;
    std::uint64_t newest_id() override;
    held open_of(const std::string& device_id) override;
    std::optional<entry> find(std::uint64_t id) override;
    std::optional<quarantine_state> status(std::uint64_t id) override;
    bool discard(std::uint64_t id) override;
    void mark_released(std::uint64_t id) override;
    std::vector<quarantine_record> all() override;
    std::uint64_t open_count() override;
    std::vector<std::pair<std::uint64_t, entry>> released() override;

private:
    pg::connection& c_;
};

} // namespace noi
