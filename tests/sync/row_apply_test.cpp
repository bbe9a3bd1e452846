// The pure row-apply step (shared/src/row_apply.hpp) on both roles: what a merge decision does
// to a row's state and values, and what it tells the store to record.
#include "row_apply.hpp"

#include <gtest/gtest.h>

using namespace noi;
using merge::action;
using merge::role;

namespace {

site_id site(std::uint8_t n) {
    site_id s{};
    s[0] = n;
    return s;
}
const site_id A = site(1), B = site(2);

version v(std::uint64_t hlc, const site_id& s) {
    return {hlc, s};
}

// A scoped table: (name, commune_code).
table_def militia() {
    return {"militia", {{"name", col_type::text}, {"commune_code", col_type::text}}, 1};
}

row_state live_row(version ex, version name_ver, version scope_ver) {
    row_state st;
    st.exists = cell_state{ex, std::nullopt, 3};
    st.cells = {cell_state{name_ver, std::nullopt, 3}, cell_state{scope_ver, std::nullopt, 3}};
    return st;
}

struct applied {
    row_state st;
    std::vector<value> values;
    merge::row_decision dec;
    row_outcome out;
};

applied run(row_state st, std::vector<value> values, row_before before, merge::incoming_row inc,
            role r, std::optional<std::uint64_t> pending_above = std::nullopt,
            std::uint64_t stamp = 9) {
    const auto def = militia();
    merge::row_view view;
    if (st.exists)
        view.exists = merge::cell_view{st.exists->ver, merge::existence_value(st.alive),
                                       pending_above && st.exists->seq > *pending_above};
    for (std::size_t i = 0; i < st.cells.size(); ++i) {
        const auto& c = st.cells[i];
        view.cells.push_back(c ? std::optional<merge::cell_view>(merge::cell_view{
                                     c->ver, values[i], pending_above && c->seq > *pending_above})
                               : std::nullopt);
    }
    auto dec = merge::decide_row(view, inc, r);
    auto out = apply_decision(def, st, values, before, inc, dec, r, stamp);
    return {std::move(st), std::move(values), std::move(dec), std::move(out)};
}

} // namespace

TEST(row_apply, server_concurrent_update_records_both_values_and_audits_the_replaced_one) {
    merge::incoming_row inc;
    inc.existence_base = v(1, A);
    // B wrote against the first version although A's second is current: concurrent.
    inc.cells.push_back({0, std::string("Lò Văn Hùng"), v(7, B), v(1, A)});
    auto r = run(live_row(v(1, A), v(5, A), v(1, A)), {std::string("Lò Văn Hưng"), "x001"},
                 {true, true}, std::move(inc), role::server);
    ASSERT_EQ(r.dec.conflicts.size(), 1u);
    EXPECT_EQ(r.out.conflicts[0].winner, value(std::string("Lò Văn Hùng")));
    EXPECT_EQ(r.out.conflicts[0].loser, value(std::string("Lò Văn Hưng")));
    EXPECT_EQ(r.values[0], value(std::string("Lò Văn Hùng")));
    ASSERT_EQ(r.out.audit.size(), 1u);
    EXPECT_EQ(r.out.audit[0].column, "name");
    EXPECT_EQ(r.out.audit[0].old_value, value(std::string("Lò Văn Hưng")));
    EXPECT_TRUE(r.out.emits);
    EXPECT_TRUE(r.out.only_pushed);
    EXPECT_EQ(r.st.cells[0]->seq, 9u);
    EXPECT_EQ(r.st.cells[1]->seq, 3u) << "a cell the change left alone keeps its sequence";
    EXPECT_EQ(r.out.newest_hlc, 7u);
    EXPECT_TRUE(r.out.in_table);
}

TEST(row_apply, server_keeps_a_newer_cell_and_reemits_it_for_the_sender) {
    merge::incoming_row inc;
    inc.existence_base = v(1, A);
    inc.cells.push_back({0, std::string("old"), v(4, B), v(1, A)});
    auto r = run(live_row(v(1, A), v(5, A), v(1, A)), {std::string("new"), "x001"}, {true, true},
                 std::move(inc), role::server);
    EXPECT_EQ(r.dec.cells[0], action::keep);
    EXPECT_EQ(r.values[0], value(std::string("new")));
    EXPECT_TRUE(r.out.audit.empty());
    EXPECT_TRUE(r.out.emits);
    EXPECT_FALSE(r.out.only_pushed) << "the sender does not hold the kept version";
    EXPECT_EQ(r.st.cells[0]->seq, 9u);
}

