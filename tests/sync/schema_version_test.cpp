// Schema versions (issue 17): what a new version may change, the server publishing one, and
// tablets of older versions following it without losing a row, through whole sync rounds.
#include "loopback.hpp"
#include "replica_query.hpp"
#include "temp_dir.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/sqlite_store.hpp>

#include <gtest/gtest.h>

using namespace noi;
using noi::test::count;
using noi::test::text;
using sim::sync_once;

namespace {

// The server's current tables plus `add`, as version `version`.
schema extended(const schema& current, std::uint32_t version,
                std::vector<proto::table_spec> add = {},
                std::vector<std::pair<std::string, proto::column_spec>> columns = {}) {
    auto specs = specs_of(current);
    for (auto& [table, c] : columns)
        for (auto& t : specs)
            if (t.name == table) t.columns.push_back(c);
    for (auto& t : add)
        specs.push_back(t);
    return schema_of(version, specs);
}

const proto::table_spec border_patrol{
    "border_patrol", "commune_code", {{"route", "TEXT"}, {"patrolled_on", "TEXT"}}};
const proto::table_spec patrol_kind{"patrol_kind", "", {{"label", "TEXT"}}};

// Version 2's labels: the new table and column, and a default column's label changed.
schema_labels patrol_labels() {
    return schema_labels(
        {{"border_patrol", std::nullopt, std::nullopt, "Tuần tra biên giới", "Border patrol"},
         {"border_patrol", "route", std::nullopt, "Tuyến tuần tra", "Route", "Tên tuyến và mốc",
          "The route and its marker"},
         {"militia_member", "phone", std::nullopt, "Số điện thoại", "Phone"},
         {"militia_member", "force_type", "co_dong", "Cơ động", "Mobile"}});
}

std::string refusal(const std::function<void()>& f) {
    try {
        f();
    } catch (const sync_error& e) {
        EXPECT_EQ(e.code(), errc::schema);
        return e.what();
    }
    return "<accepted>";
}

struct schema_versions : ::testing::Test {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    std::unique_ptr<sqlite_store> server =
        sqlite_store::create(dir.file("server.db"), wall, {1}, {}, {"06", {}});
    device dev_a{"tab-a", "01849", "Xã A, máy 1"}, dev_a2{"tab-a2", "01849", "Xã A, máy 2"};
    std::unique_ptr<tablet> a = tablet::create(dir.file("a.db"), wall, {2});
    std::unique_ptr<tablet> a2 = tablet::create(dir.file("a2.db"), wall, {3});

    void SetUp() override {
        server->add_device(dev_a);
        server->add_device(dev_a2);
    }

    sim::round_result sync(tablet& t, const device& d, bool expect_done = true) {
        wall.advance(1000);
        auto r = sync_once(t, *server, d);
        if (expect_done) {
            EXPECT_TRUE(r.done) << (r.error ? r.error->message : "cut");
        }
        return r;
    }

    // Version 2 adds militia_member.phone and border_patrol; version 3 the global patrol_kind.
    void publish_2() {
        server->apply_schema(extended(server->current_schema(), 2, {border_patrol},
                                      {{"militia_member", {"phone", "TEXT"}}}),
                             "admin", patrol_labels());
    }
    void publish_3() {
        server->apply_schema(extended(server->current_schema(), 3, {patrol_kind}), "admin", {});
    }
};

} // namespace

TEST(schema_change, a_new_tables_names_types_and_scope_are_checked) {
    EXPECT_NE(refusal([] {
                  schema_of(2, {{"Bad-Name", "", {}}});
              }).find("Bad-Name"),
              std::string::npos);
    EXPECT_NE(refusal([] { schema_of(2, {{"noi_x", "", {}}}); }).find("noi_"), std::string::npos);
    EXPECT_NE(refusal([] {
                  schema_of(2, {{"t", "district", {}}});
              }).find("commune_code"),
              std::string::npos);
    EXPECT_NE(refusal([] {
                  schema_of(2, {{"t", "", {{"x", "VARCHAR"}}}});
              }).find("VARCHAR"),
              std::string::npos);
    EXPECT_NE(refusal([] {
                  schema_of(2, {{"t", "", {{"id", "TEXT"}}}});
              }).find("id"),
              std::string::npos);
    EXPECT_NE(refusal([] {
                  schema_of(2, {{"t", "", {{"x", "TEXT"}, {"x", "TEXT"}}}});
              }).find("twice"),
              std::string::npos);
    // A scoped table that does not list its scope column gets it, as TEXT, first.
    auto s = schema_of(2, {{"t", "commune_code", {{"x", "INTEGER"}}}});
    ASSERT_EQ(s.tables.size(), 1u);
    ASSERT_EQ(s.tables[0].columns.size(), 2u);
    EXPECT_EQ(s.tables[0].columns[0].name, "commune_code");
    EXPECT_EQ(s.tables[0].scope, 0u);
    // Date columns keep their rule (dates.hpp) in a new table too.
    EXPECT_TRUE(schema_of(2, {border_patrol}).tables[0].columns[2].date);
}

