// The map of a province and its changes (docs/design.md §11): the country's units built in, a
// server made on the map of its day, merges with tablets offline across them, and a device
// moved to another commune, through whole sync rounds in one process.
#include "loopback.hpp"
#include "replica_query.hpp"
#include "temp_dir.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/national_map.hpp>
#include <noi/sync/sqlite_store.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

using namespace noi;
using noi::test::count;
using noi::test::text;
using sim::sync_once;

namespace {

std::string refusal_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const sync_error& e) {
        EXPECT_EQ(e.code(), errc::refused);
        return e.what();
    }
    return "";
}

} // namespace

TEST(national_map, holds_the_country_before_and_after_the_reform) {
    const auto& m = national_map::shipped();
    EXPECT_EQ(m.before().size(), 10047u);
    EXPECT_EQ(m.after().size(), 3321u);
    const auto bac_kan = m.province_units("06", "2025-06-30");
    ASSERT_EQ(bac_kan.size(), 108u);
    EXPECT_EQ(bac_kan.front()->code, "01834");
    EXPECT_EQ(bac_kan.front()->district, "Thành Phố Bắc Kạn");
    EXPECT_TRUE(m.province_units("06", "2025-07-01").empty());
    const auto thai_nguyen = m.province_units("19", "2026-12-06");
    ASSERT_EQ(thai_nguyen.size(), 92u);
    EXPECT_TRUE(thai_nguyen.front()->district.empty());
    const auto* duc_xuan = m.unit("01840", "2025-07-01");
    ASSERT_NE(duc_xuan, nullptr);
    EXPECT_EQ(duc_xuan->name, "Phường Đức Xuân");
    ASSERT_EQ(duc_xuan->merged_from.size(), 3u);
    EXPECT_EQ(m.unit("01840", "2025-06-30")->name, "Phường Đức Xuân"); // the old one, same code
    EXPECT_EQ(m.unit("01834", "2025-06-30")->name, "Phường Nguyễn Thị Minh Khai");
    EXPECT_EQ(m.unit("01834", "2025-07-01"), nullptr);
}

TEST(national_map, says_where_a_unit_or_a_province_went) {
    const auto& m = national_map::shipped();
    const auto unit = m.unit_refusal("01834", "2026-01-01");
    EXPECT_NE(unit.find("went into 01840 Phường Đức Xuân"), std::string::npos) << unit;
    EXPECT_NE(unit.find("use 01840"), std::string::npos) << unit;
    const auto province = m.province_refusal("06", "2026-01-01");
    EXPECT_NE(province.find("19 Tỉnh Thái Nguyên"), std::string::npos) << province;
    EXPECT_NE(province.find("--province 19"), std::string::npos) << province;
    // An old unit divided between new ones names each of them.
    const auto split = m.unit_refusal("00016", "2026-01-01");
    EXPECT_NE(split.find("divided between"), std::string::npos) << split;
    EXPECT_NE(m.unit_refusal("09999", "2026-01-01").find("check the 5-digit code"),
              std::string::npos);
}

TEST(new_server, starts_on_the_map_of_its_day) {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    auto today = sqlite_store::create(dir.file("today.db"), wall, {1}, {}, {"19", "2026-12-06"});
    const auto units = today->units();
    ASSERT_EQ(units.size(), 92u);
    EXPECT_TRUE(units.front().district.empty());
    EXPECT_EQ(units.front().valid_from, "2025-07-01");
    ASSERT_TRUE(today->read_row("commune", "01840"));
    EXPECT_EQ((*today->read_row("commune", "01840"))["name"],
              value(std::string("Phường Đức Xuân")));
    auto before = sqlite_store::create(dir.file("before.db"), wall, {2}, {}, {"06", "2024-01-01"});
    EXPECT_EQ(before->units().size(), 108u);
    EXPECT_EQ(before->units().front().district_code, "058");
}

TEST(new_server, refuses_a_province_that_went_into_another_and_makes_no_file) {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    const auto why = refusal_of([&] {
        sqlite_store::create(dir.file("gone.db"), wall, {1}, {}, {"06", "2026-12-06"});
    });
    EXPECT_NE(why.find("went into 19 Tỉnh Thái Nguyên"), std::string::npos) << why;
    EXPECT_FALSE(std::filesystem::exists(dir.file("gone.db")));
    EXPECT_NE(refusal_of([&] {
                  sqlite_store::create(dir.file("bad.db"), wall, {1}, {}, {"19", "1/7/2025"});
              }).find("YYYY-MM-DD"),
              std::string::npos);
}

