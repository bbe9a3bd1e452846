// The main job as a user runs it: a small noi-sim with faults on, checked through its JSON.
#include "child_process.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

json run_sim(const std::vector<std::string>& extra) {
    std::vector<std::string> argv{NOI_SIM_BIN, "--tablets", "5",         "--days", "3",
                                  "--loss",    "0.5",       "--offline", "0.3",    "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = noi::process::run(argv, 300s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
}

} // namespace

TEST(noi_sim, a_small_province_with_a_flaky_link_converges) {
    noi::test::temp_dir dir;
    auto j = run_sim({"--seed", "7", "--data", dir.file("run")});
    EXPECT_EQ(j["converged"], true) << j.dump(2);
    EXPECT_EQ(j["tablets"], 7); // 5 communes, a second officer in one, the province office
    EXPECT_GT(j["rows"].get<int>(), 50);
    EXPECT_GT(j["bytes"].get<long>(), 0);
    EXPECT_TRUE(j["conflicts"].is_number());
    EXPECT_EQ(j["problems"].size(), 0u);
    // Bắc Kạn's xã of 2022 by district, then the reform mid-run: the xã of the new units that
    // Bắc Kạn's became, for the province.
    EXPECT_EQ(j["criterion19"]["province"]["total"], 95);
    EXPECT_EQ(j["criterion19"]["grouped_by"], "district");
    EXPECT_EQ(j["criterion19_after"]["province"]["total"], 35);
    EXPECT_EQ(j["criterion19_after"]["grouped_by"], "province");
    EXPECT_EQ(j["reform"]["units_before"], 108);
    EXPECT_EQ(j["reform"]["units_after"], 37);
    EXPECT_GT(j["reform"]["devices_moved"].get<int>(), 0);
    // The schema gained a table and a column mid-run; every replica holds them (converged).
    EXPECT_EQ(j["schema_version"], 2);
    EXPECT_GT(j["apps_upgraded"].get<int>(), 0);
    // --data keeps the server's data for noi-server and noi-admin.
    EXPECT_TRUE(std::filesystem::exists(dir.file("run") + "/server/noi.db"));
}

TEST(noi_sim, the_same_seed_writes_the_same_records) {
    auto a = run_sim({"--seed", "11"}), b = run_sim({"--seed", "11"}),
         c = run_sim({"--seed", "12"});
    EXPECT_EQ(a["records_digest"], b["records_digest"]);
    EXPECT_EQ(a["rows"].is_number(), true);
    EXPECT_NE(a["records_digest"], c["records_digest"]);
}
