// Failover (issue 31): noi-server on a PostgreSQL primary with a synchronous standby
// (tests/support/pg_pair.sh), one process or two behind which the tablets are spread. While
// three tablets push, the primary is SIGKILLed with every process of it, and the standby
// promoted; each server finds the new primary by itself (the connection string names both
// hosts, target_session_attrs=read-write). Every row a tablet holds as acknowledged is on the
// promoted standby; a push in flight at the kill is pushed again; after a round every replica
// holds every row once. NOI_FAILOVER_KILLS sets the kills (2 here; run more by hand,
// docs/operations.md).
#include "pg_connection.hpp"
#include "server_process.hpp"

#include <noi/sync/database.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <thread>

using namespace noi;
using namespace std::chrono_literals;

namespace {

const std::string pair_script = std::string(NOI_SOURCE_DIR) + "/tests/support/pg_pair.sh";

struct failover : test::server_process {
    std::string state = dir.file("pair.state");
    std::string conninfo;

    void pair(const std::string& cmd) {
        auto r = process::run({"/bin/bash", pair_script, cmd, state}, 120s);
        ASSERT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
    }
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(pair("start"));
        std::ifstream in(state);
        std::getline(in, conninfo);
        auto r = process::run({NOI_SERVER_BIN, "init", "--data", data, "--store", conninfo});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        admin_token = r.out.substr(0, r.out.find('\n'));
        start_server();
    }
    void TearDown() override {
        for (auto* s : {server.get(), second.get()}) {
            if (!s) continue;
            s->signal(SIGTERM);
            s->wait(10s);
            if (HasFailure()) {
                const auto log = s->stderr_text();
                ADD_FAILURE() << "a server's log ends:\n"
                              << log.substr(log.size() > 6000 ? log.size() - 6000 : 0);
            }
        }
        process::run({"/bin/bash", pair_script, "stop", state}, 60s);
    }
    // The households a tablet holds as acknowledged: every one with no change still pending, that
    // is neither captured and not yet folded, nor folded past the acknowledged sequence.
    static std::set<std::string> acknowledged(const std::string& db) {
        database d(db, false);
        auto st = d.prepare(
            "SELECT id FROM household WHERE id NOT IN (SELECT id FROM noi_capture WHERE tbl = "
            "'household') AND id NOT IN (SELECT id FROM noi_pending WHERE tbl = 'household' AND "
            "lseq > (SELECT coalesce(max(value), 0) FROM noi_meta WHERE key = 'acked_seq'))");
        std::set<std::string> ids;
        while (st.step())
            ids.insert(st.column_text(0));
        return ids;
    }
    // A second process on the same store, its data directory joined to it.
    std::unique_ptr<process::child_process> second;
    std::string second_url;
    void start_second() {
        const auto data2 = dir.file("server2");
        auto r = process::run({NOI_SERVER_BIN, "init", "--data", data2, "--store", conninfo});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        ASSERT_EQ(r.out, "joined\n");
        second = std::make_unique<process::child_process>(
            std::vector<std::string>{NOI_SERVER_BIN, "serve", "--data", data2, "--listen",
                                     "127.0.0.1:0"},
            dir.path());
        auto line = second->wait_for_stderr("listening on ", 20s);
        ASSERT_TRUE(line) << second->stderr_text();
        second_url = "http://" + line->substr(line->find("listening on ") + 13);
    }

    // Tablets write and sync while the primary is killed `kills()` times; `before_sync(t, b)`
    // may point tablet t elsewhere before its batch b. Returns the rows written. Each kill must
    // find every server in `servers` at work, and every acknowledged row on the new primary.
    int push_through_kills(const std::vector<std::string>& dbs,
                           const std::vector<process::child_process*>& servers,
                           const std::function<void(std::size_t, int)>& before_sync);
    // Every tablet synced in a bounded round, then the server and each tablet hold `written`.
    void converged(const std::vector<std::string>& dbs, int written);

    std::set<std::string> on_primary() {
        pg::connection c(conninfo);
        auto r = c.run("SELECT id FROM household");
        std::set<std::string> ids;
        for (int i = 0; i < r.rows(); ++i)
            ids.insert(r.bytes(i, 0));
        return ids;
    }
};

int kills() {
    const char* n = std::getenv("NOI_FAILOVER_KILLS");
    return n ? std::max(1, std::atoi(n)) : 2;
}

} // namespace

