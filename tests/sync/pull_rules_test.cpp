// The rules of answering a PULL that read no storage (shared/src/pull_rules.hpp): what is sent
// of a row, and where a CHANGES ends.
#include "pull_rules.hpp"

#include <noi/sync/schema_change.hpp>

#include <gtest/gtest.h>

using namespace noi;

namespace {

struct pull_rules_test : ::testing::Test {
    schema tables = schema_of(
        1, {{"household", "commune_code", {{"village", "TEXT"}, {"members", "INTEGER"}}}});
    const table_def& household = *tables.find("household");
    device officer{"tab-a", "01849", "Dương Quang, máy 1"};
    site_id tablet{};

    // A row of `commune` whose insert is feed entry 5 and whose members changed at entry 9.
    row_state state() const {
        row_state st;
        const version v1{1000, tablet}, v2{2000, tablet};
        st.exists = cell_state{v1, std::nullopt, 5};
        st.cells.resize(household.columns.size());
        for (std::size_t i = 0; i < st.cells.size(); ++i)
            st.cells[i] = cell_state{v1, std::nullopt, 5};
        st.cells[*household.column_index("members")] = cell_state{v2, std::nullopt, 9};
        return st;
    }
    std::vector<value> values(const std::string& commune) const {
        std::vector<value> v(household.columns.size());
        v[*household.scope] = commune;
        v[*household.column_index("village")] = std::string("Nà Pài");
        v[*household.column_index("members")] = std::int64_t{5};
        return v;
    }
};

proto::row_change sized(std::size_t bytes, std::uint64_t seq) {
    proto::row_change r;
    r.table = "household";
    const auto n = std::to_string(seq); // named: see store_invariants_test.cpp
    r.id = "h" + n;
    r.seq = seq;
    r.cells = {{"village", std::string(bytes, 'a'), version{}, std::nullopt}};
    return r;
}

} // namespace

TEST_F(pull_rules_test, a_row_of_a_unit_the_device_reads_sends_the_cells_of_the_entry_read) {
    auto r = row_for_puller(officer, household, "h1", state(), values("01849"), 9, false);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->cells.size(), 1u);
    EXPECT_EQ(r->cells[0].column, "members");
    EXPECT_FALSE(r->exists);
    // An answer to the pusher sends the row whole.
    auto whole = row_for_puller(officer, household, "h1", state(), values("01849"), 9, true);
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->cells.size(), household.columns.size());
    EXPECT_TRUE(whole->exists);
}

TEST_F(pull_rules_test,
       a_row_moved_to_a_unit_the_device_does_not_read_is_let_go_by_its_scope_cell) {
    auto r = row_for_puller(officer, household, "h1", state(), values("01852"), 9, false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->scope, value(std::string("01852")));
    ASSERT_EQ(r->cells.size(), 1u);
    EXPECT_EQ(r->cells[0].column, "commune_code");
    EXPECT_EQ(r->cells[0].val, value(std::string("01852")));
    EXPECT_EQ(r->cells[0].ver, (version{1000, tablet})) << "the version the move wrote";
    // Nothing at all of another unit's row with no scope cell to send; everything for the
    // province's device.
    auto bare = state();
    bare.cells[*household.scope].reset();
    EXPECT_FALSE(row_for_puller(officer, household, "h1", bare, values("01852"), 9, false));
    EXPECT_TRUE(
        row_for_puller({"p", "*", "Tỉnh"}, household, "h1", state(), values("01852"), 9, false));
}

TEST_F(pull_rules_test, a_page_ends_at_its_rows_its_bytes_or_the_entries_it_may_read) {
    proto::pull p;
    p.cursor = 40;
    p.max_rows = 2;
    pull_page page(p, 500, 1000, false);
    EXPECT_EQ(page.entries_to_read(), 3u);
    ASSERT_TRUE(page.room());
    page.pass(41);
    ASSERT_TRUE(page.room());
    EXPECT_TRUE(page.offer(sized(10, 42), 42));
    EXPECT_FALSE(page.room()) << "two entries read: the rows asked for";
    auto out = page.done();
    EXPECT_TRUE(out.more);
    EXPECT_EQ(out.cursor, 42u);
    EXPECT_EQ(out.rows.size(), 1u);

    pull_page bytes(p, 500, 1000, false);
    ASSERT_TRUE(bytes.room());
    EXPECT_TRUE(bytes.offer(sized(2000, 43), 43)) << "a row larger than the page travels alone";
    ASSERT_TRUE(bytes.room());
    EXPECT_FALSE(bytes.offer(sized(10, 44), 44));
    out = bytes.done();
    EXPECT_TRUE(out.more);
    EXPECT_EQ(out.cursor, 43u) << "the row that did not fit comes first in the next page";

    // A PULL leaving out its own pushes reads up to 8 entries a row; the server's bound holds.
    p.max_rows = 0;
    EXPECT_EQ(pull_page(p, 3, 1000, true).entries_to_read(), 25u);
    p.max_rows = 100;
    EXPECT_EQ(pull_page(p, 3, 1000, false).entries_to_read(), 4u);
}
