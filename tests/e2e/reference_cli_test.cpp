// Issue 28, item 12, as the province office and its tablets meet it: reference data changes
// only through the audited admin path (noi-admin reference, PUT /admin/v1/reference/...), a
// province-wide device's write of it is refused, and every tablet takes an admin's change at
// its next sync. Real noi-server, noi-admin and noi-client processes over HTTP on 127.0.0.1.
#include "server_process.hpp"

#include <admin/http_client.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

using namespace noi;
using json = nlohmann::json;

namespace {

struct reference_cli : test::server_process {
    // noi-admin with an account's token instead of init's.
    process::run_result admin_as(const std::string& token, std::vector<std::string> args) {
        std::vector<std::string> argv{NOI_ADMIN_BIN, "--server", url, "--token", token};
        argv.insert(argv.end(), args.begin(), args.end());
        return process::run(argv);
    }
    std::string account(const std::string& name, const std::string& role) {
        auto r = admin({"account", "add", "--name", name, "--role", role, "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return parsed(r)["token"].get<std::string>();
    }
    json query(const std::string& db, const std::string& sql) {
        return parsed(client({"query", "--db", db, sql, "--json"}));
    }
    std::string name_of_01849(const std::string& db) {
        auto rows = query(db, "SELECT name FROM commune WHERE id = '01849'");
        return rows.size() == 1 ? rows[0]["name"].get<std::string>() : "(none)";
    }
};

} // namespace

TEST_F(reference_cli, an_admin_renames_a_commune_and_every_tablet_takes_it_at_its_next_sync) {
    const auto commune_db = tablet(enrol("01849"), "commune");
    auto province_dev = parsed(admin({"device", "add", "--province", "--json"}));
    const auto province_db = tablet(province_dev, "province");

    // Before it knows its scope, the province's tablet takes a write of reference data; the
    // server quarantines it and changes nothing.
    exec(province_db, "INSERT INTO commune(id, name, kind) VALUES ('09999', 'Xã giả', 'xa')");
    auto first = sync(province_db);
    ASSERT_EQ(first.exit_code, 0) << first.err;
    auto q = parsed(admin({"quarantine", "list", "--json"}));
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0]["reason"], "global_table");
    EXPECT_EQ(q[0]["device_id"], province_dev["device_id"]);
    EXPECT_EQ(server_count("SELECT count(*) FROM commune WHERE id = '09999'"), 0);
    synced(commune_db);
    EXPECT_EQ(name_of_01849(commune_db), "Xã Phong Quang");
    EXPECT_EQ(name_of_01849(province_db), "Xã Phong Quang");
    // Once it knows it is province-wide, its keyboard refuses reference data as a commune's does.
    auto typed = client({"exec", "--db", province_db,
                         "UPDATE commune SET name = 'Xã bị đổi tên' WHERE id = '01849'"});
    EXPECT_EQ(typed.exit_code, 1);
    EXPECT_NE(typed.err.find("noi-admin reference set"), std::string::npos) << typed.err;

    // A named admin renames the commune.
    const auto hoa = account("hoa.nguyen", "admin");
    auto set =
        admin_as(hoa, {"reference", "set", "commune", "01849", "--value",
                       "name=\"Phường Dương Quang\"", "--value", "kind=\"phuong\"", "--json"});
    ASSERT_EQ(set.exit_code, 0) << set.err;
    auto changed = parsed(set);
    EXPECT_EQ(changed["created"], false);
    ASSERT_EQ(changed["changed"].size(), 2u);
    EXPECT_EQ(changed["row"]["name"], "Phường Dương Quang");
    auto shown = parsed(admin({"reference", "show", "commune", "01849", "--json"}));
    EXPECT_EQ(shown["name"], "Phường Dương Quang");
    EXPECT_EQ(shown["kind"], "phuong");

    for (const auto& db : {commune_db, province_db}) {
        auto r = sync(db);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(name_of_01849(db), "Phường Dương Quang") << db;
        EXPECT_EQ(query(db, "SELECT kind FROM commune WHERE id = '01849'")[0]["kind"], "phuong");
    }

    // The admin log names the account, the columns and their old and new values.
    auto log = parsed(admin({"log", "--json"}));
    auto entry = std::find_if(log.begin(), log.end(),
                              [](const json& e) { return e["action"] == "reference set"; });
    ASSERT_NE(entry, log.end()) << log.dump();
    EXPECT_EQ((*entry)["account"], "hoa.nguyen");
    EXPECT_EQ((*entry)["target"], "commune/01849");
    const auto detail = (*entry)["detail"].get<std::string>();
    EXPECT_NE(detail.find("name: \"Xã Phong Quang\" → \"Phường Dương Quang\""), std::string::npos)
        << detail;
    EXPECT_NE(detail.find("kind: \"xa\" → \"phuong\""), std::string::npos) << detail;
    // The row's history shows who changed it, not "server".
    auto history = parsed(admin({"history", "--row", "01849", "--json"}));
    auto edit = std::find_if(history.begin(), history.end(), [](const json& h) {
        return h["column"] == "name" && h["new"] == "Phường Dương Quang";
    });
    ASSERT_NE(edit, history.end()) << history.dump();
    EXPECT_EQ((*edit)["device_id"], "admin:hoa.nguyen");
    EXPECT_EQ((*edit)["old"], "Xã Phong Quang");

