// Schema versions as an admin and an officer meet them (issue 17): noi-admin schema show and
// apply against a real server, tablets following it with noi-client, and a server restored
// behind its tablets.
#include "http_probe.hpp"
#include "server_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>

using namespace noi;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct schema_cli : test::server_process {
    json shown() { return parsed(admin({"schema", "show", "--json"})); }

    // The current schema as the next version, edited by `edit`, written to a file.
    int files = 0;
    template <class F> std::string next_version(F edit) {
        auto s = shown();
        s.erase("history");
        s["version"] = s["version"].get<int>() + 1;
        edit(s);
        auto path = dir.file("version-" + std::to_string(++files) + ".json");
        std::ofstream(path) << s.dump();
        return path;
    }
    static json& table(json& s, const std::string& name) {
        for (auto& t : s["tables"])
            if (t["name"] == name) return t;
        throw std::runtime_error("no table " + name);
    }
    static void add_patrols(json& s) {
        table(s, "militia_member")["columns"].push_back({{"name", "phone"}, {"type", "TEXT"}});
        s["tables"].push_back({{"name", "border_patrol"},
                               {"scope", "commune_code"},
                               {"columns", {{{"name", "route"}, {"type", "TEXT"}}}}});
    }
    json status_of(const std::string& db) {
        return parsed(client({"status", "--db", db, "--json"}));
    }
};

} // namespace

TEST_F(schema_cli, show_prints_version_1_and_apply_publishes_only_additive_versions) {
    auto v1 = shown();
    EXPECT_EQ(v1["version"], 1);
    EXPECT_EQ(v1["tables"].size(), 9u);
    EXPECT_TRUE(v1["history"].empty());
    EXPECT_TRUE(table(v1, "commune")["scope"].is_null());
    EXPECT_EQ(table(v1, "incident")["scope"], "commune_code");

    const std::vector<std::pair<std::string, std::string>> refused = {
        {next_version([](json& s) {
             auto& t = s["tables"];
             t.erase(std::remove_if(t.begin(), t.end(),
                                    [](const json& x) { return x["name"] == "incident"; }),
                     t.end());
         }),
         "table incident is missing"},
        {next_version([](json& s) { table(s, "household")["columns"].erase(1); }),
         "is never dropped or renamed"},
        {next_version([](json& s) { table(s, "household")["columns"][2]["type"] = "BLOB"; }),
         "would change type"},
        {next_version([](json& s) { table(s, "commune")["scope"] = "commune_code"; }), "scope"},
        {next_version([](json& s) {
             table(s, "incident")["columns"].push_back(
                 {{"name", "x"}, {"type", "TEXT"}, {"not_null", true}});
         }),
         "cannot be NOT NULL"},
        {next_version([](json& s) { s["version"] = 5; }), "must be version 2"},
    };
    for (const auto& [file, words] : refused) {
        auto r = admin({"schema", "apply", file});
        EXPECT_EQ(r.exit_code, 1) << words;
        EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("the schema stays at version 1"), std::string::npos) << r.err;
    }
    auto not_json = dir.file("broken.json");
    std::ofstream(not_json) << "{\"version\": 2, \"tables\": [";
    auto r = admin({"schema", "apply", not_json});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("is not JSON"), std::string::npos) << r.err;
    EXPECT_EQ(shown()["version"], 1);

    auto applied = admin({"schema", "apply", next_version(add_patrols), "--json"});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    EXPECT_EQ(parsed(applied)["version"], 2);
    auto v2 = shown();
    EXPECT_EQ(v2["version"], 2);
    EXPECT_EQ(table(v2, "border_patrol")["columns"][0]["name"], "commune_code");
    ASSERT_EQ(v2["history"].size(), 1u);
    EXPECT_EQ(v2["history"][0]["changes"], "column militia_member.phone TEXT; table border_patrol");
    EXPECT_EQ(v2["history"][0]["applied_by"], "admin");
    // The text form names each table with its scope and columns.
    auto text = admin({"schema", "show"});
    EXPECT_NE(text.out.find("schema version 2"), std::string::npos);
    EXPECT_NE(text.out.find("border_patrol (scope commune_code)"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("commune (global)"), std::string::npos);
}

