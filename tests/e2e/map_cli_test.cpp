// Issue 29 as a province office meets it: a server on the map of its day, an old province taken
// across the 2025 reform from the shipped lineage file with a tablet offline, dry runs that
// change nothing, a device moved with a write pending, and the report in both geographies. Real
// noi-server, noi-admin and noi-client processes over HTTP on 127.0.0.1.
#include "server_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace noi;
using json = nlohmann::json;

namespace {

const std::string lineage_file =
    std::string(NOI_SOURCE_DIR) + "/shared/data/vietnam-2025-07-lineage.csv";

// A server made before the reform, on Bắc Kạn's map.
struct old_province : test::server_process {
    void SetUp() override {
        auto r = init_server({"--province", "06", "--as-of", "2025-06-30"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        admin_token = r.out.substr(0, r.out.find('\n'));
        start_server();
    }
    void write(const std::string& db, const std::string& id, const std::string& unit) {
        exec(db, "INSERT INTO militia_member(id, commune_code, full_name) VALUES ('" + id + "', '" +
                     unit + "', 'Hoàng Văn " + id + "')");
    }
    std::int64_t rows(const std::string& db) {
        auto j = parsed(
            client({"query", "--db", db, "SELECT count(*) AS n FROM militia_member", "--json"}));
        return j.empty() ? -1 : j[0]["n"].get<std::int64_t>();
    }
};

using today = test::server_process;

} // namespace

TEST_F(today, init_refuses_a_province_that_went_into_another_and_a_code_that_went_into_a_unit) {
    const auto gone = dir.file("gone");
    auto r = process::run({NOI_SERVER_BIN, "init", "--data", gone, "--province", "06"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("went into 19 Tỉnh Thái Nguyên"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(gone + "/noi.db"));

    auto refused = admin({"device", "add", "--commune", "01852"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("went into 01843 Phường Bắc Kạn; use 01843"), std::string::npos)
        << refused.err;
    auto units = parsed(admin({"scope", "units", "--json"}));
    EXPECT_EQ(units.size(), 92u);
    EXPECT_EQ(enrol("01843")["scope"], "01843");
}

TEST_F(old_province, is_taken_across_the_reform_with_a_tablet_offline_losing_nothing) {
    const auto a = tablet(enrol("01834"), "minh-khai");
    const auto b = tablet(enrol("01840"), "duc-xuan");
    auto x_dev = enrol("01849");
    const auto x = tablet(x_dev, "duong-quang");
    write(a, "a1", "01834");
    write(b, "b1", "01840");
    write(x, "x1", "01849");
    for (const auto& db : {a, b, x})
        synced(db);
    write(a, "a2", "01834"); // offline across the change

    auto dry = admin({"scope", "reorganise", lineage_file, "--effective", "2025-07-01", "--basis",
                      "Nghị quyết 1683/NQ-UBTVQH15", "--dry-run", "--json"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    auto impact = parsed(dry);
    EXPECT_EQ(impact["dry_run"], true);
    EXPECT_EQ(impact["units"].size(), 37u);
    EXPECT_EQ(impact["rows"]["militia_member"], 3);
    EXPECT_EQ(impact["devices"].size(), 3u);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_map_changes"), 0);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_units"), 108);

    auto applied = admin({"scope", "reorganise", lineage_file, "--effective", "2025-07-01",
                          "--basis", "Nghị quyết 1683/NQ-UBTVQH15"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    EXPECT_NE(applied.out.find("01840@2025-07-01 Phường Đức Xuân (phuong) ← 01834, 01840, 01846"),
              std::string::npos)
        << applied.out;
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_units"), 108 + 37);

    // The offline tablet's write under its old code is accepted, and it takes its neighbours'.
    synced(a);
    synced(b);
    EXPECT_TRUE(parsed(admin({"quarantine", "list", "--json"})).empty());
    EXPECT_EQ(rows(a), 3);
    EXPECT_EQ(rows(b), 3);
    synced(x);
    EXPECT_EQ(rows(x), 1);
    auto status = parsed(client({"status", "--db", a, "--json"}));
    EXPECT_EQ(status["scope"], "01840@2025-07-01");

    auto refused = admin({"device", "add", "--commune", "01834"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("went into 01840 Phường Đức Xuân"), std::string::npos)
        << refused.err;

    // An officer moves with a write pending: it reaches the old commune, then the tablet holds
    // the new one's rows alone.
    write(x, "x2", "01849");
    auto moved = admin({"device", "move", x_dev["device_id"], "--commune", "01840", "--json"});
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    EXPECT_EQ(parsed(moved)["scope"], "01840@2025-07-01");
    synced(x);
    EXPECT_EQ(server_count("SELECT count(*) FROM militia_member WHERE id = 'x2' AND commune_code "
                           "= '01849'"),
              1);
    EXPECT_EQ(rows(x), 3); // a1, a2, b1: none of 01849's
    auto log = admin({"log"});
    EXPECT_NE(log.out.find("map reorganise"), std::string::npos);
    EXPECT_NE(log.out.find("device move"), std::string::npos);
}

TEST_F(old_province, reports_each_year_on_its_own_map_or_on_todays) {
    // Dương Quang (01849) and Đôn Phong (01984) became Xã Phong Quang, which kept code 01849.
    const auto x = tablet(enrol("01849"), "duong-quang");
    exec(x, "INSERT INTO assessment(commune_code, year, c19_1_met, c19_2_met, decided_on) VALUES "
            "('01849', 2024, 1, 1, '2024-12-01')");
    synced(x);
    auto applied = admin({"scope", "merge", "--from", "01849,01984", "--into", "01849",
                          "--effective", "2025-07-01"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;

    auto y2024 = parsed(admin({"report", "criterion19", "--year", "2024", "--json"}));
    EXPECT_EQ(y2024["grouped_by"], "district");
    EXPECT_EQ(y2024["map_of"], "2024-12-31");
    auto current = parsed(
        admin({"report", "criterion19", "--year", "2024", "--geography", "current", "--json"}));
    EXPECT_EQ(current["geography"], "current");
    auto met_in = [](const json& report, const std::string& unit) {
        for (const auto& c : report["communes"])
            if (c["unit"] == unit) return c["met"].get<bool>();
        ADD_FAILURE() << unit << " is not in " << report.dump();
        return false;
    };
    EXPECT_TRUE(met_in(y2024, "01849"));
    EXPECT_TRUE(met_in(current, "01849@2025-07-01"));
    for (const auto& c : current["communes"])
        EXPECT_NE(c["unit"], "01984") << "a merged commune is not counted again";
}

TEST_F(old_province, a_household_that_moved_goes_whole_to_its_new_commune) {
    const auto x = tablet(enrol("01849"), "duong-quang");
    const auto y = tablet(enrol("01852"), "nong-thuong");
    exec(x, "INSERT INTO household(id, commune_code, village, members) VALUES ('h-moved', "
            "'01849', 'Nà Pài', 4), ('h-stays', '01849', 'Bản Chang', 3)");
    synced(x);
    synced(y);

    auto dry = admin({"rows", "move", "--table", "household", "--where", "village=Nà Pài", "--to",
                      "01852", "--dry-run", "--json"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_EQ(parsed(dry)["rows"].size(), 1u);
    EXPECT_EQ(server_count("SELECT count(*) FROM household WHERE commune_code = '01849'"), 2);

    auto moved =
        admin({"rows", "move", "--table", "household", "--ids", "h-moved", "--to", "01852"});
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    EXPECT_NE(moved.out.find("h-moved (from 01849)"), std::string::npos) << moved.out;
    synced(x);
    synced(y);
    auto count = [&](const std::string& db, const std::string& id) {
        auto j = parsed(
            client({"query", "--db", db,
                    "SELECT count(*) AS n FROM household WHERE id = '" + id + "'", "--json"}));
        return j.empty() ? -1 : j[0]["n"].get<int>();
    };
    EXPECT_EQ(count(x, "h-moved"), 0);
    EXPECT_EQ(count(x, "h-stays"), 1);
    EXPECT_EQ(count(y, "h-moved"), 1);
    auto history = parsed(admin({"history", "--table", "household", "--row", "h-moved", "--json"}));
    bool recorded = false;
    for (const auto& h : history)
        recorded |= h["column"] == "commune_code" && h["new"] == "01852";
    EXPECT_TRUE(recorded) << history.dump(1);
    EXPECT_NE(admin({"log"}).out.find("rows move"), std::string::npos);
    auto none = admin({"rows", "move", "--table", "household", "--ids", "nope", "--to", "01852"});
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.err.find("no live row nope"), std::string::npos) << none.err;
}

TEST_F(old_province, a_viewer_of_a_merged_unit_reads_the_units_that_went_into_it) {
    const auto x = tablet(enrol("01849"), "duong-quang");
    exec(x, "INSERT INTO household(id, commune_code, village, members) VALUES ('h-old', '01849', "
            "'Nà Pài', 4)");
    synced(x);
    ASSERT_EQ(admin({"scope", "merge", "--from", "01849,01984", "--into", "01849", "--effective",
                     "2025-07-01"})
                  .exit_code,
              0);
    auto made = admin({"account", "add", "--name", "xa.phong.quang", "--role", "viewer",
                       "--communes", "01849@2025-07-01", "--json"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    const auto token = parsed(made)["token"].get<std::string>();
    auto history = process::run({NOI_ADMIN_BIN, "--server", url, "--token", token, "history",
                                 "--table", "household", "--row", "h-old", "--json"});
    EXPECT_EQ(history.exit_code, 0) << history.err;
    EXPECT_FALSE(parsed(history).empty());
}
