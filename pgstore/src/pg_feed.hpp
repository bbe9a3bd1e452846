// The feed on PostgreSQL: noi_feed with the same entries as the SQLite store's, indexed by
// (scope, seq) for live entries and (only_site, seq) for answers. The head is kept between
// writes and read again when the write lock is taken (pg_port).
#pragma once

#include "pg_connection.hpp"

#include <noi/sync/store_books.hpp>

namespace noi {

class pg_feed final : public feed {
public:
    // `refresh_schema`: reads the port's schema again, in the snapshot a pull reads in.
    pg_feed(pg::connection& c, std::function<void()> refresh_schema);
    // The head committed, as the write lock found it (pg_port's catch-up).
    void start_at(std::uint64_t head) { seq_ = head; }
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
    // Outside a transaction, in a read-only REPEATABLE READ one of its own: the entries and the
    // rows fn reads are one snapshot.
    void read(const feed_query& q, const std::function<bool(const feed_entry&)>& fn) override;
    std::vector<std::pair<value, std::uint64_t>> newest_after(std::uint64_t after) override;

private:
    pg::connection& c_;
    std::function<void()> refresh_schema_;
    std::uint64_t seq_ = 0;
};

// A site id as a query parameter (bytea).
pg::param site_param(const site_id& s);
// A site id read back from bytea (shorter bytes are padded with zeros).
site_id site_from(const std::string& bytes);
// A scope value (a unit's code, or none for a global table) as a query parameter.
pg::param scope_param(const value& scope);

} // namespace noi
