// The feed on SQLite: noi_feed appends (seq, row) with the row's scope, indexed so a pull reads
// one scope's live entries in order. The head is kept in memory between writes and read again
// from the table whenever the write lock shows another connection's commit (invariant 1).
#pragma once

#include <noi/sync/database.hpp>
#include <noi/sync/store_books.hpp>

namespace noi {

class replica;

class sqlite_feed final : public feed {
public:
    explicit sqlite_feed(replica& rep);
    // Reads the head again: another connection committed entries (sqlite_port's catch-up).
    void reload() { seq_ = committed_head(); }
    std::uint64_t committed_head() override;
    std::uint64_t head() override { return seq_; }
    std::uint64_t next() override { return ++seq_; }
    void give_back(std::uint64_t seq) override { seq_ = seq - 1; }
    void record(std::uint64_t seq, const std::string& table, const std::string& id,
                const value& scope, const site_id* pusher, const feed_audit* audit) override;
    void for_everyone(std::uint64_t seq) override;
    void answer(std::uint64_t seq, const std::string& table, const std::string& id,
                const value& scope, const site_id& site) override;
    void supersede(const std::vector<std::uint64_t>& held, const row_state& after) override;
    void read(const feed_query& q, const std::function<bool(const feed_entry&)>& fn) override;
    std::vector<std::pair<value, std::uint64_t>> newest_after(std::uint64_t after) override;

private:
    replica& rep_;
    database& db_;
    std::uint64_t seq_ = 0;
};

} // namespace noi
