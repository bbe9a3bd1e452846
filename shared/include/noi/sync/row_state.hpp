// The folded version state of one row, stored packed in one column keyed like the row
// (docs/design.md §8: no extra B-tree keyed by a random id per cell).
#pragma once

#include <noi/protocol/types.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace noi {

class database;
struct schema;

struct cell_state {
    version ver;
    std::optional<version>
        base;              // tablet: what it held when it first changed the cell since the last ack
    std::uint64_t seq = 0; // tablet: local sequence of its last change; server: server sequence
    friend bool operator==(const cell_state&, const cell_state&) = default;
};

struct row_state {
    std::optional<cell_state> exists; // the row-existence cell
    bool alive = true;
    std::vector<version> seen;                    // the base of the row's last delete
    std::vector<std::optional<cell_state>> cells; // by column index
    std::vector<value> tomb;                      // a deleted row's last values
    std::uint64_t audit_seq = 0; // server: the feed entry with the row's newest audit record
    // tablet: each cell's digest when the capture log was last folded or a pulled change
    // applied, by column index; the fold finds what an update changed against it.
    std::vector<std::uint64_t> digests;
    friend bool operator==(const row_state&, const row_state&) = default;
};

std::string pack_row_state(const row_state& s);
std::string pack_values(const std::vector<value>& values);
std::vector<value> unpack_values(std::string_view bytes);
// Throws sync_error(corrupt_state) on bytes that do not decode.
row_state unpack_row_state(std::string_view bytes, std::size_t columns);

// The sequences of the feed entries a row's state holds cells of, ascending.
std::vector<std::uint64_t> sequences_of(const row_state& st);

// Gives the state's existence and every cell sequence `seq`: an answer sends them all.
void stamp_all(row_state& st, std::uint64_t seq);

// Where a store keeps the version state of its rows, keyed like the row.
class row_state_book {
public:
    virtual ~row_state_book() = default;
    virtual std::optional<row_state> load(const std::string& table, const std::string& id,
                                          std::size_t columns) = 0;
    // Under the write lock that the load was read under (invariant 7).
    virtual void save(const std::string& table, const std::string& id, const row_state& s) = 0;
    // Saves the state of a row that has none; false, writing nothing, when the row has one.
    virtual bool insert_new(const std::string& table, const std::string& id,
                            const row_state& s) = 0;
    virtual void erase(const std::string& table, const std::string& id) = 0;
    // Every row's state, for the rare whole-store passes (clock repair): for_each's, gathered.
    std::vector<std::tuple<std::string, std::string, row_state>> all(const schema& tables);
    // The same one row at a time, for a pass that writes elsewhere: fn must not write here.
    virtual void for_each(const schema& tables,
                          const std::function<void(const std::string& table, const std::string& id,
                                                   const row_state&)>& fn) = 0;
};

// Reads and writes noi_rows, the per-row state table.
class row_state_store final : public row_state_book {
public:
    explicit row_state_store(database& db) : db_(db) {}
    std::optional<row_state> load(const std::string& table, const std::string& id,
                                  std::size_t columns) override;
    void save(const std::string& table, const std::string& id, const row_state& s) override;
    bool insert_new(const std::string& table, const std::string& id, const row_state& s) override;
    void erase(const std::string& table, const std::string& id) override;
    void for_each(const schema& tables,
                  const std::function<void(const std::string& table, const std::string& id,
                                           const row_state&)>& fn) override;

private:
    database& db_;
};

} // namespace noi
