// The programs as a user runs them (CLI.md): real processes, exit codes, JSON fields, and the
// server killed with SIGKILL in the middle of a large push.
#include "server_process.hpp"
#include "test_certificate.hpp"

#include <noi/client/transport.hpp>
#include <noi/protocol/codec.hpp>
#include <noi/sync/database.hpp>
#include <noi/sync/hlc.hpp>

#include <admin/http_client.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <thread>

using namespace noi;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct cli : test::server_process {};

} // namespace

TEST_F(cli, init_refuses_a_directory_that_holds_a_server) {
    auto r = init_server();
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("already holds"), std::string::npos);
    EXPECT_EQ(admin_token.size(), 48u);
}

TEST_F(cli, serve_stops_cleanly_on_sigterm) {
    server->signal(SIGTERM);
    EXPECT_EQ(server->wait(10s), 0);
}

TEST_F(cli, wrong_usage_exits_2) {
    EXPECT_EQ(process::run({NOI_SERVER_BIN, "serve", "--data", data}).exit_code, 2);
    EXPECT_EQ(process::run({NOI_CLIENT_BIN, "sync"}).exit_code, 2);
    EXPECT_EQ(process::run({NOI_ADMIN_BIN, "device"}).exit_code, 2);
    EXPECT_EQ(process::run({NOI_CLIENT_BIN, "--help"}).exit_code, 0);
}

TEST_F(cli, a_tablet_writes_offline_and_syncs_with_the_documented_exit_codes) {
    auto dev = enrol("01849");
    auto db = dir.file("tablet.db");
    ASSERT_EQ(client({"init", "--db", db, "--server", url, "--token", dev["token"]}).exit_code, 0);
    EXPECT_EQ(client({"init", "--db", db, "--server", url, "--token", dev["token"]}).exit_code, 1);
    ASSERT_EQ(client({"exec", "--db", db,
                      "INSERT INTO militia_member(commune_code, full_name, birth_year) VALUES "
                      "('01849', 'Hoàng Thị Lan', 2001)"})
                  .exit_code,
              0);
    auto st = parsed(client({"status", "--db", db, "--json"}));
    EXPECT_EQ(st["pending"], 1);
    EXPECT_TRUE(st["last_sync_at"].is_null());
    auto s = client({"sync", "--db", db});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    st = parsed(client({"status", "--db", db, "--json"}));
    EXPECT_EQ(st["pending"], 0);
    EXPECT_EQ(st["rejected"], 0);
    EXPECT_TRUE(st["last_sync_at"].is_string());
    EXPECT_GT(st["server_seq"].get<int>(), 0);
    auto q = parsed(client(
        {"query", "--db", db, "SELECT full_name, birth_year FROM militia_member", "--json"}));
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0]["full_name"], "Hoàng Thị Lan");
    EXPECT_TRUE(q[0]["birth_year"].is_number_integer());
    // Outside the scope the tablet now knows: refused at the keyboard, exit 1 with a message.
    auto out = client({"exec", "--db", db, "INSERT INTO incident(commune_code) VALUES ('01864')"});
    EXPECT_EQ(out.exit_code, 1);
    EXPECT_NE(out.err.find("enrolled for commune 01849"), std::string::npos) << out.err;

    auto revoked = admin({"device", "revoke", dev["device_id"], "--json"});
    ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
    EXPECT_EQ(json::parse(revoked.out)["revoked"], true);
    EXPECT_EQ(client({"sync", "--db", db, "--timeout", "5"}).exit_code, 4);
    auto list = parsed(admin({"device", "list", "--json"}));
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0]["revoked"], true);
    EXPECT_TRUE(list[0]["last_sync_at"].is_null() || list[0]["last_sync_at"].is_string());
}

TEST_F(cli, an_unreachable_server_exits_3_and_a_bad_admin_token_exits_4) {
    auto dev = enrol("01849");
    auto db = dir.file("t.db");
    ASSERT_EQ(
        client({"init", "--db", db, "--server", "http://127.0.0.1:1", "--token", dev["token"]})
            .exit_code,
        0);
    EXPECT_EQ(client({"sync", "--db", db, "--timeout", "1"}).exit_code, 3);
    EXPECT_EQ(process::run({NOI_ADMIN_BIN, "--server", url, "--token", "wrong", "device", "list"})
                  .exit_code,
              4);
    EXPECT_EQ(process::run({NOI_ADMIN_BIN, "--server", "http://127.0.0.1:1", "--token", "x",
                            "device", "list"})
                  .exit_code,
              3);
}

TEST_F(cli, a_server_killed_in_the_middle_of_a_large_push_loses_nothing_acknowledged) {
    auto dev = enrol("01849");
    auto db = dir.file("big.db");
    ASSERT_EQ(client({"init", "--db", db, "--server", url, "--token", dev["token"]}).exit_code, 0);
    std::string sql =
        for_each_i(1, 20000,
                   "INSERT INTO household(commune_code, village, head_name, members) "
                   "SELECT '01849', 'Thôn ' || (i % 12), 'Chủ hộ ' || i, i % 7 FROM n");
    ASSERT_EQ(client({"exec", "--db", db, sql}).exit_code, 0);
    process::child_process sync({NOI_CLIENT_BIN, "sync", "--db", db, "--timeout", "180"},
                                dir.path());
    // Kill the server once part of the backlog is in.
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline &&
           server_count("SELECT count(*) FROM household") == 0)
        std::this_thread::sleep_for(20ms);
    auto before = server_count("SELECT count(*) FROM household");
    server->signal(SIGKILL);
    EXPECT_EQ(server->wait(10s), 128 + SIGKILL);
    ASSERT_LT(before, 20000) << "the push finished before the kill; make the backlog larger";
    start_server(url.substr(7));
    EXPECT_EQ(sync.wait(180s), 0) << sync.stderr_text();
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), 20000);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log WHERE tbl = 'household'"), 20000);
    auto st = parsed(client({"status", "--db", db, "--json"}));
    EXPECT_EQ(st["pending"], 0);
}

