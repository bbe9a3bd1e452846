// A server directory and tablet replicas made by an earlier release, served by this one as they
// are (no restore): they open through the format runner, every pending write arrives, and
// conflicts, quarantine, history and the report still read.
#include "server_process.hpp"

#include <noi/sync/database.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace noi;
using json = nlohmann::json;

namespace {

struct upgrade : test::server_process {
    std::string from = NOI_FIXTURES_DIR "/release-b3f6042";
    std::vector<std::string> tablets;

    void SetUp() override {
        std::filesystem::copy(from + "/server", data);
        std::ifstream token_file(from + "/admin-token");
        std::getline(token_file, admin_token);
        // On PostgreSQL (pg:…), the earlier release's province is moved there first: what a
        // province that began on SQLite does (noi-server migrate-store).
        if (test::servers_on_postgresql()) {
            auto r = process::run({NOI_SERVER_BIN, "migrate-store", "--from", data, "--to",
                                   store.database()->conninfo()});
            ASSERT_EQ(r.exit_code, 0) << r.err;
        }
        start_server();
        for (const char* name : {"tablet-a.db", "tablet-b.db"}) {
            const auto copy = dir.file(name);
            std::filesystem::copy_file(from + "/" + name, copy);
            database replica(copy, false);
            auto point = replica.prepare("UPDATE noi_meta SET value = ?1 WHERE key = 'server_url'");
            point.bind(1, url);
            point.run();
            tablets.push_back(copy);
        }
    }
};

// The same check on each earlier release's fixture, all made by the same script
// (tests/fixtures/release-*/make.sh): b3f6042, before the format runner; 538f624, format 8,
// before answered rejections, dead feed entries and conflicts that keep their authors;
// 131fafb, format 10, the release before units, lineage and moves (format 11); 4398179,
// format 12, the release before a lost tablet's wipe (format 13); 175b936, format 13, the release
// before the schema's labels (format 14).
struct upgrade_from : upgrade, ::testing::WithParamInterface<const char*> {
    void SetUp() override {
        from = std::string(NOI_FIXTURES_DIR "/") + GetParam();
        upgrade::SetUp();
    }
};

} // namespace

INSTANTIATE_TEST_SUITE_P(releases, upgrade_from,
                         ::testing::Values("release-b3f6042", "release-538f624", "release-131fafb",
                                           "release-4398179", "release-175b936"),
                         [](const auto& info) { return std::string(info.param).substr(8); });

TEST_P(upgrade_from, a_server_and_tablets_of_an_earlier_release_are_served_and_lose_nothing) {
    for (const auto& t : tablets)
        EXPECT_EQ(parsed(client({"status", "--db", t, "--json"}))["pending"], 1) << t;
    for (const auto& t : {tablets[0], tablets[1], tablets[0]})
        ASSERT_EQ(sync(t).exit_code, 0);

    // The writes each tablet held offline arrived, on the server and on the other tablet.
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h4'"), 7);
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h2'"), 8);
    for (const auto& t : tablets) {
        EXPECT_EQ(value(t, "SELECT members FROM household WHERE id = 'h4'"), "7") << t;
        EXPECT_EQ(value(t, "SELECT village FROM household WHERE id = 'h2'"), "Bản Chang Giữa");
        EXPECT_EQ(value(t, "SELECT count(*) FROM household WHERE id = 'h3'"), "0") << "deleted";
        EXPECT_EQ(value(t, "SELECT members FROM household WHERE id = 'h1'"),
                  value(tablets[0], "SELECT members FROM household WHERE id = 'h1'"));
        EXPECT_EQ(parsed(client({"status", "--db", t, "--json"}))["pending"], 0) << t;
    }
    EXPECT_EQ(server_count("SELECT count(*) FROM household WHERE id = 'h3'"), 0);

    // The open and the resolved conflict read as they were, and no new one was recorded.
    auto all = parsed(admin({"conflicts", "list", "--status", "all", "--json"}));
    ASSERT_EQ(all.size(), 2u);
    std::map<std::string, json> by_row;
    for (const auto& c : all)
        by_row[c["row_id"].get<std::string>()] = c;
    EXPECT_EQ(by_row["h1"]["status"], "open");
    // Recorded before conflicts kept their authors: the sides are read from the sites' devices.
    const auto devices = parsed(admin({"device", "list", "--json"}));
    for (const auto& v : by_row["h1"]["versions"])
        EXPECT_TRUE(std::any_of(devices.begin(), devices.end(), [&](const json& d) {
            return d["device_id"] == v["device_id"];
        })) << v.dump();
    EXPECT_EQ(by_row["h2"]["status"], "resolved");
    EXPECT_EQ(by_row["h2"]["resolved_by"], "admin");
    auto q = parsed(admin({"quarantine", "list", "--json"}));
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0]["row_id"], "x");

    // History: the records of that release (the insert, the conflict, its resolution) and the
    // offline write made there and accepted here, by the device that made it.
    auto history = parsed(admin({"history", "--table", "household", "--row", "h2", "--json"}));
    std::size_t inserted = 0, resolved = 0, resolutions = 0, offline = 0;
    for (const auto& h : history) {
        inserted += h["kind"] == "change" && h["column"] == "village" && h["new"] == "Bản Chang";
        resolved += h["kind"] == "change" && h["new"] == "Bản Chang Giữa";
        resolutions += h["kind"] == "resolution";
        offline += h["kind"] == "change" && h["column"] == "members" && h["new"] == 8 &&
                   h["device_name"] == "Dương Quang, máy 2";
    }
    EXPECT_EQ(inserted, 1u) << history.dump(1);
    EXPECT_EQ(resolved, 1u) << history.dump(1);
    EXPECT_EQ(resolutions, 1u) << history.dump(1);
    EXPECT_EQ(offline, 1u) << history.dump(1);
    auto report = parsed(admin({"report", "criterion19", "--year", "2026", "--json"}));
    EXPECT_EQ(report["province"]["met"], 1);
    bool met = false;
    for (const auto& c : report["communes"])
        met |= c["code"] == "01849" && c["met"] == true && c["assessment_id"] == "a1";
    EXPECT_TRUE(met) << report.dump(1);
    // The database was brought to this release's format once, at the first open.
    EXPECT_GT(server_count("SELECT CAST(value AS INTEGER) FROM noi_meta WHERE key = 'format'"), 1);
}