int failover::push_through_kills(const std::vector<std::string>& dbs,
                                 const std::vector<process::child_process*>& servers,
                                 const std::function<void(std::size_t, int)>& before_sync) {
    int written = 0;
    std::atomic<int> failed_syncs{0}; // cut by a kill: pushed again at the next
    constexpr int batches = 12, rows_per_batch = 20;
    for (int k = 0; k < kills(); ++k) {
        std::vector<std::thread> writers;
        for (std::size_t t = 0; t < dbs.size(); ++t)
            writers.emplace_back([&, t, k] {
                for (int b = 0; b < batches; ++b) {
                    const auto first = ((k * 10 + static_cast<int>(t)) * batches + b) * 100;
                    client({"exec", "--db", dbs[t],
                            for_each_i(first, first + rows_per_batch - 1,
                                       "INSERT INTO household(id, commune_code, village, members) "
                                       "SELECT 'h' || i, '01849', 'Nà Pài', i % 9 FROM n")});
                    if (before_sync) before_sync(t, b);
                    if (client({"sync", "--db", dbs[t], "--timeout", "10"}).exit_code != 0)
                        ++failed_syncs;
                }
            });
        std::this_thread::sleep_for(1500ms);
        std::vector<std::size_t> logged;
        for (auto* s : servers)
            logged.push_back(s->stderr_text().size());
        pair("kill");
        std::this_thread::sleep_for(500ms);
        pair("promote");
        // The promoted standby commits only once a synchronous standby of its own is there
        // (synchronous_standby_names stays): what Patroni or the operator gives it.
        pair("rebuild");
        for (auto& w : writers)
            w.join();
        if (HasFatalFailure()) return written;
        for (std::size_t i = 0; i < servers.size(); ++i)
            EXPECT_NE(servers[i]->stderr_text().find("PostgreSQL", logged[i]), std::string::npos)
                << "the kill fell while server " << i << " was idle: nothing was tested";
        written += static_cast<int>(dbs.size()) * batches * rows_per_batch;
        const auto held = on_primary();
        for (const auto& db : dbs)
            for (const auto& id : acknowledged(db))
                EXPECT_TRUE(held.count(id)) << id << " of " << db << " was acknowledged, then lost";
    }
    std::cout << kills() << " kills; " << failed_syncs << " syncs cut by them; " << written
              << " rows\n";
    return written;
}

void failover::converged(const std::vector<std::string>& dbs, int written) {
    for (int round = 0; round < 10; ++round) {
        bool pending = false;
        for (const auto& db : dbs) {
            client({"sync", "--db", db, "--timeout", "30"});
            pending |= parsed(client({"status", "--db", db, "--json"}))["pending"] != 0;
        }
        if (!pending) break;
    }
    for (const auto& db : dbs)
        synced(db);
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), written);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_conflicts"), 0) << "nothing applied twice";
    for (const auto& db : dbs) {
        EXPECT_EQ(value(db, "SELECT count(*) FROM household"), std::to_string(written)) << db;
        EXPECT_EQ(parsed(client({"status", "--db", db, "--json"}))["pending"], 0) << db;
    }
}

TEST_F(failover, a_primary_killed_while_tablets_push_loses_nothing_acknowledged) {
    std::vector<std::string> dbs;
    for (int t = 0; t < 3; ++t)
        dbs.push_back(tablet(enrol("01849"), "t" + std::to_string(t)));
    const auto written = push_through_kills(dbs, {server.get()}, {});
    ASSERT_FALSE(HasFatalFailure());
    converged(dbs, written);
}

TEST_F(failover, two_server_processes_find_the_new_primary_and_their_tablets_lose_nothing) {
    ASSERT_NO_FATAL_FAILURE(start_second());
    std::vector<std::string> dbs;
    for (int t = 0; t < 3; ++t)
        dbs.push_back(tablet(enrol("01849"), "t" + std::to_string(t)));
    // t0 syncs through the first process, t1 through the second, t2 through each in turn.
    client({"set-server", "--db", dbs[1], "--server", second_url});
    const auto written =
        push_through_kills(dbs, {server.get(), second.get()}, [&](std::size_t t, int b) {
            if (t == 2)
                client({"set-server", "--db", dbs[2], "--server", b % 2 ? second_url : url});
        });
    ASSERT_FALSE(HasFatalFailure());
    converged(dbs, written);
}