TEST_F(cli, watch_syncs_after_local_changes_and_server_notifications_until_interrupted) {
    auto a = enrol("01849"), other = enrol("01849");
    auto db = dir.file("watching.db"), db2 = dir.file("other.db");
    ASSERT_EQ(client({"init", "--db", db, "--server", url, "--token", a["token"]}).exit_code, 0);
    ASSERT_EQ(client({"init", "--db", db2, "--server", url, "--token", other["token"]}).exit_code,
              0);
    process::child_process watch({NOI_CLIENT_BIN, "watch", "--db", db}, dir.path());
    ASSERT_TRUE(watch.wait_for_stderr("synced", 20s)) << watch.stderr_text();
    // Idle, it waits on one open connection instead of running rounds (it ran one a second).
    std::this_thread::sleep_for(3s);
    auto rounds = [&] {
        const auto text = watch.stderr_text();
        std::size_t n = 0;
        for (auto at = text.find("synced:"); at != std::string::npos;
             at = text.find("synced:", at + 1))
            ++n;
        return n;
    };
    EXPECT_LE(rounds(), 2u) << watch.stderr_text();

    auto wait_until = [](auto pred) {
        auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline && !pred())
            std::this_thread::sleep_for(50ms);
        return pred();
    };
    // A change made elsewhere reaches the watching tablet through NOTIFY.
    ASSERT_EQ(client({"exec", "--db", db2,
                      "INSERT INTO incident(id, commune_code) VALUES ('from-other', '01849')"})
                  .exit_code,
              0);
    ASSERT_EQ(client({"sync", "--db", db2}).exit_code, 0);
    EXPECT_TRUE(wait_until([&] {
        auto r = client({"query", "--db", db,
                         "SELECT count(*) AS n FROM incident WHERE id = 'from-other'", "--json"});
        return r.exit_code == 0 && json::parse(r.out)[0]["n"] == 1;
    }));
    // A local change by another process goes up without anyone running sync.
    ASSERT_EQ(client({"exec", "--db", db,
                      "INSERT INTO incident(id, commune_code) VALUES ('local', '01849')"})
                  .exit_code,
              0);
    EXPECT_TRUE(wait_until(
        [&] { return server_count("SELECT count(*) FROM incident WHERE id = 'local'") == 1; }));
    watch.signal(SIGINT);
    EXPECT_EQ(watch.wait(15s), 0);
}

TEST_F(cli, serve_without_tls_refuses_to_listen_beyond_loopback) {
    auto r = process::run({NOI_SERVER_BIN, "serve", "--data", data, "--listen", "0.0.0.0:0"}, 20s);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--behind-tls-proxy"), std::string::npos) << r.err;
}

