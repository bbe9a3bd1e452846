// The administrative map on PostgreSQL (docs/design.md §11): the owner of noi_units,
// noi_map_changes, noi_lineage and noi_row_moves.
#pragma once

#include "pg_connection.hpp"

#include <noi/sync/store_books.hpp>

namespace noi {

class pg_unit_registry final : public unit_registry {
public:
    explicit pg_unit_registry(pg::connection& c) : c_(c) {}
    void add(const unit_record& u) override;
    std::optional<unit_record> find(const std::string& id) override;
    std::vector<unit_record> all() override;
    std::optional<unit_record> on(const std::string& code, const std::string& day) override;
    void retire(const std::string& id, const std::string& until) override;
    std::vector<std::string> whole_parts(const std::string& id) override;
    std::vector<std::string> successors(const std::string& id) override;
    std::uint64_t record_change(const map_change_record& c) override;
    void link(const lineage_edge& e) override;
    std::vector<map_change_record> changes() override;
    std::vector<lineage_edge> lineage() override;
    std::optional<unit_record> retired(const std::string& code, const std::string& day) override;
    void record_row_move(const std::string& table, const std::string& row_id,
                         const std::string& from_unit, const std::string& to_unit,
                         std::int64_t at_ms, const std::string& account) override;
    std::vector<std::string> moved_from(const std::string& table,
                                        const std::string& row_id) override;
    std::map<std::string, unit_rows> rows_by_unit(const table_def& table) override;

private:
    std::vector<unit_record> units(const std::string& where, const std::vector<pg::param>& p);
    std::vector<std::string> texts(const std::string& sql, const std::vector<pg::param>& p);
    pg::connection& c_;
};

} // namespace noi
