// The quarantine on SQLite (docs/design.md §7): the owner of noi_quarantine.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/server_store.hpp>
#include <noi/sync/store_books.hpp>

namespace noi {

class sqlite_quarantine_book final : public quarantine_book {
public:
    sqlite_quarantine_book(replica& rep, const server_options& opt) : rep_(rep), opt_(opt) {}
    proto::rejection record(const std::string& device_id, const site_id& site,
                            const proto::row_change& r, proto::reject_reason reason,
                            std::string why) override;
    held open_of(const std::string& device_id) override;
    std::vector<proto::rejection> after(const site_id& site, std::uint64_t confirmed) override;
    std::vector<std::uint64_t> settled(const site_id& site,
                                       const std::vector<std::uint64_t>& listed) override;
    std::optional<entry> find(std::uint64_t id) override;
    std::optional<quarantine_state> status(std::uint64_t id) override;
    bool discard(std::uint64_t id) override;
    void mark_released(std::uint64_t id) override;
    std::vector<quarantine_record> all() override;
    std::uint64_t open_count() override;
    std::vector<std::pair<std::uint64_t, entry>> released() override;

private:
    static std::optional<proto::row_change> decode(const std::string& payload);
    replica& rep_;
    const server_options& opt_;
};

} // namespace noi