    // A viewer reads reference data and changes none of it.
    const auto viewer = account("xem", "viewer");
    auto listed = admin_as(viewer, {"reference", "list", "commune", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_EQ(parsed(listed).size(), 92u);
    auto refused = admin_as(
        viewer, {"reference", "set", "commune", "01849", "--value", "name=\"Xã của người xem\""});
    EXPECT_EQ(refused.exit_code, 4);
    EXPECT_NE(refused.err.find("may only read"), std::string::npos) << refused.err;
    auto put = admin::request(url, "PUT", "/admin/v1/reference/commune/01849", viewer,
                              R"({"name":"Xã của người xem"})");
    EXPECT_EQ(put.status, 403u) << put.body;
    auto del = admin::request(url, "DELETE", "/admin/v1/reference/commune/01849", viewer, "");
    EXPECT_EQ(del.status, 403u) << del.body;
    EXPECT_EQ(server_count("SELECT count(*) FROM commune WHERE name = 'Phường Dương Quang'"), 1);
}

TEST_F(reference_cli, bad_input_gets_400_naming_the_problem_and_changes_nothing) {
    const std::string row = "/admin/v1/reference/commune/01849";
    struct bad {
        std::string method, target, body, says;
    };
    for (const auto& b : std::vector<bad>{
             {"PUT", row, R"({"nam":"Xã"})", "has no column nam"},
             {"PUT", row, R"({"key_area":"có"})", "commune.key_area is INTEGER"},
             {"PUT", row, R"({"name":5})", "commune.name is TEXT"},
             {"PUT", row, R"({"name":["a"]})", "JSON scalar"},
             {"PUT", row, R"({"id":"01850"})", "never changes"},
             {"PUT", row, "tên mới", "JSON object of column"},
             {"PUT", row, "{}", "JSON object of column"},
             {"PUT", "/admin/v1/reference/militia_member/m1", R"({"full_name":"A"})",
              "militia_member is not reference data"},
             {"PUT", "/admin/v1/reference/xa/01849", R"({"name":"A"})", "no table named xa"},
             {"GET", "/admin/v1/reference/household", "", "household is not reference data"},
             {"GET", "/admin/v1/reference/commune?limit=0", "", "limit"}}) {
        auto r = admin::request(url, b.method, b.target, admin_token, b.body);
        EXPECT_EQ(r.status, 400u) << b.target << " " << b.body << ": " << r.body;
        auto j = json::parse(r.body, nullptr, false);
        ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
        EXPECT_NE(j["error"].get<std::string>().find(b.says), std::string::npos)
            << b.body << ": " << r.body;
    }
    EXPECT_EQ(
        admin::request(url, "DELETE", "/admin/v1/reference/commune/09999", admin_token, "").status,
        404u);
    EXPECT_EQ(
        admin::request(url, "GET", "/admin/v1/reference/commune/09999", admin_token, "").status,
        404u);
    EXPECT_EQ(admin::request(url, "POST", row, admin_token, R"({"name":"A"})").status, 405u);
    // The same refusals at the terminal: exit 1 with the server's sentence, 2 for what is not
    // COLUMN=JSON.
    auto r = admin({"reference", "set", "commune", "01849", "--value", "nam=1"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("has no column nam"), std::string::npos) << r.err;
    r = admin({"reference", "set", "commune", "01849", "--value", "name=Xã"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("in its quotes"), std::string::npos) << r.err;
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_admin_log WHERE action LIKE 'reference%'"), 0);
    EXPECT_EQ(server_count("SELECT count(*) FROM commune WHERE id = '01849' AND name = 'Xã Phong "
                           "Quang' AND kind = 'xa'"),
              1);
}

TEST_F(reference_cli, an_admin_makes_deletes_and_brings_back_a_commune) {
    const auto db = tablet(enrol("01849"), "commune");
    synced(db);
    auto made = admin({"reference", "set", "commune", "09001", "--values",
                       R"({"name": "Xã Mới", "kind": "xa", "district_code": "058"})", "--json"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    EXPECT_EQ(parsed(made)["created"], true);
    synced(db);
    EXPECT_EQ(query(db, "SELECT name FROM commune WHERE id = '09001'")[0]["name"], "Xã Mới");
    auto deleted = admin({"reference", "delete", "commune", "09001", "--json"});
    ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
    synced(db);
    EXPECT_TRUE(query(db, "SELECT name FROM commune WHERE id = '09001'").empty());
    ASSERT_EQ(admin({"reference", "set", "commune", "09001", "--value", "key_area=1"}).exit_code,
              0);
    synced(db);
    auto back = query(db, "SELECT name, key_area FROM commune WHERE id = '09001'");
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0]["name"], "Xã Mới");
    EXPECT_EQ(back[0]["key_area"], 1);
    auto log = parsed(admin({"log", "--json"}));
    std::vector<std::string> actions;
    for (const auto& e : log)
        if (e["target"] == "commune/09001") actions.push_back(e["action"]);
    EXPECT_EQ(actions,
              (std::vector<std::string>{"reference set", "reference delete", "reference set"}));
}
