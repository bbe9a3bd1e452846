// docs/design.md §6a, row by row, for both roles.
#include <noi/sync/merge.hpp>

#include <gtest/gtest.h>

using namespace noi;
using namespace noi::merge;

namespace {

site_id site(std::uint8_t n) {
    site_id s{};
    s[0] = n;
    return s;
}
const site_id A = site(1), B = site(2), C = site(3);

version v(std::uint64_t hlc, const site_id& s) {
    return {hlc, s};
}

std::optional<cell_view> cell(std::uint64_t hlc, const site_id& s, value val,
                              bool pending = false) {
    return cell_view{v(hlc, s), std::move(val), pending};
}

row_view row_with(std::vector<std::optional<cell_view>> cells, bool alive = true,
                  version ex = v(1, A)) {
    return {cell_view{ex, existence_value(alive), false}, std::move(cells)};
}

incoming_row update(std::size_t col, value val, version ver, std::optional<version> base,
                    std::optional<version> ex_base = v(1, A)) {
    incoming_row r;
    r.cells.push_back({col, std::move(val), ver, base});
    r.existence_base = ex_base;
    return r;
}

incoming_row del(version ver, std::optional<version> base, std::vector<version> seen) {
    incoming_row r;
    r.exists = proto::existence_change{false, ver, base};
    r.seen = std::move(seen);
    return r;
}

} // namespace

TEST(merge, no_current_cell_applies) {
    auto d = decide_cell(std::nullopt, std::string("x"), v(5, A), std::nullopt);
    EXPECT_EQ(d.act, action::apply);
    EXPECT_FALSE(d.concurrent);
}

TEST(merge, equal_version_is_a_duplicate) {
    auto d = decide_cell(cell(5, A, "x"), std::string("x"), v(5, A), std::nullopt);
    EXPECT_EQ(d.act, action::duplicate);
    EXPECT_FALSE(d.concurrent);
}

TEST(merge, greater_version_that_saw_current_applies_without_conflict) {
    auto d = decide_cell(cell(5, A, "x"), std::string("y"), v(6, B), v(5, A));
    EXPECT_EQ(d.act, action::apply);
    EXPECT_FALSE(d.concurrent);
}

TEST(merge, concurrent_update_on_same_cell_records_conflict_when_greater) {
    auto d =
        decide_row(row_with({cell(5, A, "x")}), update(0, "y", v(6, B), v(4, C)), role::server);
    ASSERT_EQ(d.cells.size(), 1u);
    EXPECT_EQ(d.cells[0], action::apply);
    ASSERT_EQ(d.conflicts.size(), 1u);
    EXPECT_EQ(d.conflicts[0].kind, conflict_kind::update);
    EXPECT_EQ(d.conflicts[0].winner, v(6, B));
    EXPECT_EQ(d.conflicts[0].loser, v(5, A));
}

TEST(merge, concurrent_update_on_same_cell_records_conflict_when_smaller_and_keeps_current) {
    auto d = decide_row(row_with({cell(7, A, "x")}), update(0, "y", v(6, B), std::nullopt),
                        role::server);
    EXPECT_EQ(d.cells[0], action::keep);
    ASSERT_EQ(d.conflicts.size(), 1u);
    EXPECT_EQ(d.conflicts[0].winner, v(7, A));
    EXPECT_EQ(d.conflicts[0].loser, v(6, B));
}

TEST(merge, smaller_version_that_saw_current_is_kept_out_without_conflict) {
    // A wrong clock can put an informed write below what it saw: it loses, but not as a conflict.
    auto d =
        decide_row(row_with({cell(7, A, "x")}), update(0, "y", v(6, B), v(7, A)), role::server);
    EXPECT_EQ(d.cells[0], action::keep);
    EXPECT_TRUE(d.conflicts.empty());
}

TEST(merge, equal_values_never_conflict_but_the_greater_version_is_applied) {
    auto d = decide_row(row_with({cell(5, A, "x")}), update(0, "x", v(6, B), std::nullopt),
                        role::server);
    EXPECT_EQ(d.cells[0], action::apply);
    EXPECT_TRUE(d.conflicts.empty());
}

TEST(merge, a_sites_own_successive_writes_never_conflict) {
    auto d =
        decide_row(row_with({cell(5, A, "x")}), update(0, "y", v(6, A), v(2, B)), role::server);
    EXPECT_EQ(d.cells[0], action::apply);
    EXPECT_TRUE(d.conflicts.empty());
}

TEST(merge, ties_on_hlc_are_broken_by_site) {
    auto d = decide_row(row_with({cell(5, A, "x")}), update(0, "y", v(5, B), std::nullopt),
                        role::server);
    EXPECT_EQ(d.cells[0], action::apply);
    auto e = decide_row(row_with({cell(5, B, "x")}), update(0, "y", v(5, A), std::nullopt),
                        role::server);
    EXPECT_EQ(e.cells[0], action::keep);
    EXPECT_EQ(d.conflicts.size(), 1u);
    EXPECT_EQ(e.conflicts.size(), 1u);
}