TEST_F(schema_cli, an_old_tablet_follows_and_status_flags_the_one_still_behind) {
    auto a = enrol("01849"), b = enrol("01849");
    auto da = tablet(a, "a"), db = tablet(b, "b");
    synced(da);
    synced(db);
    exec(db, "INSERT INTO militia_member(id, commune_code, full_name) VALUES ('m1', '01849', 'Bế "
             "Văn Đàn')");
    ASSERT_EQ(admin({"schema", "apply", next_version(add_patrols)}).exit_code, 0);

    auto r = sync(da);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("moved from version 1 to 2"), std::string::npos) << r.err;
    EXPECT_EQ(status_of(da)["schema_version"], 2);
    exec(da, "INSERT INTO border_patrol(id, commune_code, route) VALUES ('bp1', '01849', 'Mốc "
             "120 – Pò Hèn')");
    synced(da);

    auto fleet = parsed(admin({"status", "--json"}));
    auto alerts_of = [&](const json& dev) {
        for (const auto& d : fleet)
            if (d["device_id"] == dev["device_id"]) return d;
        return json();
    };
    EXPECT_EQ(alerts_of(a)["schema_version"], 2);
    EXPECT_TRUE(alerts_of(a)["app_version"].get<std::string>().starts_with("noi-client/"));
    EXPECT_EQ(alerts_of(b)["schema_version"], 1);
    EXPECT_NE(alerts_of(b)["alerts"].dump().find("behind_schema"), std::string::npos);
    EXPECT_EQ(admin({"status", "--fail-if-any"}).exit_code, 1);

    // The tablet behind keeps its offline write, takes the schema and gets the new table's row.
    synced(db);
    EXPECT_EQ(status_of(db)["schema_version"], 2);
    EXPECT_EQ(value(db, "SELECT route FROM border_patrol WHERE id = 'bp1'"), "Mốc 120 – Pò Hèn");
    EXPECT_EQ(server_count("SELECT count(*) FROM militia_member WHERE id = 'm1'"), 1);
}

