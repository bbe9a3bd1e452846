// Chaos on real processes (docs/reliability.md): noi-server SIGKILLed again and again while
// tablets write, push and pull; noi-client sync SIGKILLed in the middle of its backlog. After
// the last restart and a final round: every replica holds every row, each row reached the
// server exactly once, nothing acknowledged is lost. Loopback only; every loop is bounded.
#include "live_server.hpp"
#include "server_process.hpp"

#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

using namespace noi;
using namespace std::chrono_literals;

namespace {

struct chaos : test::server_process {
    std::mt19937 rng{std::random_device{}()};
    int between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

    void kill_and_restart() {
        server->signal(SIGKILL);
        ASSERT_EQ(server->wait(10s), 128 + SIGKILL);
        start_server(url.substr(7)); // the same port: the tablets know no other
    }
};

} // namespace

TEST_F(chaos, a_server_killed_twenty_times_while_tablets_push_and_pull_loses_and_repeats_nothing) {
    constexpr int tablets = 3, kills = 20;
    std::vector<std::unique_ptr<test::test_tablet>> ts;
    for (int i = 0; i < tablets; ++i)
        ts.push_back(std::make_unique<test::test_tablet>(
            dir.file(std::string("t").append(std::to_string(i)).append(".db")), url,
            enrol("01849")["token"].get<std::string>()));
    std::atomic<bool> stop{false};
    std::vector<int> written(tablets, 0);
    std::vector<std::thread> workers;
    for (int i = 0; i < tablets; ++i)
        workers.emplace_back([&, i] {
            // Each pass: a few rows, then a sync that gives up after 2 s. At most 400 passes.
            for (int pass = 0; pass < 400 && !stop; ++pass) {
                for (int k = 0; k < 5; ++k, ++written[i])
                    ts[i]->t->exec(
                        "INSERT INTO household(id, commune_code, village, members) VALUES ('t" +
                        std::to_string(i) + "-" + std::to_string(written[i]) +
                        "', '01849', 'Bản Chang', " + std::to_string(k) + ")");
                (void)ts[i]->sync(2s);
            }
        });
    for (int k = 0; k < kills; ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(between(100, 600)));
        kill_and_restart();
    }
    stop = true;
    for (auto& w : workers)
        w.join();
    // Two quiet rounds each: the first pushes what is left, the second pulls the others' rows.
    for (int round = 0; round < 2; ++round)
        for (auto& t : ts)
            ASSERT_EQ(t->sync(60s).outcome, client::sync_outcome::done);
    int total = 0;
    for (int w : written)
        total += w;
    ASSERT_GT(total, kills);
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), total);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log WHERE tbl = 'household'"), total)
        << "a row was applied twice";
    for (auto& t : ts) {
        EXPECT_EQ(t->count("SELECT count(*) FROM household"), total);
        EXPECT_EQ(t->t->status().pending, 0u);
    }
}

TEST_F(chaos, a_sync_killed_ten_times_in_the_middle_of_its_backlog_sends_every_row_once) {
    constexpr int rows = 30000, kills = 10;
    auto dev = enrol("01849");
    auto db = dir.file("killed.db");
    ASSERT_EQ(client({"init", "--db", db, "--server", url, "--token", dev["token"]}).exit_code, 0);
    ASSERT_EQ(
        client({"exec", "--db", db,
                for_each_i(1, rows,
                           "INSERT INTO household(commune_code, village, head_name, members) "
                           "SELECT '01849', 'Thôn ' || (i % 9), 'Chủ hộ ' || i, i % 7 FROM n")})
            .exit_code,
        0);
    int killed_midway = 0;
    for (int k = 0; k < kills; ++k) {
        process::child_process sync({NOI_CLIENT_BIN, "sync", "--db", db, "--timeout", "60"},
                                    dir.path());
        std::this_thread::sleep_for(std::chrono::milliseconds(between(10, 120)));
        sync.signal(SIGKILL);
        if (sync.wait(10s) == 128 + SIGKILL &&
            server_count("SELECT count(*) FROM household") < rows)
            ++killed_midway;
    }
    EXPECT_GT(killed_midway, 0) << "every sync finished before its kill; make the backlog larger";
    ASSERT_EQ(client({"sync", "--db", db, "--timeout", "120"}).exit_code, 0);
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), rows);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log WHERE tbl = 'household'"), rows);
    EXPECT_EQ(parsed(client({"status", "--db", db, "--json"}))["pending"], 0);
}