TEST(merge, different_columns_of_one_row_both_apply) {
    incoming_row r = update(1, "b2", v(6, B), v(2, A));
    auto d = decide_row(row_with({cell(5, A, "a1"), cell(2, A, "b1")}), r, role::server);
    EXPECT_EQ(d.cells[0], action::apply);
    EXPECT_TRUE(d.conflicts.empty());
}

TEST(merge, delete_that_saw_every_cell_applies_without_conflict) {
    auto d =
        decide_row(row_with({cell(5, B, "x")}), del(v(9, A), v(1, A), {v(5, B)}), role::server);
    EXPECT_EQ(d.exists, action::apply);
    EXPECT_FALSE(d.alive_after);
    EXPECT_TRUE(d.conflicts.empty());
}

TEST(merge, delete_against_unseen_update_from_another_site_records_delete_update) {
    auto d =
        decide_row(row_with({cell(5, B, "x")}), del(v(9, A), v(1, A), {v(3, B)}), role::server);
    EXPECT_EQ(d.exists, action::apply);
    EXPECT_FALSE(d.alive_after);
    ASSERT_EQ(d.conflicts.size(), 1u);
    EXPECT_EQ(d.conflicts[0].kind, conflict_kind::delete_update);
    EXPECT_EQ(d.conflicts[0].deleter, v(9, A));
    EXPECT_EQ(d.conflicts[0].updater, v(5, B));
    EXPECT_EQ(d.conflicts[0].winner, v(9, A));
}

TEST(merge, delete_does_not_conflict_with_its_own_sites_updates) {
    auto d = decide_row(row_with({cell(5, A, "x")}), del(v(9, A), v(1, A), {}), role::server);
    EXPECT_TRUE(d.conflicts.empty());
}

TEST(merge, update_into_a_row_deleted_elsewhere_goes_into_the_tombstone_and_conflicts) {
    auto cur = row_with({cell(5, A, "x")}, false, v(8, C));
    auto d = decide_row(cur, update(0, "y", v(9, B), v(5, A), v(1, A)), role::server);
    EXPECT_EQ(d.cells[0], action::apply);
    EXPECT_FALSE(d.alive_after);
    EXPECT_TRUE(d.reemit_existence);
    ASSERT_EQ(d.conflicts.size(), 1u);
    EXPECT_EQ(d.conflicts[0].kind, conflict_kind::delete_update);
    EXPECT_EQ(d.conflicts[0].deleter, v(8, C));
    EXPECT_EQ(d.conflicts[0].updater, v(9, B));
}

TEST(merge, update_that_knew_of_the_delete_does_not_conflict) {
    auto cur = row_with({cell(5, A, "x")}, false, v(8, C));
    auto d = decide_row(cur, update(0, "y", v(9, B), v(5, A), v(8, C)), role::server);
    EXPECT_TRUE(d.conflicts.empty());
}

// After a restore a writer re-sends its versions with themselves as base (merge.hpp).
TEST(merge, a_resend_takes_its_place_by_version_and_records_no_conflict) {
    auto newer =
        decide_row(row_with({cell(5, A, "x")}), update(0, "y", v(9, B), v(9, B)), role::server);
    EXPECT_EQ(newer.cells[0], action::apply);
    EXPECT_TRUE(newer.conflicts.empty());
    auto older =
        decide_row(row_with({cell(9, A, "x")}), update(0, "y", v(5, B), v(5, B)), role::server);
    EXPECT_EQ(older.cells[0], action::keep);
    EXPECT_TRUE(older.conflicts.empty());
    auto deleted = decide_row(row_with({cell(5, A, "x")}, false, v(8, C)),
                              update(0, "y", v(9, B), v(9, B), v(1, A)), role::server);
    EXPECT_TRUE(deleted.reemit_existence);
    EXPECT_TRUE(deleted.conflicts.empty());
    auto del_resent =
        decide_row(row_with({cell(5, B, "x")}), del(v(9, A), v(9, A), {}), role::server);
    EXPECT_FALSE(del_resent.alive_after);
    EXPECT_TRUE(del_resent.conflicts.empty());
    // A base that only names another version of the writer's own site is no re-send.
    auto genuine =
        decide_row(row_with({cell(5, A, "x")}), update(0, "y", v(9, B), v(7, B)), role::server);
    EXPECT_EQ(genuine.conflicts.size(), 1u);
}

