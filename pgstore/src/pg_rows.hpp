// Row states and synced tables' rows on PostgreSQL: noi_rows keyed like the row, and one table
// per synced table with PostgreSQL's types (integer bigint, real double precision, text, blob
// bytea; a column of any type keeps its value packed in bytea).
#pragma once

#include "pg_connection.hpp"

#include <noi/sync/row_state.hpp>
#include <noi/sync/schema.hpp>
#include <noi/sync/store_books.hpp>
#include <noi/sync/store_port.hpp>

#include <unordered_map>

namespace noi {

// What an expect() read of rows, by key: each row's value, or none when it has none. Known only
// in the transaction it was read in (under the write lock, or in a pull's snapshot), and only
// until something is written to the row.
template <class T> class known_rows {
public:
    explicit known_rows(const pg::connection& c) : c_(c) {}
    // Begins again, for the transaction open now.
    void reset() {
        rows_.clear();
        in_ = c_.transactions_begun();
    }
    void set(const std::string& key, std::optional<T> v) { rows_[key] = std::move(v); }
    // Null when nothing is known of the row.
    const std::optional<T>* find(const std::string& key) {
        if (rows_.empty()) return nullptr;
        if (in_ != c_.transactions_begun() || !c_.in_transaction()) {
            rows_.clear();
            return nullptr;
        }
        const auto it = rows_.find(key);
        return it == rows_.end() ? nullptr : &it->second;
    }
    void forget(const std::string& key) {
        if (!rows_.empty()) rows_.erase(key);
    }

private:
    const pg::connection& c_;
    std::unordered_map<std::string, std::optional<T>> rows_;
    std::uint64_t in_ = 0;
};

class pg_row_states final : public row_state_book {
public:
    explicit pg_row_states(pg::connection& c) : c_(c), known_(c) {}
    std::optional<row_state> load(const std::string& table, const std::string& id,
                                  std::size_t columns) override;
    void save(const std::string& table, const std::string& id, const row_state& s) override;
    bool insert_new(const std::string& table, const std::string& id, const row_state& s) override;
    void erase(const std::string& table, const std::string& id) override;
    // The states of `rows`, read at once (pg_port::read_ahead).
    void expect(const std::vector<row_ahead>& rows);
    void for_each(const schema& tables,
                  const std::function<void(const std::string& table, const std::string& id,
                                           const row_state&)>& fn) override;

private:
    pg::connection& c_;
    known_rows<std::string> known_; // packed states, by table \0 id
};

class pg_table_rows final : public table_rows {
public:
    pg_table_rows(pg::connection& c, const table_def& def);
    std::optional<std::vector<value>> read(const std::string& id) override;
    void upsert(const std::string& id, const std::vector<value>& values) override;
    void insert(const std::string& id, const std::vector<value>& values) override;
    void remove(const std::string& id) override;
    // These rows, read at once (pg_port::read_ahead).
    void expect(const std::vector<std::string>& ids);
    void for_each(const std::function<void(const std::string&, std::vector<value>)>& fn) override;

private:
    std::vector<value> values_of(const pg::result& r, int row) const;
    std::vector<pg::param> params_of(const std::string& id, const std::vector<value>& v) const;

    pg::connection& c_;
    std::vector<col_type> types_;
    std::string select_, select_some_, select_first_, select_after_, into_, upsert_, delete_;
    known_rows<std::vector<value>> known_;
};

// A synced table's DDL on PostgreSQL: the table when it is new, else the columns it lacks.
std::vector<std::string> table_ddl(const table_def& def, const table_def* held);

} // namespace noi