namespace {

// Bắc Kạn before the reform: 01834, 01840 and 01846 become Phường Đức Xuân (new 01840) on
// 1 July 2025; 01849 Dương Quang is another commune.
struct map_fixture : ::testing::Test {
    test::temp_dir dir;
    manual_clock wall{1'735'000'000'000}; // December 2024
    std::unique_ptr<sqlite_store> server =
        sqlite_store::create(dir.file("server.db"), wall, {1}, {}, {"06", {}});
    std::unique_ptr<tablet> a = tablet::create(dir.file("a.db"), wall, {2});
    std::unique_ptr<tablet> b = tablet::create(dir.file("b.db"), wall, {3});
    std::unique_ptr<tablet> c = tablet::create(dir.file("c.db"), wall, {4});
    std::unique_ptr<tablet> x = tablet::create(dir.file("x.db"), wall, {5});
    std::unique_ptr<tablet> x2 = tablet::create(dir.file("x2.db"), wall, {6});

    void SetUp() override {
        server->add_device({"tab-a", "01834", "Minh Khai"});
        server->add_device({"tab-b", "01840", "Đức Xuân"});
        server->add_device({"tab-c", "01846", "Xuất Hóa"});
        server->add_device({"tab-x", "01849", "Dương Quang"});
        server->add_device({"tab-x2", "01849", "Dương Quang, máy 2"});
    }

    sim::round_result sync(tablet& t, const std::string& device_id) {
        wall.advance(1000);
        auto r = sync_once(t, *server, *server->find_device(device_id));
        EXPECT_TRUE(r.done) << (r.error ? r.error->message : "cut");
        return r;
    }

    void write(tablet& t, const std::string& id, const std::string& unit, const std::string& name) {
        t.exec("INSERT INTO militia_member(id, commune_code, full_name) VALUES ('" + id + "', '" +
               unit + "', '" + name + "')");
    }

    map_impact merge(bool dry_run) {
        map_change_request ch;
        ch.effective = "2025-07-01";
        ch.basis = "Nghị quyết 1683/NQ-UBTVQH15";
        ch.groups = {{{"01834", "01840", "01846"}, "01840", "", ""}};
        auto group = server->begin();
        auto m = server->change_map(ch, "hoa.nguyen", dry_run);
        group->commit();
        return m;
    }

    std::int64_t server_rows(const std::string& where) {
        auto st = server->rep().db().prepare("SELECT count(*) FROM militia_member WHERE " + where);
        st.step();
        return st.column_int(0);
    }

    std::int64_t rows(tablet& t) { return count(t, "SELECT count(*) FROM militia_member"); }

    // Each of the three old communes has rows on the server and its tablet.
    void start() {
        write(*a, "a1", "01834", "Hoàng Văn A");
        write(*b, "b1", "01840", "Nông Thị B");
        write(*b, "b2", "01840", "Lục Văn B");
        write(*c, "c1", "01846", "Triệu Thị C");
        write(*x, "x1", "01849", "Ma Văn X");
        for (auto [t, id] : {std::pair{a.get(), "tab-a"},
                             {b.get(), "tab-b"},
                             {c.get(), "tab-c"},
                             {x.get(), "tab-x"}})
            sync(*t, id);
    }
};

} // namespace

TEST_F(map_fixture, a_dry_run_changes_nothing_and_says_what_would_move) {
    start();
    const auto seq = server->server_seq();
    const auto m = merge(true);
    EXPECT_EQ(m.change_id, 0u);
    ASSERT_EQ(m.units.size(), 1u);
    EXPECT_EQ(m.units[0].id, "01840@2025-07-01"); // 01840 named the old Đức Xuân already
    EXPECT_EQ(m.units[0].name, "Phường Đức Xuân");
    EXPECT_EQ(m.rows_per_table.at("militia_member"), 4u);
    ASSERT_EQ(m.devices.size(), 3u);
    for (const auto& d : m.devices) {
        EXPECT_EQ(d.to_scope, "01840@2025-07-01");
        // Each downloads the rows of the other two units, its own none.
        EXPECT_EQ(d.rows_to_download, d.from_scope == "01840" ? 2u : 3u) << d.device_id;
        EXPECT_GT(d.bytes_to_download, 0u);
    }
    EXPECT_EQ(server->server_seq(), seq);
    EXPECT_TRUE(server->map_changes().empty());
    EXPECT_EQ(server->find_device("tab-a")->scope, "01834");
    EXPECT_EQ(server->units().size(), 108u);
}

