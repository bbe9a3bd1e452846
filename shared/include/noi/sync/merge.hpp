// The merge decision of docs/design.md §6a, as pure functions: no SQLite, no clock, no I/O.
// Given what a receiver holds for one row and an incoming change of that row, it says what to
// apply and, on the server, which conflicts to record. tests/sync/merge_test.cpp walks the
// table of §6a row by row.
#pragma once

#include <noi/protocol/messages.hpp>

#include <optional>
#include <vector>

namespace noi::merge {

enum class role { tablet, server };

enum class action {
    apply,     // take the incoming version
    duplicate, // the receiver already holds exactly this version
    keep,      // keep the current version (the server re-emits it so the sender learns it)
    skip,      // tablet only: the cell is pending here; the pending write goes up first
};

struct cell_view {
    version ver;
    value val;            // for the existence cell: 1 alive, 0 deleted
    bool pending = false; // tablet only: changed here and not yet acknowledged
};

struct row_view {
    std::optional<cell_view> exists;
    std::vector<std::optional<cell_view>> cells; // by column index
};

struct incoming_cell {
    std::size_t column = 0;
    value val;
    version ver;
    std::optional<version> base;
};

struct incoming_row {
    std::optional<proto::existence_change> exists;
    std::vector<version> seen;             // a delete's base
    std::optional<version> existence_base; // an update's view of the existence cell
    std::vector<incoming_cell> cells;
};

enum class conflict_kind { update, delete_update };

struct conflict {
    conflict_kind kind = conflict_kind::update;
    std::optional<std::size_t> column; // update: the column; delete_update: none
    version winner;                    // the version applied (or kept)
    version loser;
    // delete_update: which side deleted and which updated.
    version deleter;
    version updater;
};

struct row_decision {
    action exists = action::duplicate; // meaningful only when the change carries existence
    std::vector<action> cells;         // parallel to incoming_row::cells
    std::vector<conflict> conflicts;   // server only
    bool alive_after = true;           // the row's existence once the decision is applied
    bool reemit_existence = false;     // server: the sender must learn the current existence
};

struct cell_decision {
    action act;
    bool concurrent; // base differs from the current version, another site, different value
};

// A version sent with itself as its base is a re-send: the writer re-pushes what it wrote
// after the server lost it (a restore) and no longer knows what it had seen. The first push was
// judged when it arrived (and its conflict recorded then, which a restore carries over), so a
// re-send takes its place by version order and records no conflict of its own.
inline bool is_resend(const version& ver, const std::optional<version>& base) {
    return base && *base == ver;
}

// One cell, by versions (the rows of §6a's table that concern a single cell).
cell_decision decide_cell(const std::optional<cell_view>& cur, const value& inc_val,
                          const version& inc_ver, const std::optional<version>& inc_base);

// One row change. The existence cell is decided first; cells then merge by version even into
// a tombstone (the row stays deleted), and the delete-against-update rows of §6a add their
// conflict. On a tablet, pending cells are never overwritten.
row_decision decide_row(const row_view& cur, const incoming_row& inc, role r);

// Cells of a row the receiver has no existence for, sent without one: the writer's insert, whose
// existence cell moved on to a later change (a delete, a re-insert) that may never be accepted.
// The row takes the existence it had when these cells were written, so every replica can hold
// it. None when the change carries its existence, or no cells.
std::optional<proto::existence_change> implied_existence(const incoming_row& inc);

// Whether the whole row must go out again after the change: it came back to life, or a delete
// of it lost (the sender must learn every cell of the row it thought gone).
inline bool sent_whole(bool was_alive, bool alive_after, const incoming_row& inc,
                       const row_decision& d) {
    return (alive_after && !was_alive) ||
           (inc.exists && !inc.exists->alive && alive_after && d.exists == action::keep);
}

inline value existence_value(bool alive) {
    return static_cast<std::int64_t>(alive ? 1 : 0);
}

} // namespace noi::merge
