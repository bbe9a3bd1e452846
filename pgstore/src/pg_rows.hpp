// Row states and synced tables' rows on PostgreSQL: noi_rows keyed like the row, and one table
// per synced table with PostgreSQL's types (integer bigint, real double precision, text, blob
// bytea; a column of any type keeps its value packed in bytea).
#pragma once

#include "pg_connection.hpp"

#include <noi/sync/row_state.hpp>
#include <noi/sync/schema.hpp>
#include <noi/sync/store_books.hpp>

#include <unordered_map>

namespace noi {

class pg_row_states final : public row_state_book {
public:
    explicit pg_row_states(pg::connection& c) : c_(c) {}
    std::optional<row_state> load(const std::string& table, const std::string& id,
                                  std::size_t columns) override;
    void save(const std::string& table, const std::string& id, const row_state& s) override;
    bool insert_new(const std::string& table, const std::string& id, const row_state& s) override;
    void erase(const std::string& table, const std::string& id) override;
    void expect(const std::vector<std::pair<std::string, std::string>>& rows) override;
    void for_each(const schema& tables,
                  const std::function<void(const std::string& table, const std::string& id,
                                           const row_state&)>& fn) override;

private:
    // What expect() read of a row: its packed state, or none when it has none. Null when
    // nothing is known of it in this transaction.
    const std::optional<std::string>* known(const std::string& table, const std::string& id);
    void forget(const std::string& table, const std::string& id);

    pg::connection& c_;
    std::unordered_map<std::string, std::optional<std::string>> known_; // table \0 id
    std::uint64_t known_in_ = 0; // the transaction known_ was read in
};

class pg_table_rows final : public table_rows {
public:
    pg_table_rows(pg::connection& c, const table_def& def);
    std::optional<std::vector<value>> read(const std::string& id) override;
    void upsert(const std::string& id, const std::vector<value>& values) override;
    void insert(const std::string& id, const std::vector<value>& values) override;
    void remove(const std::string& id) override;
    void for_each(const std::function<void(const std::string&, std::vector<value>)>& fn) override;

private:
    std::vector<value> values_of(const pg::result& r, int row) const;
    std::vector<pg::param> params_of(const std::string& id, const std::vector<value>& v) const;

    pg::connection& c_;
    std::vector<col_type> types_;
    std::string select_, select_all_, into_, upsert_, delete_;
};

// A synced table's DDL on PostgreSQL: the table when it is new, else the columns it lacks.
std::vector<std::string> table_ddl(const table_def& def, const table_def* held);

} // namespace noi
