// noi-bench runs and reports every figure with its baseline (speed itself is not asserted:
// figures are read from noi-bench, never from timed tests).
#include "child_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

using json = nlohmann::json;
using namespace std::chrono_literals;

TEST(noi_bench, reports_each_figure_beside_its_baseline) {
    auto r = noi::process::run({NOI_BENCH_BIN, "--quick"}, 300s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = json::parse(r.out);
    for (const char* f : {"plain_rows_per_s", "captured_rows_per_s", "ratio"})
        EXPECT_GT(j["capture"][f].get<double>(), 0) << f;
    for (const char* f : {"raw_cells_per_s", "merged_cells_per_s", "ratio"})
        EXPECT_GT(j["merge"][f].get<double>(), 0) << f;
    for (const char* f : {"rows_per_s", "wire_bytes_per_row", "raw_bytes_per_row"})
        EXPECT_GT(j["push"][f].get<double>(), 0) << f;
    EXPECT_EQ(j["bootstrap"]["done"], true);
    EXPECT_GT(j["bootstrap"]["wire_bytes_per_row"].get<double>(), 0);
    EXPECT_EQ(j["map"]["rows_per_commune"], 300);
    EXPECT_GT(j["map"]["commit_s"].get<double>(), 0);
    EXPECT_GT(j["map"]["download_vs_lacked"].get<double>(), 0);
    const auto& tablet = j["tablet"];
    EXPECT_EQ(tablet["rows"], 1000);
    for (const char* f : {"idle_peak_rss_mib", "push_peak_rss_mib", "bootstrap_peak_rss_mib"})
        EXPECT_GT(tablet[f].get<double>(), 1.0) << f;
    const auto& c = j["connections"];
    EXPECT_EQ(c["connections"], 200);
    EXPECT_EQ(c["failed_rounds"], 0);
    EXPECT_EQ(c["rounds"], 20);
    EXPECT_GT(c["rss_bytes_per_connection"].get<double>(), 0);
    EXPECT_GT(c["p99_ms"].get<double>(), 0);
    EXPECT_EQ(c["compression"]["window_bits"], 10);
    const auto& console = j["console"];
    EXPECT_EQ(console["devices"], 50);
    EXPECT_EQ(console["conflicts"], 200);
    EXPECT_EQ(console["page_ms"].size(), 7u);
    EXPECT_GT(console["slowest_page_ms"].get<double>(), 0);
    EXPECT_GT(console["whole_conflicts_ms"].get<double>(), 0);
    EXPECT_EQ(j["machine"]["sqlite"].get<std::string>().rfind("3.", 0), 0u);
    for (const char* through : {"one_process", "two_processes"}) {
        EXPECT_EQ(j["notify"][through]["seen"], 10) << through;
        EXPECT_GT(j["notify"][through]["p99_ms"].get<double>(), 0) << through;
    }
    for (const char* storm : {"storm", "storm_two_processes"}) {
        EXPECT_EQ(j[storm]["unfinished"], 0) << storm;
        EXPECT_GT(j[storm]["rows_per_s"].get<double>(), 0) << storm;
    }
}

// noi-bench --store: the figures measured on PostgreSQL too, each in a database it makes in
// the cluster of the fixture `pg` and drops (runs as pg:noi_bench.*).
TEST(noi_bench, measures_the_postgresql_store_beside_sqlite) {
    const char* state = std::getenv("NOI_PG_STATE");
    if (!state) GTEST_SKIP() << "runs on PostgreSQL only, as pg:noi_bench.*";
    std::string cluster;
    std::getline(std::ifstream(state), cluster);
    auto r = noi::process::run({NOI_BENCH_BIN, "--quick", "--only", "merge", "--only", "push",
                                "--only", "notify", "--only", "storm", "--store", cluster},
                               300s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = json::parse(r.out);
    EXPECT_GT(j["merge_postgresql"]["ratio"].get<double>(), 0);
    EXPECT_GT(j["push_postgresql"]["rows_per_s"].get<double>(), 0);
    EXPECT_EQ(j["notify_postgresql"]["two_processes"]["seen"], 10);
    EXPECT_EQ(j["storm_two_processes_postgresql"]["unfinished"], 0);
}
