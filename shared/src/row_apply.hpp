// What one merge decision does to a row, on either role (docs/design.md §6a): the pure step
// between merge::decide_row and the store's writes, used by the server's apply of a pushed row
// and the tablet's apply of a pulled one. It changes the row's state and values in place and
// says what the store must then record. No SQLite, no clock, no feed.
#pragma once

#include <noi/sync/merge.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema.hpp>

#include "audit_codec.hpp"

#include <cstdint>
#include <vector>

namespace noi {

// What the receiver held before the change, as its role counts it: the server counts a row it
// never saw as live (a first insert revives nothing), a tablet as not yet live.
struct row_before {
    bool known = false; // the receiver held a state for the row
    bool was_alive = false;
};

// The values of an update conflict: the one kept or applied, and the one that lost.
struct conflict_values {
    value winner;
    value loser;
};

struct row_outcome {
    std::vector<audit_change> audit; // server: each applied version and the value it replaced
    std::vector<conflict_values> conflicts; // parallel to the decision's; set for update ones
    bool emits = false;                     // server: a version goes out again under the stamp
    bool only_pushed = true;                // server: every version emitted is one the pusher sent
    bool revived = false;                   // the row came back to life
    bool in_table = false;        // the row belongs in its table: live, with its scope known
    std::uint64_t newest_hlc = 0; // the newest version the change carried
};

// Applies `dec` (decided on `st` and `values` for `inc`) to them. Versions the server applies
// or re-emits take the sequence `stamp`; a tablet passes 0. `inc`'s values are moved from.
row_outcome apply_decision(const table_def& def, row_state& st, std::vector<value>& values,
                           const row_before& before, merge::incoming_row& inc,
                           const merge::row_decision& dec, merge::role role, std::uint64_t stamp);

} // namespace noi