TEST_F(schema_versions, only_additive_changes_are_published_and_a_refusal_changes_nothing) {
    const auto& v1 = server->current_schema();
    auto specs = specs_of(v1);
    auto without = [&](const std::string& table) {
        auto s = specs;
        std::erase_if(s, [&](const auto& t) { return t.name == table; });
        return schema_of(2, s);
    };
    auto changed = [&](auto edit) {
        auto s = specs;
        edit(s);
        return schema_of(2, s);
    };
    auto find = [](std::vector<proto::table_spec>& s, const std::string& n) -> proto::table_spec& {
        return *std::find_if(s.begin(), s.end(), [&](const auto& t) { return t.name == n; });
    };
    const std::vector<std::pair<schema, std::string>> refused = {
        {without("incident"), "table incident is missing"},
        {changed([&](auto& s) { find(s, "incident").columns.pop_back(); }), "is never dropped"},
        {changed([&](auto& s) { find(s, "household").columns.back().type = "BLOB"; }),
         "change type"},
        {changed([&](auto& s) {
             auto& t = find(s, "incident");
             t.scope.clear();
             std::erase_if(t.columns, [](const auto& c) { return c.name == "commune_code"; });
         }),
         "is missing"},
        {changed([&](auto& s) { find(s, "commune").scope = "commune_code"; }), "scope"},
        {extended(v1, 3, {border_patrol}), "must be version 2"},
    };
    for (const auto& [next, words] : refused) {
        auto why = refusal([&] { server->apply_schema(next, "admin", {}); });
        EXPECT_NE(why.find(words), std::string::npos) << why;
        EXPECT_EQ(server->schema_version(), 1);
        EXPECT_TRUE(server->schema_history().empty());
        EXPECT_EQ(server->find_table("border_patrol"), nullptr);
    }

    publish_2();
    EXPECT_EQ(server->schema_version(), 2);
    ASSERT_NE(server->find_table("border_patrol"), nullptr);
    EXPECT_TRUE(server->find_table("militia_member")->column_index("phone").has_value());
    auto history = server->schema_history();
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].version, 2u);
    EXPECT_EQ(history[0].applied_by, "admin");
    EXPECT_EQ(history[0].changes,
              "column militia_member.phone TEXT; table border_patrol; 4 labels");

    // A reopened server holds the version and its tables.
    server.reset();
    server = sqlite_store::open(dir.file("server.db"), wall, {9});
    EXPECT_EQ(server->schema_version(), 2);
    EXPECT_NE(server->find_table("border_patrol"), nullptr);
    EXPECT_EQ(server->schema_history().size(), 1u);
}

TEST_F(schema_versions, an_old_tablet_with_offline_writes_follows_the_server_to_versions_2_and_3) {
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    // Tablet a stays at version 1 and keeps writing offline while the server moves on.
    a->exec("INSERT INTO militia_member(id, commune_code, full_name) VALUES ('m1', '01849', "
            "'Lục Văn Thắng')");
    publish_2();
    sync(*a2, dev_a2);
    EXPECT_EQ(a2->schema_version(), 2u);
    a2->exec("INSERT INTO border_patrol(id, commune_code, route, patrolled_on) VALUES ('bp1', "
             "'01849', 'Mốc 117 – Lũng Rầy', '2026-11-30')");
    sync(*a2, dev_a2);
    publish_3();
    a->exec("UPDATE militia_member SET unit = 'Tiểu đội 2' WHERE id = 'm1'");
    EXPECT_EQ(a->schema_version(), 1u);
    EXPECT_EQ(a->status().pending, 2u);

    std::vector<std::pair<std::uint32_t, std::uint32_t>> told;
    a->set_schema_listener([&](std::uint32_t from, std::uint32_t to) {
        told.push_back({from, to});
    });
    sync(*a, dev_a);
    EXPECT_EQ(a->schema_version(), 3u);
    EXPECT_EQ(told, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 3}}));
    EXPECT_EQ(a->status().pending, 0u);
    EXPECT_EQ(text(*a, "SELECT route FROM border_patrol WHERE id = 'bp1'"), "Mốc 117 – Lũng Rầy");
    EXPECT_EQ(count(*a, "SELECT count(*) FROM patrol_kind"), 0);

    // The pending writes went up; the new column is captured on the migrated tablet.
    a->exec("UPDATE militia_member SET phone = '0912 345 678' WHERE id = 'm1'");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    EXPECT_EQ(text(*a2, "SELECT unit FROM militia_member WHERE id = 'm1'"), "Tiểu đội 2");
    EXPECT_EQ(text(*a2, "SELECT phone FROM militia_member WHERE id = 'm1'"), "0912 345 678");
    EXPECT_EQ(a2->schema_version(), 3u);
    EXPECT_TRUE(server->conflicts().empty());
}