// Issue 29: an earlier release's server, on Bắc Kạn's map of 2022, is taken across the 2025
// reform from the shipped lineage file while its tablets hold writes made before it; they arrive
// under the old code, and the tablets take their new commune.
TEST_P(upgrade_from, an_earlier_releases_province_is_taken_across_the_reform_losing_nothing) {
    // The fixtures since 4398179 were made on today's map (Thái Nguyên).
    if (const std::string from = GetParam(); from == "release-4398179" || from == "release-175b936")
        GTEST_SKIP() << "made on today's map (Thái Nguyên): there is no reform to take it across";
    const auto lineage = std::string(NOI_SOURCE_DIR) + "/shared/data/vietnam-2025-07-lineage.csv";
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_units"), 108);
    auto dry =
        admin({"scope", "reorganise", lineage, "--effective", "2025-07-01", "--dry-run", "--json"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_EQ(parsed(dry)["devices"].size(), 2u);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_map_changes"), 0);
    auto applied = admin({"scope", "reorganise", lineage, "--effective", "2025-07-01"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_units WHERE valid_until IS NULL"), 37);

    for (const auto& t : {tablets[0], tablets[1], tablets[0]})
        ASSERT_EQ(sync(t).exit_code, 0);
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h4'"), 7);
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h2'"), 8);
    for (const auto& t : tablets) {
        const auto status = parsed(client({"status", "--db", t, "--json"}));
        EXPECT_EQ(status["pending"], 0) << t;
        EXPECT_EQ(status["scope"], "01849@2025-07-01") << t;
        EXPECT_EQ(value(t, "SELECT members FROM household WHERE id = 'h4'"), "7") << t;
        EXPECT_EQ(value(t, "SELECT count(*) FROM household"),
                  std::to_string(server_count("SELECT count(*) FROM household")))
            << t;
    }
    // Only the entry the earlier release quarantined; nothing written under the old code.
    EXPECT_EQ(parsed(admin({"quarantine", "list", "--json"})).size(), 1u);
    auto report = parsed(admin({"report", "criterion19", "--year", "2026", "--json"}));
    EXPECT_EQ(report["grouped_by"], "province");
    bool met = false;
    for (const auto& c : report["communes"])
        met |= c["unit"] == "01849@2025-07-01" && c["met"] == true && c["assessment_id"] == "a1";
    EXPECT_TRUE(met) << report.dump(1);
}

// Issue 17: the earlier release's server takes a new schema version, and that release's
// tablets, with their offline writes, follow it without losing them.
TEST_F(upgrade, a_server_of_release_b3f6042_publishes_a_version_its_old_tablets_follow) {
    auto v1 = parsed(admin({"schema", "show", "--json"}));
    EXPECT_EQ(v1["version"], 1);
    EXPECT_TRUE(v1["history"].empty());
    auto applied = admin({"schema", "apply", schema_with_border_patrol()});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;

    for (const auto& t : tablets) {
        ASSERT_EQ(sync(t).exit_code, 0);
        EXPECT_EQ(parsed(client({"status", "--db", t, "--json"}))["schema_version"], 2) << t;
        EXPECT_EQ(parsed(client({"status", "--db", t, "--json"}))["pending"], 0) << t;
    }
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h4'"), 7);
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h2'"), 8);
    auto r = client({"exec", "--db", tablets[0],
                     "INSERT INTO border_patrol(id, commune_code, route) VALUES ('bp1', '01849', "
                     "'Mốc 9')"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& t : {tablets[0], tablets[1]})
        ASSERT_EQ(sync(t).exit_code, 0);
    EXPECT_EQ(value(tablets[1], "SELECT route FROM border_patrol WHERE id = 'bp1'"), "Mốc 9");
}