TEST_F(schema_cli, a_server_restored_behind_its_tablet_refuses_it_and_the_tablet_keeps_its_writes) {
    auto a = enrol("01849");
    auto da = tablet(a, "a");
    synced(da);
    auto snapshot = dir.file("snapshot.db");
    ASSERT_EQ(process::run({NOI_SERVER_BIN, "backup", "--data", data, "--to", snapshot}).exit_code,
              0);
    auto v2 = next_version(add_patrols);
    ASSERT_EQ(admin({"schema", "apply", v2}).exit_code, 0);
    synced(da);
    exec(da, "INSERT INTO border_patrol(id, commune_code, route) VALUES ('bp1', '01849', 'Mốc 7')");

    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    auto restored =
        process::run({NOI_SERVER_BIN, "restore", "--data", data, "--from", snapshot, "--json"});
    ASSERT_EQ(restored.exit_code, 0) << restored.err;
    start_server(url.substr(7));

    auto r = sync(da);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("schema is version 2 but the server's is 1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("noi-admin schema apply"), std::string::npos) << r.err;
    auto st = status_of(da);
    EXPECT_EQ(st["pending"], 1);
    EXPECT_EQ(st["rejected"], 0);

    ASSERT_EQ(admin({"schema", "apply", v2}).exit_code, 0);
    synced(da);
    EXPECT_EQ(status_of(da)["pending"], 0);
    EXPECT_EQ(server_count("SELECT count(*) FROM border_patrol WHERE id = 'bp1'"), 1);
}

// Issue 28, item 6: a schema of 10,100 empty tables was published (the database thread busy for
// 46.7 s), and then every tablet refused the WELCOME that carried it. A schema beyond what a
// tablet takes is refused with the limit named, before the database thread, and nothing changes.
TEST_F(schema_cli, a_schema_beyond_what_tablets_take_is_refused_and_tablets_go_on_syncing) {
    auto db = tablet(enrol("01849"), "a");
    synced(db);
    auto base = shown();
    base.erase("history");
    base["version"] = 2;
    auto with = [&](auto edit) {
        json s = base;
        edit(s["tables"]);
        return s.dump();
    };
    auto a_table = [](const std::string& name, int columns, std::size_t name_bytes = 1) {
        json t{{"name", name}, {"scope", nullptr}, {"columns", json::array()}};
        for (int i = 0; i < columns; ++i) {
            std::string column = "c";
            column += std::to_string(i);
            column.resize(std::max(column.size(), name_bytes), 'x');
            t["columns"].push_back({{"name", column}, {"type", "TEXT"}});
        }
        return t;
    };
    const std::vector<std::pair<std::string, std::string>> refused = {
        {with([&](json& t) {
             for (int i = 0; i < 10'100; ++i) {
                 std::string name = "t";
                 name += std::to_string(i);
                 t.push_back(a_table(name, 0));
             }
         }),
         "a schema holds at most 200 (max_schema_tables)"},
        {with([&](json& t) { t.push_back(a_table("wide", 64)); }), "more than 63 columns"},
        {with([&](json& t) { t.push_back(a_table(std::string(64, 'n'), 1)); }), "at most 63"},
        {with([&](json& t) { t.push_back(a_table("long_columns", 1, 64)); }), "at most 63"},
        {with([&](json& t) { t.push_back(a_table("Bảng-mới", 1)); }), "lower-case letters"},
        // Each table and name within its limit, all of them too much for one WELCOME.
        {with([&](json& t) {
             for (int i = 0; i < 60; ++i) {
                 std::string name = "w";
                 name += std::to_string(i);
                 name.resize(63, 'x');
                 t.push_back(a_table(name, 63, 63));
             }
         }),
         "KiB (max_schema_welcome_bytes)"},
    };
    const std::vector<std::pair<std::string, std::string>> as_admin{
        {"Authorization", "Bearer " + admin_token}, {"Content-Type", "application/json"}};
    for (const auto& [body, words] : refused) {
        ASSERT_LT(body.size(), 1u << 20) << words << ": the request must fit the HTTP limit";
        const auto started = std::chrono::steady_clock::now();
        auto a = test::http_probe(url, "POST", "/admin/v1/schema", as_admin, body);
        EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << words;
        EXPECT_EQ(a.status, 400u) << words;
        EXPECT_NE(a.body.find(words), std::string::npos) << a.body;
        EXPECT_NE(a.body.find("the schema stays at version 1"), std::string::npos) << a.body;
        EXPECT_EQ(shown()["version"], 1) << words;
        // Read before the queue, answered only once the credential is: none is still 401.
        EXPECT_EQ(test::http_probe(url, "POST", "/admin/v1/schema", {}, body).status, 401u);
    }
    auto file = dir.file("too-many.json");
    std::ofstream(file) << refused.front().first;
    auto cli = admin({"schema", "apply", file});
    EXPECT_EQ(cli.exit_code, 1);
    EXPECT_NE(cli.err.find("at most 200"), std::string::npos) << cli.err;

    exec(db, "INSERT INTO militia_member(id, commune_code, full_name) VALUES ('m1', '01849', 'Lò "
             "Văn Pọm')");
    synced(db);
    EXPECT_EQ(status_of(db)["schema_version"], 1);
    EXPECT_EQ(server_count("SELECT count(*) FROM militia_member WHERE id = 'm1'"), 1);

    // At the limit, it is published, and the tablet takes it.
    auto at_limit = next_version([&](json& s) {
        for (auto i = s["tables"].size(); i < 200; ++i)
            s["tables"].push_back(a_table("register_" + std::to_string(i), 2));
    });
    auto applied = admin({"schema", "apply", at_limit});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
    synced(db);
    EXPECT_EQ(status_of(db)["schema_version"], 2);
}

TEST_F(schema_cli, labels_are_published_and_printed_in_the_admins_language) {
    // Version 2 labels its new table and column in both languages, and relabels a value.
    auto file = next_version([](json& s) {
        add_patrols(s);
        auto& patrol = table(s, "border_patrol");
        patrol["label"] = {{"vi", "Tuần tra biên giới"}, {"en", "Border patrol"}};
        patrol["columns"][0]["label"] = {{"vi", "Tuyến"}, {"en", "Route"}};
        for (auto& c : table(s, "incident")["columns"])
            if (c["name"] == "category")
                for (auto& v : c["values"])
                    if (v["value"] == "drugs")
                        v["label"] = {{"vi", "Ma tuý, chất gây nghiện"}, {"en", "Drugs"}};
    });
    auto applied = parsed(admin({"schema", "apply", file, "--json"}));
    EXPECT_EQ(applied["changes"],
              "column militia_member.phone TEXT; table border_patrol; 3 labels");
    EXPECT_EQ(applied["unlabelled"], json({"militia_member.phone"}));
    auto v2 = shown();
    EXPECT_EQ(table(v2, "border_patrol")["label"]["vi"], "Tuần tra biên giới");
    EXPECT_EQ(table(v2, "household")["label"]["en"], "Household") << "the defaults stay";

    // A label that is not {"vi", "en"} is refused with where it is and what to write.
    auto bad = next_version([](json& s) { table(s, "household")["label"] = "Hộ"; });
    auto refused = admin({"schema", "apply", bad});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("table household: \"label\" must be {\"vi\""), std::string::npos)
        << refused.err;

    auto a = enrol("01849");
    auto db = tablet(a, "a");
    exec(db, "INSERT INTO incident(id, commune_code, category, severity) VALUES ('i1', '01849', "
             "'drugs', 'serious')");
    synced(db);
    auto vi = admin({"history", "--row", "i1", "--lang", "vi"});
    ASSERT_EQ(vi.exit_code, 0) << vi.err;
    EXPECT_NE(vi.out.find("Loại vụ việc (category)"), std::string::npos) << vi.out;
    EXPECT_NE(vi.out.find("Ma tuý, chất gây nghiện (drugs)"), std::string::npos) << vi.out;
    EXPECT_NE(vi.out.find("Nghiêm trọng (serious)"), std::string::npos) << vi.out;
    auto en = admin({"history", "--row", "i1", "--lang", "en"});
    EXPECT_NE(en.out.find("Category (category)"), std::string::npos) << en.out;
    EXPECT_NE(en.out.find("Serious (serious)"), std::string::npos) << en.out;
    auto shown_vi = admin({"schema", "show", "--lang", "vi"});
    EXPECT_NE(shown_vi.out.find("border_patrol (scope commune_code): Tuần tra biên giới"),
              std::string::npos)
        << shown_vi.out;

    // Without --lang, the language the environment names; English for any other.
    ::setenv("LANG", "vi_VN.UTF-8", 1);
    ::unsetenv("LC_ALL");
    ::unsetenv("LC_MESSAGES");
    auto by_env = admin({"history", "--row", "i1"});
    ::setenv("LANG", "C.UTF-8", 1);
    auto by_c = admin({"history", "--row", "i1"});
    EXPECT_NE(by_env.out.find("Mức độ (severity)"), std::string::npos) << by_env.out;
    EXPECT_NE(by_c.out.find("Severity (severity)"), std::string::npos) << by_c.out;
    EXPECT_EQ(admin({"history", "--row", "i1", "--lang", "fr"}).exit_code, 2);

    // The server's refusals come in the same language (docs/messages.md).
    auto missing_vi = admin({"conflicts", "show", "999", "--lang", "vi"});
    EXPECT_EQ(missing_vi.exit_code, 1);
    EXPECT_NE(missing_vi.err.find("không có xung đột 999"), std::string::npos) << missing_vi.err;
    auto missing_en = admin({"conflicts", "show", "999", "--lang", "en"});
    EXPECT_NE(missing_en.err.find("no conflict 999"), std::string::npos) << missing_en.err;
}