TEST_F(schema_versions, labels_are_published_with_a_version_and_a_tablet_behind_takes_them) {
    sync(*a, dev_a);
    // Before any version: the library's labels of the default tables, on both sides.
    const auto before = a->labels();
    const auto* force = before.value("militia_member", "force_type", "co_dong");
    ASSERT_TRUE(force);
    EXPECT_EQ(force->vi, "Dân quân cơ động");
    EXPECT_EQ(server->current_labels().entries(), default_labels().entries());
    publish_2();
    EXPECT_EQ(server->schema_history().back().changes,
              "column militia_member.phone TEXT; table border_patrol; 4 labels");
    auto held = server->current_labels();
    EXPECT_EQ(held.value("militia_member", "force_type", "co_dong")->vi, "Cơ động");
    EXPECT_EQ(held.column_text("border_patrol", "route", language::vi), "Tuyến tuần tra");
    EXPECT_EQ(held.table_text("household", language::en), "Household") << "defaults kept";

    sync(*a, dev_a);
    auto labels = a->labels();
    EXPECT_EQ(labels.entries(), held.entries());
    EXPECT_EQ(description_in(*labels.column("border_patrol", "route"), language::en),
              "The route and its marker");
    EXPECT_EQ(labels.value_text("household", "is_safe", value(std::int64_t{1}), language::vi),
              "Có");
    EXPECT_FALSE(labels.value_text("household", "members", value(std::int64_t{1}), language::vi));

    // Version 3 carries no labels: every label stays, on the server and on a tablet after it.
    publish_3();
    EXPECT_EQ(server->current_labels().entries(), held.entries());
    sync(*a, dev_a);
    EXPECT_EQ(a->schema_version(), 3u);
    EXPECT_EQ(a->labels().entries(), held.entries());
    EXPECT_EQ(a->labels().column_text("patrol_kind", "label", language::vi), "label")
        << "a column without a label reads as its name";
}

TEST_F(schema_versions, a_tablet_whose_cursor_passed_rows_it_could_not_place_pulls_them_again) {
    sync(*a, dev_a);
    publish_2();
    sync(*a2, dev_a2);
    a2->exec("INSERT INTO border_patrol(id, commune_code, route) VALUES ('bp1', '01849', 'Mốc "
             "118')");
    a2->exec("INSERT INTO militia_member(id, commune_code, full_name, phone) VALUES ('m2', "
             "'01849', 'Nông Thị Hoa', '0987')");
    sync(*a2, dev_a2);
    // A release before schema versions skipped these rows and moved its cursor past them.
    a->rep().db().exec("UPDATE noi_meta SET value = " + std::to_string(server->server_seq()) +
                       " WHERE key = 'cursor'");
    sync(*a, dev_a);
    EXPECT_EQ(text(*a, "SELECT route FROM border_patrol WHERE id = 'bp1'"), "Mốc 118");
    EXPECT_EQ(text(*a, "SELECT phone FROM militia_member WHERE id = 'm2'"), "0987");
}

TEST_F(schema_versions, a_pulled_row_of_an_unknown_table_is_never_passed_by_the_cursor) {
    sync(*a, dev_a);
    const auto cursor = a->cursor();
    proto::row_change r;
    r.table = "border_patrol";
    r.id = "bp9";
    r.scope = std::string("01849");
    r.seq = cursor + 1;
    r.exists =
        proto::existence_change{true, {hlc_from_ms(wall.now_ms()), server->rep().site()}, {}};
    r.cells = {{"commune_code", std::string("01849"), r.exists->ver, {}},
               {"route", std::string("Mốc 119"), r.exists->ver, {}}};
    const proto::changes batch{{r}, cursor + 1, false};
    auto why = refusal([&] { a->apply_changes(batch); });
    EXPECT_NE(why.find("border_patrol"), std::string::npos) << why;
    EXPECT_EQ(a->cursor(), cursor);

    // A cell of a column the replica lacks waits the same way.
    auto cell = r;
    cell.table = "militia_member";
    cell.cells[1].column = "phone";
    why = refusal([&] { a->apply_changes({{cell}, cursor + 1, false}); });
    EXPECT_NE(why.find("militia_member.phone"), std::string::npos) << why;
    EXPECT_EQ(a->cursor(), cursor);
    EXPECT_EQ(count(*a, "SELECT count(*) FROM militia_member"), 0);

    // Once the replica holds the schema, the same batch lands.
    a->rep().adopt_schema(
        extended(a->rep().tables(), 2, {border_patrol}, {{"militia_member", {"phone", "TEXT"}}}));
    a->apply_changes(batch);
    EXPECT_EQ(text(*a, "SELECT route FROM border_patrol WHERE id = 'bp9'"), "Mốc 119");
    EXPECT_EQ(a->cursor(), cursor + 1);
}