TEST_F(map_fixture, tablets_offline_across_a_merge_lose_nothing_and_take_their_neighbours_rows) {
    start();
    // Tablet a is offline across the change and keeps writing under its old code.
    write(*a, "a2", "01834", "Hoàng Văn Hai");
    a->exec("UPDATE militia_member SET full_name = 'Hoàng Văn Một' WHERE id = 'a1'");
    const auto m = merge(false);
    EXPECT_GT(m.change_id, 0u);
    const auto merged = "01840@2025-07-01";
    EXPECT_EQ(server->find_device("tab-a")->scope, merged);

    const auto r = sync(*a, "tab-a");
    EXPECT_EQ(r.stats.rejected, 0u);
    EXPECT_TRUE(server->quarantine().empty());
    EXPECT_TRUE(server->conflicts().empty());
    EXPECT_EQ(a->status().scope, merged);
    // Its own rows stay as they were written; the other two units' came to it.
    EXPECT_EQ(rows(*a), 5);
    EXPECT_EQ(text(*a, "SELECT full_name FROM militia_member WHERE id = 'a1'"), "Hoàng Văn Một");
    EXPECT_EQ(server_rows("id = 'a2' AND commune_code = '01834'"), 1);

    sync(*b, "tab-b");
    sync(*c, "tab-c");
    for (auto* t : {a.get(), b.get(), c.get()}) {
        EXPECT_EQ(rows(*t), server_rows("commune_code IN ('01834', '01840', '01846')"));
        EXPECT_EQ(text(*t, "SELECT full_name FROM militia_member WHERE id = 'a2'"),
                  "Hoàng Văn Hai");
    }
    // The merged tablets write rows of any of the units, and of the new one.
    write(*b, "b3", merged, "Hà Thị Mới");
    write(*c, "c2", "01846", "Triệu Văn Cũ");
    EXPECT_EQ(sync(*b, "tab-b").stats.rejected, 0u);
    EXPECT_EQ(sync(*c, "tab-c").stats.rejected, 0u);
    sync(*a, "tab-a");
    EXPECT_EQ(rows(*a), 7);
    // A tablet of an unrelated commune saw none of it.
    sync(*x, "tab-x");
    EXPECT_EQ(rows(*x), 1);
    EXPECT_EQ(count(*x, "SELECT count(*) FROM militia_member WHERE commune_code <> '01849'"), 0);
    // The lineage is recorded, with who and why; old and new units both stay.
    const auto changes = server->map_changes();
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].account, "hoa.nguyen");
    EXPECT_EQ(changes[0].basis, "Nghị quyết 1683/NQ-UBTVQH15");
    EXPECT_EQ(server->lineage().size(), 3u);
    EXPECT_EQ(server->units().size(), 109u);
    EXPECT_EQ(count(*x, "SELECT count(*) FROM commune WHERE id = '01840@2025-07-01'"), 1);
}

TEST_F(map_fixture, an_absorbed_code_names_the_unit_it_went_into) {
    merge(false);
    std::string why;
    EXPECT_FALSE(server->unit_on("01834", "2025-07-02", why));
    EXPECT_NE(why.find("went into 01840 Phường Đức Xuân"), std::string::npos) << why;
    EXPECT_TRUE(server->unit_on("01834", "2025-06-30", why));
    const auto today = server->unit_on("01840", "2025-07-02", why);
    ASSERT_TRUE(today);
    EXPECT_EQ(today->id, "01840@2025-07-01");
    // A unit already merged cannot go in again; another that stays cannot lend its code.
    EXPECT_NE(refusal_of([&] { merge(false); }).find("went into"), std::string::npos);
    map_change_request steal;
    steal.effective = "2025-08-01";
    steal.groups = {{{"01852"}, "01849", "", ""}};
    EXPECT_NE(refusal_of([&] { server->change_map(steal, "hoa", true); }).find("stays as it is"),
              std::string::npos);
}

