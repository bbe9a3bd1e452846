// One pair of converters between a row's stored state (row_state.hpp) and the two shapes a
// change takes elsewhere: the wire's (proto::row_change), which the tablet pushes and the
// server pulls from the same state, and the merge's view of what a receiver holds.
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/merge.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema.hpp>

#include <optional>
#include <string>
#include <vector>

namespace noi {

// The row's change at sequence `seq` (a tablet's local sequence, a server sequence): the cells,
// and the existence, whose last change was at `seq`, with the row's current `values`. A
// tablet's push sends each change `with_bases` (what it was written against, a delete's
// `seen`, an update's view of the existence cell); a server's pull sends versions alone.
// None when nothing of the row changed at `seq`.
std::optional<proto::row_change> change_at(const table_def& def, const std::string& id,
                                           const row_state& st, std::vector<value> values,
                                           std::uint64_t seq, bool with_bases);

// The bytes a CHANGES spends at most on the row with all its `values` (one per column) in one
// entry, as a re-emission sends it: what the server keeps under proto::max_row_bytes.
std::size_t pulled_bound(const table_def& def, const std::string& id,
                         const std::vector<value>& values);

// What a receiver holds of the row, as the merge sees it. `pending_above`: on a tablet, the
// acknowledged local sequence, above which a cell is pending; the server has none.
merge::row_view view_of(const row_state& st, const std::vector<value>& values,
                        std::optional<std::uint64_t> pending_above);

} // namespace noi