TEST_F(schema_versions, a_server_behind_its_tablet_refuses_it_and_the_tablet_keeps_everything) {
    publish_2();
    sync(*a, dev_a);
    a->exec("INSERT INTO border_patrol(id, commune_code, route) VALUES ('bp1', '01849', 'Mốc 1')");
    a->exec("INSERT INTO militia_member(id, commune_code, full_name) VALUES ('m1', '01849', 'An')");
    // The server is restored from a backup taken before version 2.
    server.reset();
    server = sqlite_store::create(dir.file("old-server.db"), wall, {7}, {}, {"06", {}});
    server->add_device(dev_a);
    auto r = sync(*a, dev_a, false);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->code, proto::error_code::schema_ahead);
    EXPECT_EQ(r.error->cond, proto::condition::permanent);
    EXPECT_NE(r.error->message.find("noi-admin schema apply"), std::string::npos);
    EXPECT_EQ(a->status().pending, 2u);
    EXPECT_EQ(a->status().rejected, 0u);
    EXPECT_EQ(count(*a, "SELECT count(*) FROM border_patrol"), 1);

    // Re-applying the schema lets it through with nothing lost.
    publish_2();
    sync(*a, dev_a);
    EXPECT_EQ(a->status().pending, 0u);
    EXPECT_TRUE(server->read_row("border_patrol", "bp1").has_value());
    EXPECT_TRUE(server->read_row("militia_member", "m1").has_value());
}

TEST_F(schema_versions, a_welcome_that_rolls_back_leaves_the_replica_at_its_version) {
    sync(*a, dev_a);
    publish_2();
    struct crash {};
    a->rep().set_fault_hook([](std::string_view point) {
        if (point == "tablet.welcome.before_commit") throw crash{};
    });
    EXPECT_THROW(sync_once(*a, *server, dev_a), crash);
    EXPECT_EQ(a->schema_version(), 1u);
    EXPECT_EQ(a->rep().tables().version, 1u);
    EXPECT_EQ(a->rep().tables().find("border_patrol"), nullptr);
    a->rep().set_fault_hook(nullptr);
    server->release(a->rep().site());
    sync(*a, dev_a);
    EXPECT_EQ(a->schema_version(), 2u);
    ASSERT_NE(a->rep().tables().find("border_patrol"), nullptr);
    a->exec("INSERT INTO border_patrol(id, commune_code, route) VALUES ('bp1', '01849', 'Mốc 2')");
    sync(*a, dev_a);
    EXPECT_TRUE(server->read_row("border_patrol", "bp1").has_value());
}

// A row the tablet held before a column was added has no digest for it: an edit of another of
// its cells must not send the new column as changed (NULL, beating a colleague's value).
TEST_F(schema_versions, an_edit_of_a_row_held_before_a_new_column_leaves_that_column_alone) {
    a->exec("INSERT INTO militia_member(id, commune_code, full_name) VALUES ('m1', '01849', "
            "'Hà Văn Pao')");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    publish_2();
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a2->exec("UPDATE militia_member SET phone = '0911' WHERE id = 'm1'");
    sync(*a2, dev_a2);
    a->exec("UPDATE militia_member SET unit = 'Tiểu đội 1' WHERE id = 'm1'");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    for (auto* t : {a.get(), a2.get()}) {
        EXPECT_EQ(text(*t, "SELECT phone FROM militia_member WHERE id = 'm1'"), "0911");
        EXPECT_EQ(text(*t, "SELECT unit FROM militia_member WHERE id = 'm1'"), "Tiểu đội 1");
    }
    EXPECT_TRUE(server->conflicts().empty());
}

// A client made with no tables at all (a third party's first run) is sent the whole schema.
TEST_F(schema_versions, a_replica_with_no_schema_yet_takes_the_servers_and_its_rows) {
    publish_2();
    auto bare = std::make_unique<tablet>(
        replica::create(dir.file("bare.db"), replica_role::tablet, wall, {11}));
    EXPECT_EQ(bare->schema_version(), 0u);
    sync(*bare, dev_a);
    EXPECT_EQ(bare->schema_version(), 2u);
    EXPECT_EQ(bare->rep().tables().tables.size(), server->current_schema().tables.size());
    EXPECT_EQ(count(*bare, "SELECT count(*) FROM commune"), 108);
    bare->exec("INSERT INTO border_patrol(id, commune_code, route) VALUES ('bp1', '01849', 'x')");
    sync(*bare, dev_a);
    EXPECT_TRUE(server->read_row("border_patrol", "bp1").has_value());
}
