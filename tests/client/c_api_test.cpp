// Runs the C program tests/client/c_api_check.c against a live server.
#include "child_process.hpp"
#include "live_server.hpp"

#include <noi/noi.h>
#include <noi/sync/database.hpp>

#include <admin/http_client.hpp>
#include <nlohmann/json.hpp>

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

namespace {

struct schema_seen {
    int calls = 0;
    std::uint32_t from = 0, to = 0;
};

void on_schema(std::uint32_t from, std::uint32_t to, void* user) {
    auto* seen = static_cast<schema_seen*>(user);
    seen->calls++;
    seen->from = from;
    seen->to = to;
}

} // namespace

TEST(c_api, an_app_asks_its_schema_version_and_is_told_when_a_sync_changed_it) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto e = server.enrol("01849");
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("c.db").c_str(), server.url().c_str(), e.token.c_str(), &r, &err),
              NOI_OK)
        << err.message;
    std::uint32_t version = 0;
    ASSERT_EQ(noi_get_schema_version(r, &version, &err), NOI_OK);
    EXPECT_EQ(version, 1u);
    schema_seen seen;
    ASSERT_EQ(noi_set_schema_callback(r, on_schema, &seen, &err), NOI_OK);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    EXPECT_EQ(seen.calls, 0);

    auto shown = nlohmann::json::parse(
        noi::admin::request(server.url(), "GET", "/admin/v1/schema", server.admin_token(), "", "")
            .body);
    shown.erase("history");
    shown["version"] = 2;
    shown["tables"].push_back({{"name", "border_patrol"},
                               {"scope", "commune_code"},
                               {"columns", {{{"name", "route"}, {"type", "TEXT"}}}}});
    auto applied = noi::admin::request(server.url(), "POST", "/admin/v1/schema",
                                       server.admin_token(), shown.dump(), "");
    ASSERT_EQ(applied.status, 200u) << applied.body;

    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    EXPECT_EQ(seen.calls, 1);
    EXPECT_EQ(seen.from, 1u);
    EXPECT_EQ(seen.to, 2u);
    ASSERT_EQ(noi_get_schema_version(r, &version, &err), NOI_OK);
    EXPECT_EQ(version, 2u);
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO border_patrol(id, commune_code, route) VALUES ('bp1', "
                       "'01849', 'Mốc 3')",
                       &err),
              NOI_OK)
        << err.message;
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    noi_close(r);
    noi::database db(server.data_dir() + "/noi.db", false);
    auto st = db.prepare("SELECT route FROM border_patrol WHERE id = 'bp1'");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_text(0), "Mốc 3");
}