TEST(row_apply, server_new_row_audits_no_old_values_though_its_scope_is_filled_in) {
    merge::incoming_row inc;
    inc.exists = proto::existence_change{true, v(2, A), std::nullopt};
    inc.cells.push_back({0, std::string("Hà Thị Mai"), v(2, A), std::nullopt});
    row_state st;
    st.cells.resize(2);
    auto r = run(st, {value{}, std::string("x001")}, {false, true}, std::move(inc), role::server);
    ASSERT_EQ(r.out.audit.size(), 2u);
    for (const auto& a : r.out.audit)
        EXPECT_TRUE(is_null(a.old_value)) << a.column;
    EXPECT_FALSE(r.out.revived) << "a first insert revives nothing";
    EXPECT_TRUE(r.out.in_table);
    EXPECT_EQ(r.st.exists->seq, 9u);
}

TEST(row_apply, server_delete_keeps_its_base_and_the_last_values_in_the_tomb) {
    merge::incoming_row inc;
    inc.exists = proto::existence_change{false, v(8, A), v(1, A)};
    inc.seen = {v(5, A)};
    const std::vector<value> values{std::string("n"), std::string("x001")};
    auto r = run(live_row(v(1, A), v(5, A), v(1, A)), values, {true, true}, std::move(inc),
                 role::server);
    EXPECT_FALSE(r.st.alive);
    EXPECT_EQ(r.st.seen, std::vector<version>{v(5, A)});
    EXPECT_EQ(r.st.tomb, values);
    EXPECT_FALSE(r.out.in_table);
    ASSERT_EQ(r.out.audit.size(), 1u);
    EXPECT_EQ(r.out.audit[0].old_value, merge::existence_value(true));
}

TEST(row_apply, server_sends_every_cell_again_when_a_delete_loses) {
    merge::incoming_row inc;
    // The delete was written against the first insert; a re-insert after it is newer and wins.
    inc.exists = proto::existence_change{false, v(8, B), v(1, A)};
    inc.seen = {v(5, A)};
    auto r = run(live_row(v(10, A), v(5, A), v(1, A)), {std::string("n"), "x001"}, {true, true},
                 std::move(inc), role::server);
    ASSERT_TRUE(r.st.alive);
    EXPECT_EQ(r.dec.exists, action::keep);
    EXPECT_FALSE(r.out.only_pushed);
    EXPECT_EQ(r.st.exists->seq, 9u);
    for (const auto& c : r.st.cells)
        EXPECT_EQ(c->seq, 9u);
}

TEST(row_apply, tablet_never_overwrites_a_pending_cell) {
    merge::incoming_row inc;
    inc.cells.push_back({0, std::string("from server"), v(9, B), std::nullopt});
    auto st = live_row(v(1, A), v(5, A), v(1, A));
    st.cells[0]->seq = 12; // written here after the last acknowledgement (10)
    auto r =
        run(st, {std::string("mine"), "x001"}, {true, true}, std::move(inc), role::tablet, 10, 0);
    EXPECT_EQ(r.dec.cells[0], action::skip);
    EXPECT_EQ(r.values[0], value(std::string("mine")));
    EXPECT_EQ(r.st.cells[0]->ver, v(5, A));
    EXPECT_TRUE(r.out.audit.empty()) << "a tablet keeps no audit";
}

TEST(row_apply, tablet_row_waits_out_of_its_table_until_its_scope_arrives) {
    merge::incoming_row inc;
    inc.exists = proto::existence_change{true, v(2, B), std::nullopt};
    inc.cells.push_back({0, std::string("Vàng A Dính"), v(2, B), std::nullopt});
    row_state st;
    st.cells.resize(2);
    auto r = run(st, {value{}, value{}}, {false, false}, std::move(inc), role::tablet, 0, 0);
    EXPECT_TRUE(r.st.alive);
    EXPECT_TRUE(r.out.revived);
    EXPECT_FALSE(r.out.in_table);
    EXPECT_EQ(r.st.tomb[0], value(std::string("Vàng A Dính")));

    merge::incoming_row scope;
    scope.cells.push_back({1, std::string("x001"), v(2, B), std::nullopt});
    auto r2 = run(r.st, r.values, {true, true}, std::move(scope), role::tablet, 0, 0);
    EXPECT_TRUE(r2.out.in_table);
    EXPECT_TRUE(r2.st.tomb.empty());
    EXPECT_EQ(r2.values[1], value(std::string("x001")));
}

TEST(row_apply, tablet_revived_row_takes_every_value_it_carries) {
    auto st = live_row(v(1, A), v(5, A), v(1, A));
    st.alive = false;
    merge::incoming_row inc;
    inc.exists = proto::existence_change{true, v(9, B), std::nullopt};
    // Sent whole: a cell whose version the tablet holds comes with the row's current value.
    inc.cells.push_back({0, std::string("sent whole"), v(5, A), std::nullopt});
    inc.cells.push_back({1, std::string("x001"), v(1, A), std::nullopt});
    auto r = run(st, {std::string("stale"), std::string("x001")}, {true, false}, std::move(inc),
                 role::tablet, 10, 0);
    EXPECT_TRUE(r.out.revived);
    EXPECT_EQ(r.dec.cells[0], action::duplicate);
    EXPECT_EQ(r.values[0], value(std::string("sent whole")));
    EXPECT_TRUE(r.out.in_table);
}
