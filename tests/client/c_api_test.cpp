// Runs the C program tests/client/c_api_check.c against a live server.
#include "child_process.hpp"
#include "live_server.hpp"

#include <noi/sync/database.hpp>

#include <gtest/gtest.h>

TEST(c_api, a_c_program_writes_offline_syncs_and_reads_back) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto e = server.enrol("01849");
    auto r = noi::process::run({NOI_C_API_CHECK, dir.file("c.db"), server.url(), e.token});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    noi::database db(server.data_dir() + "/noi.db", false);
    auto st = db.prepare("SELECT village FROM household WHERE id = 'c1'");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_text(0), "Nà Pài");
}