TEST(merge, concurrent_delete_and_reinsert_conflict_and_greater_wins) {
    // B re-inserted (alive at 9) while A deleted at 7 without having seen it.
    row_view cur{cell_view{v(9, B), existence_value(true), false}, {cell(9, B, "new")}};
    auto d = decide_row(cur, del(v(7, A), v(1, A), {}), role::server);
    EXPECT_EQ(d.exists, action::keep);
    EXPECT_TRUE(d.alive_after);
    EXPECT_TRUE(d.reemit_existence);
    ASSERT_EQ(d.conflicts.size(), 1u);
    EXPECT_EQ(d.conflicts[0].kind, conflict_kind::delete_update);
    EXPECT_EQ(d.conflicts[0].winner, v(9, B));
}

TEST(merge, resurrection_by_a_greater_alive_version_applies) {
    row_view cur{cell_view{v(8, A), existence_value(false), false}, {cell(5, A, "x")}};
    incoming_row r;
    r.exists = proto::existence_change{true, v(12, B), v(8, A)};
    r.cells.push_back({0, std::string("back"), v(12, B), v(5, A)});
    auto d = decide_row(cur, r, role::server);
    EXPECT_EQ(d.exists, action::apply);
    EXPECT_TRUE(d.alive_after);
    EXPECT_EQ(d.cells[0], action::apply);
    EXPECT_TRUE(d.conflicts.empty());
}

TEST(merge, two_concurrent_deletes_do_not_conflict) {
    row_view cur{cell_view{v(8, C), existence_value(false), false}, {cell(5, A, "x")}};
    auto d = decide_row(cur, del(v(9, B), v(1, A), {v(5, A)}), role::server);
    EXPECT_EQ(d.exists, action::apply);
    EXPECT_TRUE(d.conflicts.empty());
}

TEST(merge, tablet_never_overwrites_a_pending_cell) {
    auto d = decide_row(row_with({cell(5, A, "mine", true)}),
                        update(0, "theirs", v(9, B), std::nullopt), role::tablet);
    EXPECT_EQ(d.cells[0], action::skip);
    EXPECT_TRUE(d.conflicts.empty());
}

TEST(merge, tablet_takes_no_pulled_existence_while_a_cell_is_pending) {
    auto d = decide_row(row_with({cell(5, A, "mine", true)}), del(v(9, B), std::nullopt, {}),
                        role::tablet);
    EXPECT_EQ(d.exists, action::skip);
    EXPECT_TRUE(d.alive_after);
}

TEST(merge, tablet_records_no_conflicts) {
    auto d = decide_row(row_with({cell(5, A, "x")}), update(0, "y", v(6, B), std::nullopt),
                        role::tablet);
    EXPECT_EQ(d.cells[0], action::apply);
    EXPECT_TRUE(d.conflicts.empty());
}

TEST(merge, decisions_are_symmetric_in_outcome_for_every_order_of_two_writes) {
    // Whatever order two writes arrive in, the greater version ends up held.
    for (std::uint64_t ha : {5u, 6u, 7u})
        for (std::uint64_t hb : {5u, 6u, 7u}) {
            version va = v(ha, A), vb = v(hb, B);
            auto first = decide_cell(std::nullopt, std::string("a"), va, std::nullopt);
            ASSERT_EQ(first.act, action::apply);
            auto second = decide_cell(cell_view{va, std::string("a"), false}, std::string("b"), vb,
                                      std::nullopt);
            auto other = decide_cell(cell_view{vb, std::string("b"), false}, std::string("a"), va,
                                     std::nullopt);
            version held1 = second.act == action::apply ? vb : va;
            version held2 = other.act == action::apply ? va : vb;
            EXPECT_EQ(held1, held2);
            EXPECT_EQ(held1, std::max(va, vb));
            EXPECT_TRUE(second.concurrent);
            EXPECT_TRUE(other.concurrent);
        }
}

namespace {

TEST(merge_rules, cells_sent_without_their_existence_take_the_newest_of_them_as_an_insert) {
    incoming_row inc;
    EXPECT_FALSE(implied_existence(inc));
    inc.cells.push_back({0, std::int64_t{3}, v(5, A), std::nullopt});
    inc.cells.push_back({1, std::string("Nà Phặc"), v(9, A), std::nullopt});
    const auto e = implied_existence(inc);
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->alive);
    EXPECT_EQ(e->ver, v(9, A));
    EXPECT_FALSE(e->base);
    inc.exists = proto::existence_change{false, v(10, A), std::nullopt};
    EXPECT_FALSE(implied_existence(inc));
}

TEST(merge_rules, a_row_back_to_life_or_whose_delete_lost_goes_out_whole) {
    incoming_row none;
    row_decision kept;
    kept.exists = action::keep;
    EXPECT_TRUE(sent_whole(false, true, none, kept));
    EXPECT_FALSE(sent_whole(true, true, none, kept));
    auto lost_delete = del(v(4, B), v(1, A), {});
    EXPECT_TRUE(sent_whole(true, true, lost_delete, kept));
    row_decision applied;
    applied.exists = action::apply;
    EXPECT_FALSE(sent_whole(true, false, lost_delete, applied));
}

} // namespace
