// Two noi-server processes serving one data directory (serve --shared), or, on PostgreSQL, two
// data directories on one store: a tablet pushes through one and pulls through the other,
// nothing skipped or applied twice; NOTIFY and a published schema reach the other's sessions;
// a server not started with --shared is refused beside them on one directory.
#include "server_process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <thread>

using namespace noi;
using json = nlohmann::json;

namespace {

struct shared_store : test::server_process {
    std::unique_ptr<process::child_process> second;
    std::string url2;

    void SetUp() override {
        auto r = init_server();
        ASSERT_EQ(r.exit_code, 0) << r.err;
        admin_token = r.out.substr(0, r.out.find('\n'));
        start_server("127.0.0.1:0", {"--shared"});
        // On PostgreSQL the second process has a data directory of its own that joined the
        // store, as on a second machine of the province.
        std::vector<std::string> argv{NOI_SERVER_BIN, "serve",       "--data",  data,
                                      "--listen",     "127.0.0.1:0", "--shared"};
        if (test::servers_on_postgresql()) {
            argv[3] = dir.file("second");
            argv.pop_back();
            auto joined = process::run({NOI_SERVER_BIN, "init", "--data", argv[3], "--store",
                                        store.database()->conninfo()});
            ASSERT_EQ(joined.exit_code, 0) << joined.err;
            ASSERT_EQ(joined.out, "joined\n");
        }
        second = std::make_unique<process::child_process>(argv, dir.path());
        auto line = second->wait_for_stderr("listening on ", std::chrono::seconds(20));
        ASSERT_TRUE(line) << second->stderr_text();
        url2 = "http://" + line->substr(line->find("listening on ") + 13);
    }
    // Points a tablet at one of the two servers.
    void through(const std::string& db, const std::string& server) {
        auto r = client({"set-server", "--db", db, "--server", server});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
};

} // namespace

TEST_F(shared_store, a_server_not_started_shared_is_refused_beside_shared_ones) {
    auto r = process::run({NOI_SERVER_BIN, "serve", "--data", data, "--listen", "127.0.0.1:0"},
                          std::chrono::seconds(20));
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("--shared"), std::string::npos) << r.err;
}

TEST_F(shared_store, tablets_syncing_through_either_server_skip_and_repeat_nothing) {
    auto a = enrol("01849"), a2 = enrol("01849");
    auto da = tablet(a, "a"), da2 = tablet(a2, "a2");
    through(da2, url2);
    for (int round = 0; round < 6; ++round) {
        const auto n = std::to_string(round); // named: GCC 12's false -Wrestrict at -O3
        exec(da, "INSERT INTO household(id, commune_code, village, members) VALUES ('a" + n +
                     "', '01849', 'Nà Pài', " + n + ")");
        exec(da2, "INSERT INTO household(id, commune_code, village, members) VALUES ('b" + n +
                      "', '01849', 'Bản Chang', " + n + ")");
        // Each round the two tablets sync at once, through different servers.
        std::thread other([&] { synced(da2); });
        synced(da);
        other.join();
        // And every other round they swap servers.
        through(da, round % 2 ? url : url2);
        through(da2, round % 2 ? url2 : url);
    }
    synced(da);
    synced(da2);
    synced(da);
    for (const auto& t : {da, da2}) {
        EXPECT_EQ(value(t, "SELECT count(*) FROM household"), "12") << t;
        EXPECT_EQ(value(t, "SELECT count(DISTINCT id) FROM household"), "12") << t;
    }
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), 12);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_feed"),
              server_count("SELECT count(DISTINCT seq) FROM noi_feed"));
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_conflicts"), 0) << "nothing applied twice";
}

TEST_F(shared_store, a_write_through_one_server_is_notified_to_the_other_s_sessions) {
    auto a = enrol("01849"), a2 = enrol("01849");
    auto da = tablet(a, "a"), da2 = tablet(a2, "a2");
    through(da2, url2);
    synced(da2);
    process::child_process watching({NOI_CLIENT_BIN, "watch", "--db", da2}, dir.path());
    ASSERT_TRUE(watching.wait_for_stderr("synced:", std::chrono::seconds(20)))
        << watching.stderr_text();
    exec(da, "INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01849', 'Cháy rừng "
             "ở Khuổi Khe')");
    synced(da);
    std::string got;
    for (int i = 0; i < 50 && got != "Cháy rừng ở Khuổi Khe"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        got = value(da2, "SELECT summary FROM incident WHERE id = 'i1'");
    }
    EXPECT_EQ(got, "Cháy rừng ở Khuổi Khe") << "a2, watching through the second server, heard";
    watching.signal(SIGTERM);
}

TEST_F(shared_store, a_schema_published_through_one_server_is_offered_by_the_other) {
    auto a = enrol("01849");
    auto da = tablet(a, "a");
    through(da, url2);
    synced(da);
    // Published through the first server.
    ASSERT_EQ(admin({"schema", "apply", schema_with_border_patrol()}).exit_code, 0);
    synced(da); // through the second
    exec(da, "INSERT INTO border_patrol(id, commune_code, route) VALUES ('r1', '01849', 'Mốc 12')");
    synced(da);
    EXPECT_EQ(server_count("SELECT count(*) FROM border_patrol"), 1);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine"), 0);
}

TEST_F(shared_store, an_admin_call_through_either_server_acts_on_the_one_province) {
    auto a = enrol("01849"); // through the first
    auto da = tablet(a, "a");
    synced(da);
    auto listed = process::run(
        {NOI_ADMIN_BIN, "--server", url2, "--token", admin_token, "device", "list", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    auto devices = parsed(listed);
    ASSERT_EQ(devices.size(), 1u);
    EXPECT_EQ(devices[0]["device_id"], a["device_id"]);
    auto revoked = process::run({NOI_ADMIN_BIN, "--server", url2, "--token", admin_token, "device",
                                 "revoke", a["device_id"].get<std::string>()});
    ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
    EXPECT_NE(sync(da).exit_code, 0) << "revoked through the second, refused by the first";
}
