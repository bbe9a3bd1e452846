// Runs the C program tests/client/c_api_check.c against a live server.
#include "child_process.hpp"
#include "live_server.hpp"

#include <noi/noi.h>
#include <noi/sync/database.hpp>

#include <admin/http_client.hpp>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <string>

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

namespace {

// What the replica keeps of its server, read through the C API itself.
std::string server_meta(noi_replica* r) {
    char* out = nullptr;
    noi_error err{};
    if (noi_query_json(r,
                       "SELECT key, value FROM noi_meta WHERE key IN ('server_url', 'ca_file', "
                       "'allow_plain_http') ORDER BY key",
                       &out, &err) != NOI_OK)
        return std::string("query failed: ") + err.message;
    std::string text = out;
    noi_free(out);
    return text;
}

std::uint64_t pending(noi_replica* r) {
    noi_status st{};
    noi_error err{};
    EXPECT_EQ(noi_get_status(r, &st, &err), NOI_OK) << err.message;
    return st.pending;
}

} // namespace

// Issue 28, item 13, for apps: the C API had no way to give a replica its CA at all.
TEST(c_api, a_replica_made_without_its_ca_is_repaired_by_noi_set_server_and_keeps_its_writes) {
    noi::test::temp_dir dir;
    noi::test::live_server server(true);
    auto e = server.enrol("01849");
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("c.db").c_str(), server.url().c_str(), e.token.c_str(), &r, &err),
              NOI_OK)
        << err.message;
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01849', "
                       "'một')",
                       &err),
              NOI_OK)
        << err.message;
    EXPECT_EQ(noi_sync(r, 10, &err), NOI_ERR);
    EXPECT_NE(std::string(err.message).find("noi_set_server"), std::string::npos) << err.message;
    EXPECT_EQ(pending(r), 1u);

    const auto before = server_meta(r);
    EXPECT_NE(before.find(server.url()), std::string::npos) << before;
    { std::ofstream(dir.file("not-a-cert.pem")) << "xin chào\n"; }
    const std::string port = std::to_string(server.port());
    struct refusal {
        const char *url, *ca;
        int allow;
        const char* why;
    };
    const std::string missing = dir.file("missing.pem"), garbage = dir.file("not-a-cert.pem");
    const std::string no_port = "https://127.0.0.1";
    for (const auto& [url, ca, allow, why] :
         {refusal{nullptr, missing.c_str(), 0, "does not exist"},
          refusal{nullptr, garbage.c_str(), 0, "holds no certificate"},
          refusal{"http://192.0.2.10:8080", nullptr, 0, "clear text"},
          refusal{no_port.c_str(), server.ca_file().c_str(), 0, "needs a port"}}) {
        EXPECT_EQ(noi_set_server(r, url, ca, allow, &err), NOI_ERR_USAGE) << why;
        EXPECT_NE(std::string(err.message).find(why), std::string::npos) << err.message;
        EXPECT_EQ(server_meta(r), before) << why;
    }
    EXPECT_EQ(noi_set_server(nullptr, nullptr, nullptr, 0, &err), NOI_ERR_USAGE);

    ASSERT_EQ(noi_start_background_sync(r, &err), NOI_OK) << err.message;
    EXPECT_EQ(noi_set_server(r, nullptr, server.ca_file().c_str(), 0, &err), NOI_ERR_USAGE);
    EXPECT_NE(std::string(err.message).find("noi_stop_background_sync"), std::string::npos)
        << err.message;
    noi_stop_background_sync(r);
    EXPECT_EQ(server_meta(r), before);

    ASSERT_EQ(noi_set_server(r, nullptr, server.ca_file().c_str(), 0, &err), NOI_OK) << err.message;
    EXPECT_EQ(pending(r), 1u);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    EXPECT_EQ(pending(r), 0u);

    // Another address for the same server: the CA stays, and the next write arrives by it.
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO incident(id, commune_code, summary) VALUES ('i2', '01849', "
                       "'hai')",
                       &err),
              NOI_OK)
        << err.message;
    const std::string by_name = "https://localhost:" + port;
    ASSERT_EQ(noi_set_server(r, by_name.c_str(), nullptr, 0, &err), NOI_OK) << err.message;
    const auto moved = server_meta(r);
    EXPECT_NE(moved.find(by_name), std::string::npos) << moved;
    EXPECT_NE(moved.find("test-cert.pem"), std::string::npos) << moved;
    EXPECT_EQ(pending(r), 1u);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    noi_close(r);

    noi::database db(server.data_dir() + "/noi.db", false);
    auto st = db.prepare("SELECT count(*) FROM incident WHERE id IN ('i1', 'i2')");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_int(0), 2);
}

TEST(c_api, a_tablet_enrols_with_the_address_as_the_console_s_qr_code_gives_it) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto e = server.enrol("01849");
    const auto qr_address = "ws://" + server.url().substr(std::string("http://").size()) + "/sync";
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("qr.db").c_str(), qr_address.c_str(), e.token.c_str(), &r, &err),
              NOI_OK)
        << err.message;
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO household(id, commune_code, village) VALUES ('q1', '01849', "
                       "'Bản Tàn')",
                       &err),
              NOI_OK)
        << err.message;
    EXPECT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    noi_close(r);
    noi::database db(server.data_dir() + "/noi.db", false);
    auto st = db.prepare("SELECT village FROM household WHERE id = 'q1'");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_text(0), "Bản Tàn");

    r = nullptr;
    EXPECT_EQ(noi_init(dir.file("bad.db").c_str(), "127.0.0.1:8080", e.token.c_str(), &r, &err),
              NOI_ERR_USAGE);
    EXPECT_EQ(r, nullptr);
    EXPECT_NE(std::string(err.message).find("wss://"), std::string::npos) << err.message;
    EXPECT_FALSE(std::ifstream(dir.file("bad.db")).good()) << "nothing is made for a bad address";
}