// A metrics token file it cannot read, or one without a token, stops serve: serving /metrics
// without the token the operator meant to require would open it to anyone.
TEST_F(cli, serve_refuses_a_metrics_token_file_it_cannot_read_or_that_holds_no_token) {
    auto serve_with = [&](const std::string& file) {
        return process::run({NOI_SERVER_BIN, "serve", "--data", data, "--listen", "127.0.0.1:0",
                             "--metrics-token-file", file},
                            20s);
    };
    auto r = serve_with(dir.file("no-such-file"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
    // Not a file it can read (a root test cannot make an unreadable one): a FIFO, which
    // opening would wait on forever.
    ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
    r = serve_with(dir.file("fifo"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("cannot read the metrics token file"), std::string::npos) << r.err;
    std::ofstream(dir.file("empty-token")) << "\n";
    r = serve_with(dir.file("empty-token"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("holds no token"), std::string::npos) << r.err;
}

TEST_F(cli, an_admin_settles_a_conflict_and_both_tablets_end_with_the_admins_value) {
    auto a = enrol("01849"), b = enrol("01849");
    auto da = dir.file("a.db"), db = dir.file("b.db");
    ASSERT_EQ(client({"init", "--db", da, "--server", url, "--token", a["token"]}).exit_code, 0);
    ASSERT_EQ(client({"init", "--db", db, "--server", url, "--token", b["token"]}).exit_code, 0);
    ASSERT_EQ(client({"exec", "--db", da,
                      "INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)"})
                  .exit_code,
              0);
    ASSERT_EQ(client({"sync", "--db", da}).exit_code, 0);
    ASSERT_EQ(client({"sync", "--db", db}).exit_code, 0);
    ASSERT_EQ(client({"exec", "--db", da, "UPDATE household SET members = 5"}).exit_code, 0);
    ASSERT_EQ(client({"exec", "--db", db, "UPDATE household SET members = 6"}).exit_code, 0);
    ASSERT_EQ(client({"sync", "--db", da}).exit_code, 0);
    ASSERT_EQ(client({"sync", "--db", db}).exit_code, 0);

    auto list = admin({"conflicts", "list", "--json"});
    ASSERT_EQ(list.exit_code, 0) << list.err;
    auto conflicts = json::parse(list.out);
    ASSERT_EQ(conflicts.size(), 1u);
    auto& c = conflicts[0];
    EXPECT_EQ(c["kind"], "update");
    EXPECT_EQ(c["column"], "members");
    EXPECT_EQ(c["commune"], "01849");
    EXPECT_EQ(c["status"], "open");
    ASSERT_EQ(c["versions"].size(), 2u);
    int winners = 0;
    for (const auto& v : c["versions"]) {
        winners += v["winner"].get<bool>();
        EXPECT_TRUE(v["hlc"].is_string());
        EXPECT_TRUE(v["time"].is_string());
    }
    EXPECT_EQ(winners, 1);
    auto id = std::to_string(c["id"].get<int>());
    auto show = parsed(admin({"conflicts", "show", id, "--json"}));
    EXPECT_EQ(show["row"]["members"], 6);

    EXPECT_EQ(admin({"conflicts", "resolve", id, "--value", "{not json"}).exit_code, 2);
    EXPECT_EQ(admin({"conflicts", "resolve", "999", "--value", "7"}).exit_code, 1);
    auto resolved = admin({"conflicts", "resolve", id, "--value", "7", "--json"});
    ASSERT_EQ(resolved.exit_code, 0) << resolved.err;
    EXPECT_EQ(json::parse(resolved.out)["status"], "resolved");
    auto again = admin({"conflicts", "resolve", id, "--keep", a["device_id"]});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.err.find("already resolved"), std::string::npos) << again.err;

    ASSERT_EQ(client({"sync", "--db", da}).exit_code, 0);
    ASSERT_EQ(client({"sync", "--db", db}).exit_code, 0);
    for (const auto& d : {da, db})
        EXPECT_EQ(parsed(client({"query", "--db", d, "SELECT members FROM household",
                                 "--json"}))[0]["members"],
                  7);
    EXPECT_EQ(parsed(admin({"conflicts", "list", "--json"})).size(), 0u);
    auto resolved_list = parsed(admin({"conflicts", "list", "--status", "resolved", "--json"}));
    ASSERT_EQ(resolved_list.size(), 1u);
    // The account that resolved it is on record, whatever --by said (default $USER).
    EXPECT_EQ(resolved_list[0]["resolved_by"].get<std::string>().rfind("admin", 0), 0u)
        << resolved_list[0];
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_admin_log WHERE account = 'admin' AND action "
                           "= 'resolve'"),
              1);
    // Every state, each row saying its own, and who resolved one, when and how.
    const auto all = admin({"conflicts", "list", "--status", "all"});
    ASSERT_EQ(all.exit_code, 0) << all.err;
    EXPECT_NE(all.out.find("status"), std::string::npos) << all.out;
    EXPECT_NE(all.out.find("resolved"), std::string::npos) << all.out;
    EXPECT_NE(all.out.find(resolved_list[0]["resolved_by"].get<std::string>()), std::string::npos)
        << all.out;
    EXPECT_EQ(admin({"conflicts", "list"}).out.find("resolved"), std::string::npos)
        << "the open list says nothing of resolutions";

    auto hist = parsed(admin({"history", "--table", "household", "--row", "h1", "--json"}));
    EXPECT_EQ(parsed(admin({"history", "--row", "h1", "--json"})), hist)
        << "a row id alone finds its table";
    EXPECT_EQ(admin({"history", "--row", "no-such-row"}).exit_code, 1);
    bool saw_conflict = false, saw_resolution = false;
    for (const auto& h : hist) {
        saw_conflict |= h["kind"] == "conflict";
        saw_resolution |= h["kind"] == "resolution";
        EXPECT_TRUE(h.contains("time") && h.contains("device_id") && h.contains("column") &&
                    h.contains("old") && h.contains("new"));
    }
    EXPECT_GE(hist.size(), 4u);
    EXPECT_TRUE(saw_conflict);
    EXPECT_TRUE(saw_resolution);

    auto fleet = parsed(admin({"status", "--json"}));
    ASSERT_EQ(fleet.size(), 2u);
    for (const auto& f : fleet) {
        EXPECT_EQ(f["scope"], "01849");
        EXPECT_TRUE(f["last_sync_at"].is_string());
        EXPECT_EQ(f["pending"], 0);
        EXPECT_EQ(f["silent"], false);
        EXPECT_TRUE(f["clock_skew_ms"].is_number());
        EXPECT_EQ(f["app_version"].get<std::string>().rfind("noi-client/", 0), 0u);
    }
}

TEST_F(cli, quarantined_rows_are_listed_and_discarded_and_the_report_counts_tablet_assessments) {
    auto a = enrol("01849");
    auto da = dir.file("a.db");
    ASSERT_EQ(client({"init", "--db", da, "--server", url, "--token", a["token"]}).exit_code, 0);
    // Before its first sync the tablet does not know its commune: this row is rejected.
    ASSERT_EQ(
        client({"exec", "--db", da, "INSERT INTO incident(id, commune_code) VALUES ('x', '01864')"})
            .exit_code,
        0);
    ASSERT_EQ(
        client(
            {"exec", "--db", da,
             "INSERT INTO assessment(commune_code, year, c19_1_met, c19_2_met, decided_on) VALUES "
             "('01849', 2022, 1, 1, '2022-11-30')"})
            .exit_code,
        0);
    ASSERT_EQ(client({"sync", "--db", da}).exit_code, 0);
    auto q = parsed(admin({"quarantine", "list", "--json"}));
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0]["reason"], "out_of_scope");
    EXPECT_EQ(q[0]["device_id"], a["device_id"]);
    auto qid = std::to_string(q[0]["id"].get<int>());
    auto release = admin({"quarantine", "release", qid});
    EXPECT_EQ(release.exit_code, 1); // the reason still holds
    EXPECT_NE(release.err.find("still holds"), std::string::npos) << release.err;
    auto discard = admin({"quarantine", "discard", qid, "--json"});
    ASSERT_EQ(discard.exit_code, 0) << discard.err;
    EXPECT_EQ(json::parse(discard.out)["status"], "discarded");
    EXPECT_EQ(parsed(admin({"quarantine", "list", "--json"})).size(), 0u);
    auto discarded = parsed(admin({"quarantine", "list", "--status", "discarded", "--json"}));
    ASSERT_EQ(discarded.size(), 1u);
    EXPECT_EQ(discarded[0]["status"], "discarded");
    EXPECT_EQ(parsed(admin({"quarantine", "list", "--status", "released", "--json"})).size(), 0u);
    const auto every = admin({"quarantine", "list", "--status", "all"});
    EXPECT_NE(every.out.find("discarded"), std::string::npos) << every.out;
    EXPECT_EQ(admin({"quarantine", "list", "--status", "lost"}).exit_code, 2);

    auto r = admin({"report", "criterion19", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto rep = json::parse(r.out);
    EXPECT_EQ(rep["year"], 2022);
    EXPECT_EQ(rep["province"]["total"], 77); // the xã of Thái Nguyên today
    EXPECT_EQ(rep["province"]["met"], 1);
    int districts_total = 0;
    for (const auto& d : rep["districts"])
        districts_total += d["total"].get<int>();
    EXPECT_EQ(districts_total, 77);
    EXPECT_EQ(rep["grouped_by"], "province"); // no districts after 1 July 2025
    auto csv = admin({"report", "criterion19", "--year", "2022", "--csv"});
    EXPECT_EQ(csv.exit_code, 0);
    EXPECT_EQ(csv.out.rfind("\xEF\xBB\xBF"
                            "province_code,province,met,total\n",
                            0),
              0u)
        << csv.out;
    EXPECT_NE(csv.out.find("19,Tỉnh Thái Nguyên,1,77"), std::string::npos) << csv.out;
}

TEST_F(cli, repair_clock_restamps_a_poisoned_server_and_serve_warns_until_then) {
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    const std::string poisoned = dir.file("poisoned");
    std::filesystem::copy(NOI_FIXTURES_DIR "/poisoned-clock/server", poisoned);
    data = poisoned;
    start_server();
    EXPECT_TRUE(server->wait_for_stderr("repair-clock", 5s)) << server->stderr_text();
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);

    auto r = process::run({NOI_SERVER_BIN, "repair-clock", "--data", poisoned, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = parsed(r);
    EXPECT_GE(j["versions"].get<int>(), 2);
    EXPECT_EQ(j["floor_before"], std::to_string(~0ull));
    r = process::run({NOI_SERVER_BIN, "repair-clock", "--data", poisoned});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.err.find("nothing to repair"), std::string::npos) << r.err;
    EXPECT_EQ(process::run({NOI_SERVER_BIN, "repair-clock", "--data", dir.file("none")}).exit_code,
              1);
}

TEST_F(cli, rows_too_large_lists_what_no_pull_carries) {
    // Four fields of a million characters: a PUSH under the message limit, a row over it.
    auto dev = enrol("01849");
    auto db = tablet(dev, "tablet");
    const std::string mb = "replace(hex(zeroblob(500000)), '0', 'x')";
    exec(db, "INSERT INTO incident(commune_code, summary, village, category, stage) VALUES "
             "('01849', " +
                 mb + ", " + mb + ", " + mb + ", " + mb + ")");
    auto s = sync(db);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    EXPECT_NE(s.err.find("too_large"), std::string::npos) << s.err;
    EXPECT_EQ(parsed(client({"status", "--db", db, "--json"}))["rejected"], 1);

    // A row an earlier release took whole: written past the bound with the server stopped.
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    {
        system_clock wall;
        server_options unbounded;
        unbounded.max_row_bytes = ~std::size_t{0};
        auto store = test::open_server_store(data, wall, unbounded);
        std::vector<noi::value> values(store->find_table("incident")->columns.size());
        const auto& def = *store->find_table("incident");
        for (std::size_t i = 0; i < def.columns.size(); ++i)
            if (def.columns[i].type == col_type::text && !def.columns[i].date)
                values[i] = std::string(1'000'000, 'y');
        values[*def.scope] = std::string("01849");
        auto group = store->begin();
        store->write_local("incident", "i-from-before", values);
        group->commit();
    }
    start_server(url.substr(std::string("http://").size()));
    auto r = admin({"rows", "too-large", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto rows = parsed(r);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["id"], "i-from-before");
    EXPECT_EQ(rows[0]["commune"], "01849");
    EXPECT_EQ(rows[0]["pulled"], false);
    r = admin({"rows", "too-large"});
    EXPECT_NE(r.out.find("i-from-before"), std::string::npos);
    EXPECT_NE(r.out.find("never"), std::string::npos);
    // The commune's tablet still finishes its rounds, without the row no message could carry.
    s = sync(db);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    auto q =
        parsed(client({"query", "--db", db,
                       "SELECT count(*) AS n FROM incident WHERE id = 'i-from-before'", "--json"}));
    EXPECT_EQ(q[0]["n"], 0);
}

TEST_F(cli, a_device_at_its_conflict_quota_waits_until_the_admin_resolves_its_conflicts) {
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    start_server("127.0.0.1:0", {"--max-open-conflicts", "2"});
    auto first = tablet(enrol("01849"), "first");
    const auto second_dev = enrol("01849");
    auto second = tablet(second_dev, "second");
    exec(first,
         "INSERT INTO household(id, commune_code, village) VALUES ('h1', '01849', 'Nà Pài')");
    synced(first);
    synced(second);
    // Both officers edit the same field offline, the second syncs last: its push records a
    // conflict (and the first's next push one more, against the second's value).
    auto clash = [&](int round) {
        exec(first, "UPDATE household SET village = 'A" + std::to_string(round) + "'");
        exec(second, "UPDATE household SET village = 'B" + std::to_string(round) + "'");
        synced(first);
        return sync(second);
    };
    ASSERT_EQ(clash(1).exit_code, 0);
    ASSERT_EQ(clash(2).exit_code, 0);
    auto held = clash(3);
    EXPECT_NE(
        held.err.find("conflicts resolve --device " + second_dev["device_id"].get<std::string>()),
        std::string::npos)
        << held.err;
    EXPECT_EQ(parsed(client({"status", "--db", second, "--json"}))["pending"], 1);

    const std::string dev = second_dev["device_id"];
    auto listed = parsed(admin({"conflicts", "list", "--device", dev, "--json"}));
    EXPECT_EQ(listed.size(), 2u);
    auto r = admin({"conflicts", "resolve", "--device", dev});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("resolved 2 conflicts"), std::string::npos) << r.out;
    EXPECT_EQ(parsed(admin({"conflicts", "list", "--device", dev, "--json"})).size(), 0u);
    auto log = parsed(admin({"log", "--json"}));
    ASSERT_FALSE(log.empty());
    EXPECT_EQ(log[0]["target"], "conflicts of device " + dev);
    // Its data waited on the tablet; now it goes up (and makes the third conflict).
    synced(second);
    EXPECT_EQ(parsed(client({"status", "--db", second, "--json"}))["pending"], 0);
    EXPECT_EQ(parsed(admin({"conflicts", "list", "--device", dev, "--json"})).size(), 1u);
}

TEST_F(cli, data_files_are_private_whatever_the_umask_and_one_server_per_directory) {
    const auto old_mask = ::umask(022); // children inherit it: what most systems start with
    auto mode = [](const std::string& f) {
        struct stat st {};
        EXPECT_EQ(::stat(f.c_str(), &st), 0) << f;
        return st.st_mode & 0777;
    };
    auto dev = enrol("01849");
    auto db = dir.file("tablet.db");
    ASSERT_EQ(client({"init", "--db", db, "--server", url, "--token", dev["token"]}).exit_code, 0);
    ASSERT_EQ(client({"sync", "--db", db}).exit_code, 0);
    EXPECT_EQ(mode(data), 0700u);
    std::vector<std::string> files{data + "/lock", db};
    if (test::servers_on_postgresql()) {
        files.push_back(data + "/store.json"); // it names the database, with no password
    } else {
        auto snapshot = dir.file("snapshot.db");
        auto b = process::run({NOI_SERVER_BIN, "backup", "--data", data, "--to", snapshot});
        ASSERT_EQ(b.exit_code, 0) << b.err;
        // Into a directory, named for the time: a nightly line and one by hand never collide.
        const auto backups = dir.file("backups");
        std::filesystem::create_directory(backups);
        for (int i = 0; i < 2; ++i)
            ASSERT_EQ(
                process::run({NOI_SERVER_BIN, "backup", "--data", data, "--to", backups}).exit_code,
                0);
        std::vector<std::string> made;
        for (const auto& e : std::filesystem::directory_iterator(backups))
            made.push_back(e.path().filename().string());
        ASSERT_EQ(made.size(), 2u);
        for (const auto& m : made)
            EXPECT_TRUE(m.starts_with("noi-20") && m.ends_with(".db") && m.size() >= 24) << m;
        files.insert(files.end(), {data + "/noi.db", data + "/noi.db-wal", data + "/noi.db-shm",
                                   data + "/instance", snapshot});
    }
    for (const auto& f : files)
        EXPECT_EQ(mode(f), 0600u) << f;

    // A second server on the same directory is refused, and the first keeps serving.
    auto second =
        process::run({NOI_SERVER_BIN, "serve", "--data", data, "--listen", "127.0.0.1:0"}, 10s);
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_NE(second.err.find("another noi-server"), std::string::npos) << second.err;
    EXPECT_EQ(process::run({NOI_SERVER_BIN, "repair-clock", "--data", data}).exit_code, 1);
    EXPECT_EQ(client({"sync", "--db", db}).exit_code, 0);
    ::umask(old_mask);
}

// Issue 14, item 14: the token went over http:// to any host without a word.
TEST_F(cli, a_replica_refuses_plain_http_beyond_loopback_unless_the_network_is_trusted) {
    auto remote = "http://192.0.2.10:8080"; // TEST-NET-1: never reached, the refusal comes first
    auto r = client({"init", "--db", dir.file("a.db"), "--server", remote, "--token", "t"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("clear text"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("a.db")));
    EXPECT_EQ(client({"init", "--db", dir.file("b.db"), "--server", remote, "--token", "t",
                      "--allow-plain-http"})
                  .exit_code,
              0);
    EXPECT_EQ(client({"init", "--db", dir.file("c.db"), "--server", "http://localhost:8080",
                      "--token", "t"})
                  .exit_code,
              0);
    // The library refuses too, before any connection, for apps that skip the check.
    auto tr = client::make_websocket_transport();
    try {
        tr->connect(remote, "t", 5s);
        ADD_FAILURE() << "the transport connected over plain http beyond loopback";
    } catch (const client::transport_error& e) {
        EXPECT_EQ(e.code(), client::transport_errc::bad_url);
    }
}

// Issue 28, item 13: a replica made without --ca-file was told to use --ca-file or NOI_CA_FILE,
// which sync does not take; nothing could repair it but a new replica, losing its writes.
TEST_F(cli, a_replica_made_without_its_ca_is_repaired_by_set_server_and_keeps_its_pending_writes) {
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    auto ca = test::make_test_certificate(dir.path()); // names 127.0.0.1 and localhost
    start_server("127.0.0.1:0", {"--tls-cert", ca.cert, "--tls-key", ca.key});
    const auto port = url.substr(url.rfind(':') + 1);
    const auto https = "https://127.0.0.1:" + port;
    auto enrolled =
        process::run({NOI_ADMIN_BIN, "--server", https, "--token", admin_token, "--ca-file",
                      ca.cert, "device", "add", "--commune", "01849", "--json"});
    ASSERT_EQ(enrolled.exit_code, 0) << enrolled.err;
    const auto dev = json::parse(enrolled.out);
    const auto db = dir.file("t.db");
    ASSERT_EQ(client({"init", "--db", db, "--server", https, "--token", dev["token"]}).exit_code,
              0);
    exec(db, "INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01849', 'một')");

    auto refused = client({"sync", "--db", db, "--timeout", "10"});
    EXPECT_EQ(refused.exit_code, 1) << "a setting to fix, not a network to wait for";
    EXPECT_NE(refused.err.find("noi-client set-server --db " + db + " --ca-file FILE"),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(refused.err.find("NOI_CA_FILE"), std::string::npos) << refused.err;

    // Each refusal exits 2, says what to do, and leaves the replica as it was.
    auto settings = [&] {
        auto st = parsed(client({"status", "--db", db, "--json"}));
        return std::tuple{st["server"], st["ca_file"], st["allow_plain_http"], st["pending"]};
    };
    const auto before = settings();
    EXPECT_EQ(std::get<0>(before), https);
    EXPECT_TRUE(std::get<1>(before).is_null());
    EXPECT_EQ(std::get<3>(before), 1);
    { std::ofstream(dir.file("not-a-cert.pem")) << "xin chào\n"; }
    const std::vector<std::pair<std::vector<std::string>, std::string>> refusals{
        {{"--ca-file", dir.file("missing.pem")}, "does not exist"},
        {{"--ca-file", dir.path()}, "is not a file"},
        {{"--ca-file", dir.file("not-a-cert.pem")}, "holds no certificate"},
        {{"--ca-file", ca.key}, "holds no certificate"},
        {{"--server", "http://192.0.2.10:8080"}, "clear text"},
        {{"--server", "https://127.0.0.1"}, "needs a port"},
        {{"--server", "ftp://127.0.0.1:" + port},
         "must start with http://, https://, ws:// or wss://"},
        {{}, "nothing to change"},
    };
    for (const auto& [args, why] : refusals) {
        std::vector<std::string> argv{"set-server", "--db", db};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = client(argv);
        EXPECT_EQ(r.exit_code, 2) << why << ": " << r.err;
        EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
        EXPECT_EQ(settings(), before) << why;
    }
    // Also init checks the CA file, before it makes the replica.
    auto bad_init = client({"init", "--db", dir.file("u.db"), "--server", https, "--token",
                            dev["token"], "--ca-file", dir.file("not-a-cert.pem")});
    EXPECT_EQ(bad_init.exit_code, 2) << bad_init.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("u.db")));

    // The repair: a relative path, kept absolute, and the pending write arrives.
    const auto relative = std::filesystem::relative(ca.cert, std::filesystem::current_path());
    auto repaired = client({"set-server", "--db", db, "--ca-file", relative.string()});
    ASSERT_EQ(repaired.exit_code, 0) << repaired.err;
    const auto kept = std::filesystem::canonical(ca.cert).string();
    EXPECT_EQ(std::get<1>(settings()), kept);
    EXPECT_EQ(std::get<3>(settings()), 1) << "the pending write stays";
    synced(db);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident WHERE id = 'i1'"), 1);

    // A new address keeps the CA and what is pending, and the writes arrive by it.
    exec(db, "INSERT INTO incident(id, commune_code, summary) VALUES ('i2', '01849', 'hai')");
    auto moved = client({"set-server", "--db", db, "--server", "https://localhost:" + port});
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    const auto after = settings();
    EXPECT_EQ(std::get<0>(after), "https://localhost:" + port);
    EXPECT_EQ(std::get<1>(after), kept);
    EXPECT_EQ(std::get<3>(after), 1);
    synced(db);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident WHERE id = 'i2'"), 1);

    // Plain http beyond loopback only with consent, which a later new address must give again.
    ASSERT_EQ(client({"set-server", "--db", db, "--server", "http://192.0.2.10:8080",
                      "--allow-plain-http", "--no-ca-file"})
                  .exit_code,
              0);
    EXPECT_EQ(std::get<2>(settings()), true);
    EXPECT_TRUE(std::get<1>(settings()).is_null());
    EXPECT_EQ(client({"set-server", "--db", db, "--server", "http://192.0.2.11:8080"}).exit_code,
              2);
    EXPECT_EQ(std::get<0>(settings()), "http://192.0.2.10:8080");
}

TEST_F(cli, text_from_a_tablet_reaches_the_admins_terminal_with_its_escapes_shown_not_run) {
    auto dev = enrol("01849");
    ASSERT_EQ(admin({"device", "add", "--commune", "01849", "--name", "máy \x1b[2J lạ"}).exit_code,
              0);
    auto tr = client::make_websocket_transport();
    tr->connect(url, dev["token"], 5s);
    proto::hello h;
    h.site[0] = 0x42;
    h.clock_ms = static_cast<std::uint64_t>(noi::system_clock().now_ms());
    tr->send(proto::encode(h), 5s);
    tr->receive(5s);
    proto::row_change r;
    r.table = "\x1b[2J\x1b[Hincident";
    r.id = "x\x1b]0;owned\x07";
    r.scope = std::string("01849");
    r.seq = 1;
    r.exists =
        proto::existence_change{true, {hlc_from_ms(noi::system_clock().now_ms()), h.site}, {}};
    tr->send(proto::encode(proto::push{0, 1, {r}}), 5s);
    tr->receive(5s);
    tr->close();
    for (const auto& args :
         {std::vector<std::string>{"quarantine", "list"},
          std::vector<std::string>{"device", "list"}, std::vector<std::string>{"status"}}) {
        auto out = admin(args);
        ASSERT_EQ(out.exit_code, 0) << out.err;
        EXPECT_EQ(out.out.find('\x1b'), std::string::npos) << args[0];
        EXPECT_EQ(out.out.find('\x07'), std::string::npos) << args[0];
    }
    auto q = admin({"quarantine", "list"}).out;
    EXPECT_NE(q.find("\\x1b[2J\\x1b[Hincident"), std::string::npos) << q;
    EXPECT_NE(admin({"device", "list"}).out.find("máy \\x1b[2J lạ"), std::string::npos);
}

// Issue 14, item 4: under `ulimit -n 64` with 80 idle connections the accept loop spun at
// 100 % CPU, wrote ~40 MB/s of log and left /healthz unanswered.
TEST_F(cli, out_of_file_descriptors_the_server_backs_off_and_recovers) {
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    server = std::make_unique<process::child_process>(
        std::vector<std::string>{"/bin/sh", "-c",
                                 "ulimit -n 64 && exec " + std::string(NOI_SERVER_BIN) +
                                     " serve --data " + data + " --listen 127.0.0.1:0"},
        dir.path());
    auto line = server->wait_for_stderr("listening on ", 20s);
    ASSERT_TRUE(line) << server->stderr_text();
    const auto addr = line->substr(line->find("listening on ") + 13);
    const auto port = static_cast<std::uint16_t>(std::stoul(addr.substr(addr.rfind(':') + 1)));
    auto cpu_ticks = [&] {
        std::ifstream in("/proc/" + std::to_string(server->pid()) + "/stat");
        std::string stat((std::istreambuf_iterator<char>(in)), {});
        std::istringstream fields(stat.substr(stat.rfind(')') + 2));
        std::string f;
        long long ticks = 0;
        for (int i = 3; i <= 15 && fields >> f; ++i)
            if (i >= 14) ticks += std::stoll(f); // utime and stime
        return ticks;
    };
    boost::asio::io_context ioc;
    std::vector<boost::asio::ip::tcp::socket> idle;
    for (int i = 0; i < 80; ++i) {
        idle.emplace_back(ioc);
        boost::system::error_code ec;
        idle.back().connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    }
    const auto before = cpu_ticks();
    const auto log_before = server->stderr_text().size();
    std::this_thread::sleep_for(2s);
    const auto used = cpu_ticks() - before; // in 1/100 s: 200 would be a whole core
    EXPECT_LT(used, 60) << "the server spent " << used << " ticks of 200 while out of descriptors";
    EXPECT_LT(server->stderr_text().size() - log_before, 4096u)
        << server->stderr_text().substr(0, 2000);
    idle.clear();
    // Freed descriptors are taken up again: /healthz answers. Bounded: 10 s.
    bool healthy = false;
    for (auto until = std::chrono::steady_clock::now() + 10s;
         !healthy && std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(200ms)) {
        try {
            healthy =
                admin::request("http://" + addr, "GET", "/healthz", "", "", "", 2s).status == 200;
        } catch (const admin::unreachable&) {
        }
    }
    EXPECT_TRUE(healthy);
}

// Issue 14, item 8: one admin token for everyone, never rotated or revoked, and a resolution
// recorded whatever name the caller sent.
TEST_F(cli, named_accounts_read_write_rotate_and_stop_and_every_change_names_its_account) {
    auto as = [&](const std::string& token, std::vector<std::string> args) {
        std::vector<std::string> argv{NOI_ADMIN_BIN, "--server", url, "--token", token};
        argv.insert(argv.end(), args.begin(), args.end());
        return process::run(argv);
    };
    auto accounts = parsed(admin({"account", "list", "--json"}));
    ASSERT_EQ(accounts.size(), 1u);
    EXPECT_EQ(accounts[0]["name"], "admin");
    EXPECT_EQ(accounts[0]["role"], "admin");

    auto hoa =
        parsed(admin({"account", "add", "--name", "hoa.nguyen", "--role", "admin", "--json"}));
    auto chair = parsed(admin({"account", "add", "--name", "chu-tich-01849", "--role", "viewer",
                               "--communes", "01849", "--json"}));
    ASSERT_TRUE(hoa["token"].is_string());
    EXPECT_EQ(admin({"account", "add", "--name", "hoa.nguyen", "--role", "viewer"}).exit_code, 1);
    EXPECT_EQ(admin({"account", "add", "--name", "x", "--role", "viewer", "--communes", "99999"})
                  .exit_code,
              1);

    auto mine = parsed(as(hoa["token"], {"device", "add", "--commune", "01849", "--json"}));
    parsed(as(hoa["token"], {"device", "add", "--commune", "01864", "--json"}));
    // The commune's chairman reads his commune only, and changes nothing.
    auto seen = parsed(as(chair["token"], {"device", "list", "--json"}));
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0]["scope"], "01849");
    auto denied = as(chair["token"], {"device", "revoke", mine["device_id"]});
    EXPECT_EQ(denied.exit_code, 4);
    EXPECT_NE(denied.err.find("may only read"), std::string::npos) << denied.err;
    EXPECT_EQ(as(chair["token"], {"account", "list"}).exit_code, 4);
    // Its commune's report, never the province's (issue 28, item 15).
    auto report = as(chair["token"], {"report", "criterion19", "--year", "2022"});
    EXPECT_EQ(report.exit_code, 0) << report.err;
    EXPECT_NE(report.out.find("Criterion 19, year 2022, your communes 01849: 0 of 1 communes met"),
              std::string::npos)
        << report.out;

    // Rotation: both tokens work until the account is disabled, then neither, at once.
    auto rotated = parsed(admin({"account", "token", "hoa.nguyen", "--json"}));
    EXPECT_EQ(as(rotated["token"], {"device", "list"}).exit_code, 0);
    EXPECT_EQ(as(hoa["token"], {"device", "revoke", mine["device_id"]}).exit_code, 0);
    EXPECT_EQ(admin({"account", "disable", "hoa.nguyen"}).exit_code, 0);
    EXPECT_EQ(as(hoa["token"], {"device", "list"}).exit_code, 4);
    EXPECT_EQ(as(rotated["token"], {"device", "list"}).exit_code, 4);
    EXPECT_EQ(admin({"account", "token", "hoa.nguyen"}).exit_code, 1);
    // The last enabled admin cannot lock everyone out.
    auto last = admin({"account", "disable", "admin"});
    EXPECT_EQ(last.exit_code, 1);
    EXPECT_NE(last.err.find("last enabled admin"), std::string::npos) << last.err;

    EXPECT_EQ(server_count("SELECT count(*) FROM noi_admin_log WHERE account = 'hoa.nguyen' AND "
                           "action IN ('enrol', 'revoke')"),
              3);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_admin_log WHERE account = 'admin' AND "
                           "action = 'account disable' AND target = 'hoa.nguyen'"),
              1);
}

