// A real noi-server process in a fresh data directory, for tests of the programs as users run
// them: start (and restart on the same port), the admin and client programs, and reading the
// server's database directly. The test target defines NOI_SERVER_BIN, NOI_CLIENT_BIN and
// NOI_ADMIN_BIN.
#pragma once

#include "child_process.hpp"
#include "server_db.hpp"
#include "temp_dir.hpp"

#include <noi/sync/database.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace noi::test {

struct server_process : ::testing::Test {
    test::temp_dir dir;
    std::string data = dir.file("server");
    test::test_store store;
    std::string admin_token;
    std::unique_ptr<process::child_process> server;
    std::string url;

    void start_server(const std::string& listen = "127.0.0.1:0",
                      const std::vector<std::string>& options = {}) {
        std::vector<std::string> argv{NOI_SERVER_BIN, "serve", "--data", data, "--listen", listen};
        argv.insert(argv.end(), options.begin(), options.end());
        server = std::make_unique<process::child_process>(argv, dir.path());
        auto line = server->wait_for_stderr("listening on ", std::chrono::seconds(20));
        ASSERT_TRUE(line) << server->stderr_text();
        url = "http://" + line->substr(line->find("listening on ") + 13);
    }

    // `noi-server init` of the test's server, on the store the run asks for (server_db.hpp),
    // with `options` added.
    process::run_result init_server(const std::vector<std::string>& options = {}) {
        std::vector<std::string> argv{NOI_SERVER_BIN, "init", "--data", data};
        const auto where = store.init_options();
        argv.insert(argv.end(), where.begin(), where.end());
        argv.insert(argv.end(), options.begin(), options.end());
        return process::run(argv);
    }

    void SetUp() override {
        auto r = init_server();
        ASSERT_EQ(r.exit_code, 0) << r.err;
        admin_token = r.out.substr(0, r.out.find('\n'));
        start_server();
    }

    // One statement that runs `insert_select` (reading i from n) for i in [from, to]: a large
    // backlog written in one go.
    static std::string for_each_i(int from, int to, const std::string& insert_select) {
        return "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(from) +
               " UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(to) + ") " +
               insert_select;
    }

    process::run_result admin(std::vector<std::string> args) {
        std::vector<std::string> argv{NOI_ADMIN_BIN, "--server", url, "--token", admin_token};
        argv.insert(argv.end(), args.begin(), args.end());
        return process::run(argv);
    }
    process::run_result client(std::vector<std::string> args) {
        args.insert(args.begin(), NOI_CLIENT_BIN);
        return process::run(args, std::chrono::seconds(120));
    }
    // The JSON a command printed; the command's stderr is reported when there is none.
    static nlohmann::json parsed(const process::run_result& r) {
        auto j = nlohmann::json::parse(r.out, nullptr, false);
        if (j.is_discarded()) {
            ADD_FAILURE() << "no JSON (exit " << r.exit_code << "): " << r.out << r.err;
            return nlohmann::json::array();
        }
        return j;
    }
    nlohmann::json enrol(const std::string& commune) {
        auto r = admin({"device", "add", "--commune", commune, "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return nlohmann::json::parse(r.out);
    }
    // A tablet replica for an enrolment, made with noi-client init.
    std::string tablet(const nlohmann::json& dev, const std::string& name) {
        auto db = dir.file(name + ".db");
        EXPECT_EQ(client({"init", "--db", db, "--server", url, "--token", dev["token"]}).exit_code,
                  0);
        return db;
    }
    void exec(const std::string& db, const std::string& sql) {
        auto r = client({"exec", "--db", db, sql});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    process::run_result sync(const std::string& db) {
        return client({"sync", "--db", db, "--timeout", "30"});
    }
    // A sync that must finish, with nothing rejected.
    void synced(const std::string& db) {
        auto r = sync(db);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.err.find("rejected by the server"), std::string::npos) << r.err;
    }
    // The first column of a query's first row on a tablet, as text; "<none>" for no row.
    std::string value(const std::string& db, const std::string& sql) {
        auto rows = parsed(client({"query", "--db", db, sql, "--json"}));
        if (rows.empty() || rows[0].empty()) return "<none>";
        auto v = rows[0].begin().value();
        return v.is_string() ? v.get<std::string>() : v.dump();
    }
    // The server's schema as version 2 with the table border_patrol (commune_code, route), in a
    // file for noi-admin schema apply.
    std::string schema_with_border_patrol() {
        auto s = parsed(admin({"schema", "show", "--json"}));
        s.erase("history");
        s["version"] = 2;
        s["tables"].push_back({{"name", "border_patrol"},
                               {"scope", "commune_code"},
                               {"columns", {{{"name", "route"}, {"type", "TEXT"}}}}});
        const auto file = dir.file("v2.json");
        std::ofstream(file) << s.dump();
        return file;
    }
    std::int64_t server_count(const std::string& sql) { return test::server_count(data, sql); }
};

} // namespace noi::test
