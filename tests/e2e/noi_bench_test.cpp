// noi-bench runs and reports every figure with its baseline (speed itself is not asserted:
// figures are read from noi-bench, never from timed tests).
#include "child_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using json = nlohmann::json;
using namespace std::chrono_literals;

TEST(noi_bench, reports_each_figure_beside_its_baseline) {
    auto r = noi::test::run({NOI_BENCH_BIN, "--capture-rows", "2000", "--merge-rows", "2000", "--push-rows", "300",
                             "--tablets", "2", "--bootstrap-rows", "1000"},
                            300s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = json::parse(r.out);
    for (const char* f : {"plain_rows_per_s", "captured_rows_per_s", "ratio"}) EXPECT_GT(j["capture"][f].get<double>(), 0) << f;
    for (const char* f : {"raw_cells_per_s", "merged_cells_per_s", "ratio"}) EXPECT_GT(j["merge"][f].get<double>(), 0) << f;
    for (const char* f : {"rows_per_s", "wire_bytes_per_row", "raw_bytes_per_row"}) EXPECT_GT(j["push"][f].get<double>(), 0) << f;
    EXPECT_EQ(j["bootstrap"]["done"], true);
    EXPECT_GT(j["bootstrap"]["wire_bytes_per_row"].get<double>(), 0);
    EXPECT_EQ(j["machine"]["sqlite"].get<std::string>().rfind("3.", 0), 0u);
}
