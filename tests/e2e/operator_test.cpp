// A province IT officer's first week, command by command (docs/operations.md): the faults an
// officer met with the programs, each done the way the officer did it.
#include "server_process.hpp"
#include "test_certificate.hpp"

#include <admin/http_client.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

using namespace noi;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct operator_week : test::server_process {
    static std::size_t widest_line(const std::string& text,
                                   std::size_t (*width)(const std::string&)) {
        std::istringstream in(text);
        std::size_t widest = 0;
        for (std::string line; std::getline(in, line);)
            widest = std::max(widest, width(line));
        return widest;
    }
};

std::size_t code_points(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char ch : s)
        n += (ch & 0xC0) != 0x80;
    return n;
}

} // namespace

TEST_F(operator_week, every_program_tells_its_version) {
    for (const char* bin : {NOI_SERVER_BIN, NOI_CLIENT_BIN, NOI_ADMIN_BIN, NOI_SIM_BIN}) {
        auto r = process::run({bin, "--version"});
        EXPECT_EQ(r.exit_code, 0) << bin << r.err;
        EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(^noi-\w+ \d+\.\d+\.\d+)"))) << r.out;
    }
}

TEST_F(operator_week, arguments_with_spaces_commas_ampersands_and_vietnamese_arrive_whole) {
    auto dev =
        admin({"device", "add", "--commune", "01849", "--name", "Dương Quang, máy 1", "--json"});
    ASSERT_EQ(dev.exit_code, 0) << dev.err;
    auto list = admin({"conflicts", "list", "--commune", "Dương Quang", "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_EQ(parsed(list).size(), 0u);
    auto spaced = admin({"history", "--table", "household", "--row", "a b", "--json"});
    EXPECT_EQ(spaced.exit_code, 0) << spaced.err;
    // Before encoding, "&table=x" became a parameter and the server looked for a table x.
    auto injected = admin({"history", "--table", "household", "--row", "a&table=x", "--json"});
    EXPECT_EQ(injected.exit_code, 0) << injected.err;
    EXPECT_EQ(parsed(injected).size(), 0u);
    // An HTTP error from a server that answers is exit 1 with its reason, never "unreachable".
    auto missing = admin({"history", "--table", "khong_co", "--row", "x"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("no synced table named khong_co"), std::string::npos) << missing.err;
}

TEST_F(operator_week,
       a_certificate_for_an_ip_address_works_and_a_wrong_one_says_which_check_failed) {
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    auto by_ip = test::make_test_certificate(dir.path(), "IP:127.0.0.1");
    start_server("127.0.0.1:0", {"--tls-cert", by_ip.cert, "--tls-key", by_ip.key});
    const auto https = "https://" + url.substr(7);
    auto as_admin = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {NOI_ADMIN_BIN, "--server", https, "--token", admin_token});
        return process::run(args);
    };
    // --ca-file after the command, or from the environment.
    auto after = as_admin({"device", "list", "--ca-file", by_ip.cert});
    EXPECT_EQ(after.exit_code, 0) << after.err;
    auto env = process::run({"/usr/bin/env", "NOI_CA_FILE=" + by_ip.cert, NOI_ADMIN_BIN, "--server",
                             https, "--token", admin_token, "device", "list"});
    EXPECT_EQ(env.exit_code, 0) << env.err;
    auto no_ca = as_admin({"device", "list"});
    EXPECT_EQ(no_ca.exit_code, 1);
    EXPECT_NE(no_ca.err.find("not signed by a CA this machine trusts"), std::string::npos)
        << no_ca.err;

    // A replica keeps the CA's absolute path: sync works from any directory.
    auto dev = parsed(
        as_admin({"device", "add", "--commune", "01849", "--json", "--ca-file", by_ip.cert}));
    const auto relative = std::filesystem::relative(by_ip.cert, std::filesystem::current_path());
    auto db = dir.file("t.db");
    ASSERT_EQ(client({"init", "--db", db, "--server", https, "--token", dev["token"], "--ca-file",
                      relative.string()})
                  .exit_code,
              0);
    auto sync = process::run(
        {"/bin/sh", "-c",
         "cd / && " + std::string(NOI_CLIENT_BIN) + " sync --db " + db + " --timeout 20"});
    EXPECT_EQ(sync.exit_code, 0) << sync.err;

    // The certificate names only a DNS name, and the server is reached by address.
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    test::temp_dir other;
    auto by_name = test::make_test_certificate(other.path(), "DNS:sync.backan.example");
    start_server(url.substr(7), {"--tls-cert", by_name.cert, "--tls-key", by_name.key});
    auto wrong = as_admin({"device", "list", "--ca-file", by_name.cert});
    EXPECT_EQ(wrong.exit_code, 1) << "a setting to fix, not a network to wait for";
    EXPECT_NE(wrong.err.find("does not name 127.0.0.1"), std::string::npos) << wrong.err;
    EXPECT_NE(wrong.err.find("subjectAltName=IP:127.0.0.1"), std::string::npos) << wrong.err;
}

TEST_F(operator_week, the_fleet_status_is_narrow_local_and_alerts_a_cron_job) {
    auto a = enrol("01849");
    auto lost = enrol("01864"); // listed after 01849
    auto da = tablet(a, "a"), dl = tablet(lost, "l");
    exec(da, "INSERT INTO incident(commune_code) VALUES ('01849')");
    exec(da, "INSERT INTO incident(commune_code) VALUES ('01849')");
    synced(da);
    synced(dl);
    EXPECT_EQ(admin({"status", "--silent-days", "-1"}).exit_code, 2);
    EXPECT_EQ(admin({"status", "--silent-days", "0"}).exit_code, 2);

    auto fleet = parsed(admin({"status", "--json"}));
    ASSERT_EQ(fleet.size(), 2u);
    EXPECT_EQ(fleet[0]["pending"], 0) << "what is pending after the round, not at its HELLO";
    EXPECT_TRUE(fleet[0]["oldest_pending_at"].is_null()) << "nothing waits since any time";
    EXPECT_EQ(fleet[0]["commune_name"], "Xã Phong Quang");
    EXPECT_TRUE(fleet[0]["alerts"].empty()) << fleet[0];
    EXPECT_EQ(admin({"status", "--fail-if-any"}).exit_code, 0);

    ASSERT_EQ(admin({"device", "revoke", lost["device_id"]}).exit_code, 0);
    EXPECT_EQ(client({"sync", "--db", dl, "--timeout", "5"}).exit_code, 4);
    auto table = admin({"status"});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_LE(widest_line(table.out, code_points), 110u) << table.out;
    EXPECT_NE(table.out.find("revoked_connecting"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("Xã Phong Quang"), std::string::npos) << table.out;
    EXPECT_NE(table.out.find("noi-client/"), std::string::npos) << table.out;
    EXPECT_TRUE(std::regex_search(table.out, std::regex(R"(\d\d/\d\d/20\d\d \d\d:\d\d)")))
        << table.out;
    auto cron = admin({"status", "--silent-days", "7", "--fail-if-any"});
    EXPECT_EQ(cron.exit_code, 1);
    EXPECT_NE(cron.err.find("1 of 2 devices need attention"), std::string::npos) << cron.err;
}

// Issue 28, item 15: a tablet enrolled a minute ago was silent on the home page, in /metrics
// and for status --fail-if-any, before it could have synced once.
TEST_F(operator_week, a_device_enrolled_now_is_silent_only_once_the_threshold_passed_since) {
    const auto dev = enrol("01849");
    const auto id = dev["device_id"].get<std::string>();
    // What waiting would do, without the wait: the server reads the enrolment time from its
    // database at each request.
    auto days_pass = [&](int days) {
        test::server_exec(data, "UPDATE noi_devices SET created_at = created_at - " +
                                    std::to_string(days * 86'400'000LL) + " WHERE device_id = '" +
                                    id + "'");
    };
    auto row = [&] { return parsed(admin({"status", "--json"})).at(0); };
    auto summary_silent = [&] {
        auto r = noi::admin::request(url, "GET", "/admin/v1/summary", admin_token, "");
        return json::parse(r.body).at("silent").get<int>();
    };
    auto metrics_silent = [&] {
        const auto text = noi::admin::request(url, "GET", "/metrics", "", "").body;
        const std::string line = "\nnoi_devices_silent{commune=\"01849\"} ";
        const auto at = text.find(line);
        return at == std::string::npos ? 0 : std::stoi(text.substr(at + line.size()));
    };

    EXPECT_EQ(row()["silent"], false);
    EXPECT_TRUE(row()["alerts"].empty()) << row();
    EXPECT_EQ(admin({"status", "--fail-if-any"}).exit_code, 0);
    EXPECT_EQ(summary_silent(), 0);
    EXPECT_EQ(metrics_silent(), 0);

    // Six days on, a day of the default seven is left; a five-day threshold finds it silent.
    days_pass(6);
    EXPECT_EQ(admin({"status", "--fail-if-any"}).exit_code, 0);
    auto strict = admin({"status", "--silent-days", "5", "--fail-if-any"});
    EXPECT_EQ(strict.exit_code, 1);
    EXPECT_NE(strict.err.find("1 of 1 devices need attention"), std::string::npos) << strict.err;

    // Eight days on and never heard from: silent everywhere.
    days_pass(2);
    EXPECT_EQ(row()["silent"], true);
    EXPECT_EQ(row()["alerts"], json::array({"silent"}));
    EXPECT_EQ(admin({"status", "--fail-if-any"}).exit_code, 1);
    EXPECT_EQ(summary_silent(), 1);
    std::this_thread::sleep_for(1100ms); // /metrics counts at most once a second
    EXPECT_EQ(metrics_silent(), 1);

    // Its first sync is a contact: not silent any more, whenever it was enrolled.
    synced(tablet(dev, "late"));
    EXPECT_EQ(row()["silent"], false);
    EXPECT_EQ(admin({"status", "--fail-if-any"}).exit_code, 0);
    EXPECT_EQ(summary_silent(), 0);
}

TEST_F(operator_week, quarantine_shows_a_rejected_rows_values_and_discards_in_bulk) {
    auto a = enrol("01849");
    auto da = tablet(a, "a");
    // Before its first sync the tablet does not know its commune.
    exec(da, "INSERT INTO incident(id, commune_code, summary) VALUES ('x', '01864', 'ghi nhầm')");
    exec(da, "INSERT INTO commune(id, name, kind) VALUES ('09998', 'Giả một', 'xa')");
    exec(da, "INSERT INTO commune(id, name, kind) VALUES ('09999', 'Giả hai', 'xa')");
    ASSERT_EQ(sync(da).exit_code, 0);
    auto q = parsed(admin({"quarantine", "list", "--json"}));
    ASSERT_EQ(q.size(), 3u);
    auto show =
        parsed(admin({"quarantine", "show", std::to_string(q[0]["id"].get<int>()), "--json"}));
    EXPECT_EQ(show["reason"], "out_of_scope");
    EXPECT_EQ(show["values"]["summary"], "ghi nhầm");
    EXPECT_EQ(show["device_id"], a["device_id"]);
    auto text = admin({"quarantine", "show", std::to_string(q[0]["id"].get<int>())});
    EXPECT_NE(text.out.find("ghi nhầm"), std::string::npos) << text.out;
    EXPECT_EQ(admin({"quarantine", "discard"}).exit_code, 2);
    auto bulk =
        parsed(admin({"quarantine", "discard", "--all", "--reason", "global_table", "--json"}));
    EXPECT_EQ(bulk["discarded"], 2);
    EXPECT_EQ(parsed(admin({"quarantine", "list", "--json"})).size(), 1u);
    ASSERT_EQ(sync(da).exit_code, 0);
    auto st = parsed(client({"status", "--db", da, "--json"}));
    EXPECT_EQ(st["rejected"], 1) << "the discarded rows left the tablet's list";
    auto later = client({"sync", "--db", da});
    EXPECT_EQ(later.err.find("global_table"), std::string::npos) << later.err;
}

TEST_F(operator_week, conflicts_name_their_devices_and_keep_takes_a_name_typed_either_way) {
    auto a = parsed(
        admin({"device", "add", "--commune", "01849", "--name", "Dương Quang máy 1", "--json"}));
    auto b = enrol("01849");
    auto da = tablet(a, "a"), db = tablet(b, "b");
    exec(da, "INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
    synced(da);
    synced(db);
    exec(da, "UPDATE household SET members = 5");
    exec(db, "UPDATE household SET members = 6");
    synced(da);
    synced(db);
    auto list = parsed(admin({"conflicts", "list", "--json"}));
    ASSERT_EQ(list.size(), 1u);
    bool named = false;
    for (const auto& v : list[0]["versions"])
        named |= v["device_name"] == "Dương Quang máy 1";
    EXPECT_TRUE(named) << list[0];
    auto table = admin({"conflicts", "list"});
    EXPECT_NE(table.out.find("Dương Quang máy 1"), std::string::npos) << table.out;
    // The name typed decomposed (NFD), as some keyboards do: u+031B, o+031B, a+0301.
    const std::string nfd = "D\x75\xcc\x9b\x6f\xcc\x9bng Quang ma\xcc\x81y 1";
    auto found =
        parsed(admin({"device", "list", "--name", "D\x75\xcc\x9b\x6f\xcc\x9bng", "--json"}));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]["device_id"], a["device_id"]);
    auto twin = admin({"device", "add", "--commune", "01849", "--name", nfd});
    EXPECT_EQ(twin.exit_code, 0) << twin.err;
    EXPECT_NE(twin.err.find("has the same name"), std::string::npos)
        << "the same name typed decomposed is a duplicate: " << twin.err;
    auto kept = admin({"conflicts", "resolve", std::to_string(list[0]["id"].get<int>()), "--keep",
                       nfd, "--json"});
    ASSERT_EQ(kept.exit_code, 0) << kept.err;
    synced(db);
    EXPECT_EQ(parsed(client(
                  {"query", "--db", db, "SELECT members FROM household", "--json"}))[0]["members"],
              5);
}

TEST_F(operator_week, dates_are_iso_at_the_keyboard_and_the_report_follows_its_written_rules) {
    auto a = enrol("01849");
    auto da = tablet(a, "a");
    synced(da);
    auto typed = client({"exec", "--db", da,
                         "INSERT INTO assessment(commune_code, year, c19_1_met, c19_2_met, "
                         "decided_on) VALUES ('01849', 2026, 0, 0, '05/12/2026')"});
    EXPECT_EQ(typed.exit_code, 1);
    EXPECT_NE(typed.err.find("write 2026-12-05, not 05/12/2026"), std::string::npos) << typed.err;
    // Met on 20 November, withdrawn on 5 December: the later decision counts.
    exec(da, "INSERT INTO assessment(commune_code, year, c19_1_met, c19_2_met, decided_on) "
             "VALUES ('01849', 2026, 1, 1, '2026-11-20')");
    exec(da, "INSERT INTO assessment(id, commune_code, year, c19_1_met, c19_2_met, decided_on) "
             "VALUES ('w', '01849', 2026, 1, 0, '2026-12-05')");
    synced(da);
    auto report = parsed(admin({"report", "criterion19", "--year", "2026", "--json"}));
    EXPECT_EQ(report["province"]["met"], 0);
    // The same date twice: the row edited last decides.
    exec(da, "UPDATE assessment SET c19_2_met = 1 WHERE id = 'w'");
    synced(da);
    report = parsed(admin({"report", "criterion19", "--year", "2026", "--json"}));
    EXPECT_EQ(report["province"]["met"], 1);
    bool listed = false;
    for (const auto& c : report["communes"])
        if (c["code"] == "01849") {
            listed = true;
            EXPECT_EQ(c["name"], "Xã Phong Quang");
            EXPECT_EQ(c["decided_on"], "2026-12-05");
            EXPECT_EQ(c["met"], true);
        }
    EXPECT_TRUE(listed);
    auto csv = admin({"report", "criterion19", "--year", "2026", "--csv", "--by-commune"});
    EXPECT_EQ(csv.out.rfind("\xEF\xBB\xBF"
                            "commune_code,commune,province_code,province,met",
                            0),
              0u)
        << csv.out;
    EXPECT_NE(csv.out.find("01849,Xã Phong Quang,19,Tỉnh Thái Nguyên,1,2026-12-05"),
              std::string::npos)
        << csv.out;
    auto plain = admin({"report", "criterion19", "--year", "2026", "--csv", "--no-bom"});
    EXPECT_EQ(plain.out.rfind("province_code,province,met,total\n", 0), 0u) << plain.out;

    // The workbook, written to a file: the communes' sheet holds the commune's Vietnamese name.
    const auto book = dir.file("tiêu chí 19.xlsx");
    auto wrote = admin({"report", "criterion19", "--year", "2026", "--xlsx", book});
    ASSERT_EQ(wrote.exit_code, 0) << wrote.err;
    EXPECT_NE(wrote.out.find("wrote "), std::string::npos) << wrote.out;
    EXPECT_FALSE(std::filesystem::exists(book + ".part"));
    auto strings = process::run({"/usr/bin/python3", "-c",
                                 "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1])"
                                 ".read('xl/sharedStrings.xml').decode())",
                                 book});
    ASSERT_EQ(strings.exit_code, 0) << strings.err;
    EXPECT_NE(strings.out.find("Xã Phong Quang"), std::string::npos) << strings.out;
    EXPECT_NE(strings.out.find("Đạt"), std::string::npos) << strings.out;
    EXPECT_EQ(admin({"report", "criterion19", "--csv", "--xlsx", book}).exit_code, 2)
        << "one file kind at a time";
}

TEST_F(operator_week, the_service_installs_with_its_unit_and_the_unit_is_valid) {
    const auto build = std::filesystem::path(NOI_SERVER_BIN).parent_path().parent_path();
    test::temp_dir root;
    auto r = process::run({"/bin/bash", std::string(NOI_SOURCE_DIR) + "/scripts/install-service.sh",
                           "--root", root.path(), "--build", build.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* f :
         {"/usr/local/bin/noi-server", "/usr/local/bin/noi-admin", "/usr/local/bin/noi-client",
          "/etc/noi/noi-server.env", "/etc/systemd/system/noi-server.service",
          // and for a machine without systemd (tests/packaging/noi_serverctl_test.sh runs it)
          "/usr/local/sbin/noi-serverctl", "/etc/logrotate.d/noi-server"})
        EXPECT_TRUE(std::filesystem::exists(root.path() + f)) << f;
    std::ifstream in(root.path() + "/etc/systemd/system/noi-server.service");
    std::string unit((std::istreambuf_iterator<char>(in)), {});
    for (const char* line :
         {"User=noi", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "Restart=on-failure",
          "ExecReload=/bin/kill -HUP $MAINPID", "--data /var/lib/noi"})
        EXPECT_NE(unit.find(line), std::string::npos) << line;
    if (!std::filesystem::exists("/usr/bin/systemd-analyze"))
        GTEST_SKIP() << "no systemd-analyze to check the unit with";
    // The unit as installed, pointed at the programs under the test's root.
    std::string local = unit;
    for (auto at = local.find("/usr/local/bin/"); at != std::string::npos;
         at = local.find("/usr/local/bin/", at + root.path().size() + 1))
        local.insert(at, root.path());
    const auto copy = root.file("noi-server.service");
    std::ofstream(copy) << local;
    auto verify = process::run({"/usr/bin/systemd-analyze", "verify", copy});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(operator_week, sighup_loads_a_renewed_certificate_and_each_session_leaves_one_log_line) {
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    test::temp_dir first, second;
    auto old_cert = test::make_test_certificate(first.path(), "IP:127.0.0.1");
    auto renewed = test::make_test_certificate(second.path(), "IP:127.0.0.1");
    const auto cert = dir.file("cert.pem"), key = dir.file("key.pem");
    std::filesystem::copy_file(old_cert.cert, cert);
    std::filesystem::copy_file(old_cert.key, key);
    start_server("127.0.0.1:0", {"--tls-cert", cert, "--tls-key", key});
    const auto https = "https://" + url.substr(7);
    auto list = [&](const std::string& ca) {
        return process::run({NOI_ADMIN_BIN, "--server", https, "--token", admin_token, "--ca-file",
                             ca, "device", "list"});
    };
    ASSERT_EQ(list(old_cert.cert).exit_code, 0);
    EXPECT_EQ(list(renewed.cert).exit_code, 1);

    std::filesystem::copy_file(renewed.cert, cert,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(renewed.key, key, std::filesystem::copy_options::overwrite_existing);
    server->signal(SIGHUP);
    ASSERT_TRUE(server->wait_for_stderr("reloaded the certificate", 10s)) << server->stderr_text();
    EXPECT_EQ(list(renewed.cert).exit_code, 0);
    EXPECT_EQ(list(old_cert.cert).exit_code, 1);

    auto dev =
        parsed(process::run({NOI_ADMIN_BIN, "--server", https, "--token", admin_token, "--ca-file",
                             renewed.cert, "device", "add", "--commune", "01849", "--json"}));
    auto db = dir.file("t.db");
    ASSERT_EQ(client({"init", "--db", db, "--server", https, "--token", dev["token"], "--ca-file",
                      renewed.cert})
                  .exit_code,
              0);
    exec(db, "INSERT INTO incident(commune_code, summary) VALUES ('01849', 'bí mật')");
    synced(db);
    auto line = server->wait_for_stderr(
        "sync session of device " + dev["device_id"].get<std::string>(), 10s);
    ASSERT_TRUE(line) << server->stderr_text();
    EXPECT_NE(line->find("pushed 1 rows"), std::string::npos) << *line;
    EXPECT_NE(line->find("synced"), std::string::npos) << *line;
    const auto log = server->stderr_text();
    EXPECT_EQ(log.find(dev["token"].get<std::string>()), std::string::npos);
    EXPECT_EQ(log.find("bí mật"), std::string::npos);
}