TEST_F(map_fixture, a_moved_device_sends_what_it_wrote_for_its_old_commune_then_holds_the_new) {
    start();
    sync(*x2, "tab-x2");
    write(*x, "x2", "01849", "Viết trước khi biết");
    const auto before = server->move_device("tab-x", "01840");
    EXPECT_EQ(before.scope, "01849");
    EXPECT_EQ(server->find_device("tab-x")->held_scope, "01849");

    EXPECT_EQ(sync(*x, "tab-x").stats.rejected, 0u);
    EXPECT_EQ(server_rows("id = 'x2' AND commune_code = '01849'"), 1);
    // The old commune's rows left the tablet; the new commune's came.
    EXPECT_EQ(count(*x, "SELECT count(*) FROM militia_member WHERE commune_code = '01849'"), 0);
    EXPECT_EQ(rows(*x), server_rows("commune_code = '01840'"));
    EXPECT_EQ(x->status().scope, "01840");
    // Its next HELLO says it learned the move: it may no longer write for 01849.
    sync(*x, "tab-x");
    EXPECT_EQ(server->find_device("tab-x")->held_scope, "");
    EXPECT_ANY_THROW(write(*x, "x3", "01849", "Không được"));
    // The other tablet of 01849 has what the moved one wrote before it knew.
    sync(*x2, "tab-x2");
    EXPECT_EQ(text(*x2, "SELECT full_name FROM militia_member WHERE id = 'x2'"),
              "Viết trước khi biết");
    EXPECT_NE(
        refusal_of([&] { server->move_device("tab-x", "09999"); }).find("check the 5-digit code"),
        std::string::npos);
}

TEST_F(map_fixture,
       a_moved_record_reaches_its_new_commune_whole_and_leaves_the_old_after_its_edit) {
    start();
    server->add_device({"tab-y", "01852", "Nông Thượng"});
    auto y = tablet::create(dir.file("y.db"), wall, {7});
    sync(*x2, "tab-x2");
    sync(*y, "tab-y");
    // Both tablets of 01849 edit the household's member before they hear it moved.
    x->exec("UPDATE militia_member SET full_name = 'Sửa trước khi biết' WHERE id = 'x1'");
    x2->exec("UPDATE militia_member SET village = 'Nà Pài' WHERE id = 'x1'");

    const auto dry = server->move_rows("militia_member", {"x1"}, "", {}, "01852", "hoa", true);
    ASSERT_EQ(dry.moved.size(), 1u);
    EXPECT_EQ(dry.moved[0], (std::pair<std::string, std::string>{"x1", "01849"}));
    EXPECT_EQ(server_rows("id = 'x1' AND commune_code = '01849'"), 1) << "a dry run moves nothing";
    {
        auto group = server->begin();
        EXPECT_EQ(
            server->move_rows("militia_member", {"x1"}, "", {}, "01852", "hoa", false).to_unit,
            "01852");
        group->commit();
    }
    // One tablet pulls before it pushes: its edit waits, then goes, then the row leaves it.
    client_options pull_first;
    pull_first.pull_only = true;
    EXPECT_TRUE(sync_once(*x2, *server, *server->find_device("tab-x2"), pull_first).done);
    EXPECT_EQ(count(*x2, "SELECT count(*) FROM militia_member WHERE id = 'x1'"), 1);
    for (auto [t, id] : {std::pair{x.get(), "tab-x"}, {x2.get(), "tab-x2"}})
        EXPECT_EQ(sync(*t, id).stats.rejected, 0u) << id;
    EXPECT_TRUE(server->quarantine().empty());
    EXPECT_EQ(server_rows("id = 'x1' AND commune_code = '01852' AND full_name = 'Sửa trước khi "
                          "biết' AND village = 'Nà Pài'"),
              1);
    for (auto* t : {x.get(), x2.get()}) {
        sync(*t, t == x.get() ? "tab-x" : "tab-x2");
        EXPECT_EQ(count(*t, "SELECT count(*) FROM militia_member WHERE id = 'x1'"), 0);
        EXPECT_EQ(count(*t, "SELECT count(*) FROM noi_departed"), 0);
    }
    // The new commune's tablet has it whole, with both edits, and edits it.
    sync(*y, "tab-y");
    EXPECT_EQ(text(*y, "SELECT full_name || ' / ' || village FROM militia_member WHERE id = 'x1'"),
              "Sửa trước khi biết / Nà Pài");
    y->exec("UPDATE militia_member SET status = 'active' WHERE id = 'x1'");
    EXPECT_EQ(sync(*y, "tab-y").stats.rejected, 0u);
    // Its history shows the change of commune and who made it.
    const auto history = server->audit("militia_member", "x1");
    EXPECT_TRUE(std::any_of(history.begin(), history.end(),
                            [](const auto& a) { return a.device_id == "admin:hoa"; }));
    EXPECT_NE(refusal_of([&] {
                  server->move_rows("militia_member", {"nope"}, "", {}, "01852", "hoa", true);
              }).find("no live row"),
              std::string::npos);
}