TEST_F(chaos, a_full_disk_refuses_pushes_clearly_and_service_resumes_when_space_returns) {
    constexpr int rows = 3000;
    // A size limit two MiB above what the database holds now stands in for a full disk.
    auto mib =
        server_count("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size") /
            (1 << 20) +
        2;
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    start_server(url.substr(7), {"--max-db-mib", std::to_string(mib)});
    auto dev = enrol("01849");
    auto db = dir.file("full.db");
    ASSERT_EQ(client({"init", "--db", db, "--server", url, "--token", dev["token"]}).exit_code, 0);
    ASSERT_EQ(client({"exec", "--db", db,
                      for_each_i(1, rows,
                                 "INSERT INTO household(commune_code, village, head_name, members) "
                                 "SELECT '01849', 'Thôn ' || i, 'Chủ hộ ' || i || ' ' || "
                                 "hex(randomblob(300)), i % 7 FROM n")})
                  .exit_code,
              0);
    auto full = client({"sync", "--db", db, "--timeout", "8"});
    EXPECT_NE(full.exit_code, 0);
    EXPECT_NE(full.err.find("storage is full"), std::string::npos)
        << full.err << server->stderr_text();
    auto held = server_count("SELECT count(*) FROM household");
    EXPECT_LT(held, rows);
    // Nothing acknowledged is lost: what the server holds and what the tablet still has
    // pending add up to every row.
    EXPECT_EQ(held +
                  parsed(client({"status", "--db", db, "--json"}))["pending"].get<std::int64_t>(),
              rows);
    EXPECT_EQ(admin({"status", "--json"}).exit_code, 0) << "the server stopped serving";

    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    start_server(url.substr(7)); // space is back
    ASSERT_EQ(client({"sync", "--db", db, "--timeout", "120"}).exit_code, 0);
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), rows);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log WHERE tbl = 'household'"), rows);
}

TEST_F(chaos, a_server_restored_from_a_backup_gets_back_everything_written_since_from_the_tablets) {
    auto dev = enrol("01849"), dev2 = enrol("01849");
    auto db = dir.file("writer.db"), db2 = dir.file("reader.db");
    ASSERT_EQ(client({"init", "--db", db, "--server", url, "--token", dev["token"]}).exit_code, 0);
    ASSERT_EQ(client({"init", "--db", db2, "--server", url, "--token", dev2["token"]}).exit_code,
              0);
    auto write = [&](int from, int to) {
        ASSERT_EQ(client({"exec", "--db", db,
                          for_each_i(from, to,
                                     "INSERT INTO household(id, commune_code, village, members) "
                                     "SELECT 'h' || i, '01849', 'Nà Pài', i % 9 FROM n")})
                      .exit_code,
                  0);
        ASSERT_EQ(client({"sync", "--db", db, "--timeout", "60"}).exit_code, 0);
    };
    write(1, 100);
    auto snapshot = dir.file("snapshot.db");
    auto b =
        process::run({NOI_SERVER_BIN, "backup", "--data", data, "--to", snapshot}); // while it runs
    ASSERT_EQ(b.exit_code, 0) << b.err;
    write(101, 150);
    ASSERT_EQ(
        client({"exec", "--db", db, "UPDATE household SET members = 42 WHERE id = 'h7'"}).exit_code,
        0);
    ASSERT_EQ(client({"sync", "--db", db, "--timeout", "60"}).exit_code, 0);
    ASSERT_EQ(client({"sync", "--db", db2, "--timeout", "60"}).exit_code, 0);

    // The restore of docs/operations.md: stop, copy the snapshot back, start.
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(10s), 0);
    std::filesystem::remove(data + "/noi.db-wal");
    std::filesystem::remove(data + "/noi.db-shm");
    std::filesystem::copy_file(snapshot, data + "/noi.db",
                               std::filesystem::copy_options::overwrite_existing);
    start_server(url.substr(7));
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), 100);

    // A round of each tablet: the new epoch makes both re-push everything they hold.
    for (const auto& d : {db2, db, db2})
        ASSERT_EQ(client({"sync", "--db", d, "--timeout", "60"}).exit_code, 0);
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), 150);
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h7'"), 42);
    EXPECT_EQ(parsed(client(
                  {"query", "--db", db2, "SELECT count(*) AS n FROM household", "--json"}))[0]["n"],
              150);
}