TEST_F(cli, a_server_from_before_accounts_gives_its_admin_tokens_to_the_account_admin) {
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    data = dir.file("old");
    std::filesystem::copy(NOI_FIXTURES_DIR "/poisoned-clock/server", data);
    start_server();
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_accounts WHERE name = 'admin'"), 1);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_tokens WHERE kind = 'admin' AND account IS "
                           "NOT 'admin'"),
              0);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_tokens WHERE kind = 'admin'"), 1);
}

TEST_F(cli, console_passwords_are_set_from_standard_input_and_the_log_shows_who_did_what) {
    auto base = std::vector<std::string>{NOI_ADMIN_BIN, "--server", url, "--token", admin_token};
    auto with_input = [&](std::vector<std::string> args, const std::string& input) {
        args.insert(args.begin(), base.begin(), base.end());
        return process::run(args, std::chrono::seconds(60), input);
    };
    auto added = with_input(
        {"account", "add", "--name", "hoa", "--role", "admin", "--password-stdin", "--json"},
        "mật khẩu của chị Hoa\n");
    ASSERT_EQ(added.exit_code, 0) << added.err;
    EXPECT_EQ(json::parse(added.out)["name"], "hoa");
    auto too_short = with_input({"account", "passwd", "hoa", "--password-stdin"}, "ngắn\n");
    EXPECT_EQ(too_short.exit_code, 1);
    EXPECT_NE(too_short.err.find("at least 10 characters"), std::string::npos) << too_short.err;
    auto no_line = with_input({"account", "passwd", "hoa", "--password-stdin"}, "");
    EXPECT_EQ(no_line.exit_code, 2);
    // Standard input is not a terminal here: without --password-stdin nothing is asked.
    auto no_terminal = admin({"account", "passwd", "hoa"});
    EXPECT_EQ(no_terminal.exit_code, 2);
    EXPECT_NE(no_terminal.err.find("--password-stdin"), std::string::npos) << no_terminal.err;
    auto unknown =
        with_input({"account", "passwd", "ghost", "--password-stdin"}, "một mật khẩu đủ dài\n");
    EXPECT_EQ(unknown.exit_code, 1);
    auto set = with_input({"account", "passwd", "hoa", "--password-stdin", "--json"},
                          "một mật khẩu đủ dài\r\n");
    ASSERT_EQ(set.exit_code, 0) << set.err;
    EXPECT_EQ(json::parse(set.out), (json{{"name", "hoa"}}));

    auto accounts = parsed(admin({"account", "list", "--json"}));
    for (const auto& a : accounts)
        EXPECT_EQ(a["password"], a["name"] == "hoa") << a;
    auto table = admin({"account", "list"});
    EXPECT_NE(table.out.find("password"), std::string::npos) << table.out;
    auto log = parsed(admin({"log", "--json", "--limit", "2"}));
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0]["action"], "account passwd");
    EXPECT_EQ(log[0]["target"], "hoa");
    EXPECT_EQ(log[0]["account"], "admin");
    EXPECT_EQ(log[1]["action"], "account add");
    EXPECT_EQ(log[1]["detail"], "admin, password");
    auto printed = admin({"log"});
    EXPECT_EQ(printed.exit_code, 0);
    EXPECT_NE(printed.out.find("account passwd"), std::string::npos) << printed.out;
}
