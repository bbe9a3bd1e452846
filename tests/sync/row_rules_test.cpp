// The rules a pushed row must meet (shared/src/row_rules.hpp), with no store: a schema, the
// server's site and a lookup of where rows moved from are all they read.
#include "row_rules.hpp"

#include <noi/sync/schema_change.hpp>

#include <gtest/gtest.h>

using namespace noi;
using proto::reject_reason;

namespace {

struct row_rules_test : ::testing::Test {
    schema tables =
        schema_of(1, {{"household", "commune_code", {{"village", "TEXT"}, {"members", "INTEGER"}}},
                      {"commune", "", {{"name", "TEXT"}}}});
    site_id server{}, tablet{};
    std::vector<std::string> moved_away_from; // what the lookup answers
    int lookups = 0;
    row_rules rules{tables, server, [this](const std::string&, const std::string&) {
                        ++lookups;
                        return moved_away_from;
                    }};
    device officer{"tab-a", "01849", "Dương Quang, máy 1"};

    row_rules_test() {
        server.fill(1);
        tablet.fill(7);
    }
    // A new household of `commune`, stamped by `by`.
    proto::row_change insert(const std::string& commune, const site_id& by) const {
        proto::row_change r;
        r.table = "household";
        r.id = "h1";
        r.scope = commune;
        const version v{1000, by};
        r.exists = proto::existence_change{true, v, std::nullopt};
        r.cells = {{"commune_code", commune, v, std::nullopt},
                   {"village", std::string("Nà Pài"), v, std::nullopt}};
        return r;
    }
    // An edit of the household's village, stamped by `by`.
    proto::row_change edit(const std::string& commune, const site_id& by) const {
        proto::row_change r;
        r.table = "household";
        r.id = "h1";
        r.scope = commune;
        r.cells = {{"village", std::string("Bản Chang"), version{2000, by}, version{1000, by}}};
        return r;
    }
    std::optional<reject_reason> check(const proto::row_change& r, const site_id& by,
                                       row_check* out = nullptr) {
        row_check c;
        auto verdict = check_row(rules, officer, by, r, c);
        if (out) *out = c;
        return verdict;
    }
};

} // namespace

TEST_F(row_rules_test, a_row_of_the_device_s_commune_passes_with_its_columns_found) {
    row_check c;
    EXPECT_EQ(check(insert("01849", tablet), tablet, &c), std::nullopt);
    ASSERT_TRUE(c.def);
    EXPECT_EQ(c.def->name, "household");
    ASSERT_EQ(c.columns.size(), 2u);
    EXPECT_EQ(c.def->columns[c.columns[1]].name, "village");
}

TEST_F(row_rules_test, what_the_schema_does_not_hold_is_refused_saying_what) {
    auto r = insert("01849", tablet);
    r.table = "khong_co";
    row_check c;
    EXPECT_EQ(check(r, tablet, &c), reject_reason::unknown_table);
    EXPECT_NE(c.why.find("khong_co"), std::string::npos);
    r = insert("01849", tablet);
    r.cells[1].column = "ghi_chu";
    EXPECT_EQ(check(r, tablet), reject_reason::unknown_column);
    r = insert("01849", tablet);
    r.cells[1].val = std::int64_t{3};
    EXPECT_EQ(check(r, tablet), reject_reason::wrong_type);
    r = insert("01849", tablet);
    r.cells.push_back(r.cells[1]);
    EXPECT_EQ(check(r, tablet), reject_reason::wrong_type) << "a column twice";
    r = insert("01849", tablet);
    r.id.clear();
    EXPECT_EQ(check(r, tablet), reject_reason::wrong_type);
}

// PostgreSQL's text holds neither: such a row would fail its whole push there, again at each
// sync (issue 31); every store refuses it alike, into quarantine with the row kept whole.
TEST_F(row_rules_test, text_that_is_not_utf8_or_holds_a_nul_is_refused_in_a_cell_and_an_id) {
    for (const std::string& bad : {std::string("Nà\0Pài", 7), std::string("N\xe0 P\xe0i"),
                                   std::string("\xc0\xaf"), std::string("\xed\xa0\x80")}) {
        auto r = insert("01849", tablet);
        r.cells[1].val = bad;
        row_check c;
        EXPECT_EQ(check(r, tablet, &c), reject_reason::wrong_type);
        EXPECT_NE(c.why.find("household.village"), std::string::npos) << c.why;
        r = insert("01849", tablet);
        r.id = bad;
        EXPECT_EQ(check(r, tablet), reject_reason::wrong_type);
    }
    auto r = insert("01849", tablet);
    r.cells[1].val = std::string("Nà Pài ươ 😀 \x7f");
    EXPECT_EQ(check(r, tablet), std::nullopt) << "any UTF-8 at all passes";
}

TEST_F(row_rules_test, a_replica_sends_only_versions_of_its_own) {
    EXPECT_EQ(check(insert("01849", server), tablet), reject_reason::foreign_version);
    EXPECT_EQ(check(edit("01849", server), tablet), reject_reason::foreign_version);
}

TEST_F(row_rules_test, only_the_server_moves_a_row_or_writes_reference_data) {
    auto moved = edit("01852", tablet);
    moved.cells = {{"commune_code", std::string("01849"), version{2000, tablet}, std::nullopt}};
    EXPECT_EQ(check(moved, tablet), reject_reason::scope_changed);
    auto by_server = moved;
    by_server.cells[0].ver.site = server;
    officer = {"admin:hoa.nguyen", "*", "noi-admin rows move"}; // who the server writes as
    EXPECT_EQ(check(by_server, server), std::nullopt);

    proto::row_change ref;
    ref.table = "commune";
    ref.id = "01849";
    ref.cells = {{"name", std::string("Xã Phong Quang"), version{3000, tablet}, std::nullopt}};
    EXPECT_EQ(check(ref, tablet), reject_reason::global_table) << "not even a province's device";
    ref.cells[0].ver.site = server;
    EXPECT_EQ(check(ref, server), std::nullopt);
}

TEST_F(row_rules_test, a_row_outside_the_device_s_units_is_refused_unless_it_moved_away_from_them) {
    auto no_scope = insert("", tablet);
    EXPECT_EQ(check(no_scope, tablet), reject_reason::missing_scope);
    auto bare = insert("01849", tablet);
    bare.cells.erase(bare.cells.begin());
    EXPECT_EQ(check(bare, tablet), reject_reason::missing_scope) << "an insert names its commune";

    EXPECT_EQ(check(insert("01852", tablet), tablet), reject_reason::out_of_scope);
    EXPECT_EQ(lookups, 0) << "an insert is never an edit of a moved row";
    EXPECT_EQ(check(edit("01852", tablet), tablet), reject_reason::out_of_scope);
    EXPECT_EQ(lookups, 1);
    // The household moved from 01849 to 01852 before the tablet heard: its edit is taken.
    moved_away_from = {"01849"};
    EXPECT_EQ(check(edit("01852", tablet), tablet), std::nullopt);
    EXPECT_EQ(check(insert("01852", tablet), tablet), reject_reason::out_of_scope);

    officer.held_units = {"01852"}; // moved there itself, its tablet not told yet
    moved_away_from.clear();
    EXPECT_EQ(check(insert("01852", tablet), tablet), std::nullopt);
}
