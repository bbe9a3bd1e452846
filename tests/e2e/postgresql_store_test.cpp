// What only a server on PostgreSQL does (noi-server init --store): a second data directory joins
// the store; a connection string with a password is refused and never shown; SQLite's backup
// and restore point at PostgreSQL's tools; after a restore to an earlier point, new-epoch makes
// tablets send everything again, with nothing doubled. These run as pg:postgresql_store.*.
#include "pg_connection.hpp"
#include "server_process.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

using namespace noi;

namespace {

struct postgresql_store : test::server_process {
    void SetUp() override {
        if (!test::servers_on_postgresql())
            GTEST_SKIP() << "runs on PostgreSQL only, as pg:postgresql_store.*";
        server_process::SetUp();
    }
    const std::string& conninfo() const { return store.database()->conninfo(); }
};

} // namespace

TEST_F(postgresql_store, a_second_directory_joins_the_store_and_makes_no_account) {
    const auto second = dir.file("second");
    auto r = process::run({NOI_SERVER_BIN, "init", "--data", second, "--store", conninfo()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "joined\n");
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_accounts"), 1);
    auto again = process::run({NOI_SERVER_BIN, "init", "--data", second, "--store", conninfo()});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.err.find("already holds"), std::string::npos) << again.err;
}

TEST_F(postgresql_store, a_connection_string_with_a_password_is_refused_and_never_shown) {
    const auto other = dir.file("other");
    for (const auto& with_password :
         {conninfo() + " password=s3cr3t-m4t-kh4u", std::string("postgresql://noi:s3cr3t-m4t-kh4u@"
                                                                "localhost/noi")}) {
        auto r = process::run({NOI_SERVER_BIN, "init", "--data", other, "--store", with_password});
        EXPECT_EQ(r.exit_code, 1);
        EXPECT_NE(r.err.find("~/.pgpass"), std::string::npos) << r.err;
        EXPECT_EQ((r.out + r.err).find("s3cr3t"), std::string::npos) << r.err;
        EXPECT_FALSE(std::filesystem::exists(other));
    }
    auto bad = process::run({NOI_SERVER_BIN, "init", "--data", other, "--store", "host='"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("not a PostgreSQL connection string"), std::string::npos) << bad.err;
}

TEST_F(postgresql_store, backup_and_restore_point_at_postgresqls_own_tools) {
    auto b = process::run({NOI_SERVER_BIN, "backup", "--data", data, "--to", dir.file("s.db")});
    EXPECT_EQ(b.exit_code, 1);
    EXPECT_NE(b.err.find("pg_basebackup"), std::string::npos) << b.err;
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(std::chrono::seconds(10)), 0);
    std::ofstream(dir.file("s.db")) << "x";
    auto r = process::run({NOI_SERVER_BIN, "restore", "--data", data, "--from", dir.file("s.db")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("new-epoch"), std::string::npos) << r.err;
}

TEST_F(postgresql_store, restored_to_an_earlier_point_then_new_epoch_gets_back_all_from_tablets) {
    auto dev = enrol("01849");
    auto db = tablet(dev, "a");
    auto write = [&](int from, int to) {
        exec(db, for_each_i(from, to,
                            "INSERT INTO household(id, commune_code, village, members) "
                            "SELECT 'h' || i, '01849', 'Nà Pài', i % 7 FROM n"));
        synced(db);
    };
    auto stop = [&] {
        server->signal(SIGTERM);
        ASSERT_EQ(server->wait(std::chrono::seconds(10)), 0);
    };
    write(1, 30);
    // The backup: a copy of the database as it stands (what pg_basebackup and WAL replay to this
    // point would give back).
    const auto& name = store.database()->name();
    stop();
    pg::connection cluster(store.database()->cluster());
    cluster.exec("CREATE DATABASE " + name + "_snap TEMPLATE " + name);
    start_server(url.substr(7));
    write(31, 40);
    exec(db, "UPDATE household SET members = 42 WHERE id = 'h7'");
    synced(db);
    // The restore: the database of the backup in place of the one that went on.
    stop();
    cluster.exec("ALTER DATABASE " + name + " RENAME TO " + name + "_lost");
    cluster.exec("ALTER DATABASE " + name + "_snap RENAME TO " + name);
    cluster.exec("DROP DATABASE " + name + "_lost");
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), 30);
    auto e = process::run({NOI_SERVER_BIN, "new-epoch", "--data", data});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_NE(e.err.find("new epoch"), std::string::npos) << e.err;
    start_server(url.substr(7));
    synced(db);
    synced(db);
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), 40);
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h7'"), 42);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_conflicts"), 0);
    EXPECT_EQ(value(db, "SELECT count(*) FROM household"), "40");
    EXPECT_EQ(parsed(client({"status", "--db", db, "--json"}))["pending"], 0);
}

namespace {

// A province that began on SQLite (its server made without --store), moved by migrate-store
// into the database this run's store made for it.
struct migration : test::server_process {
    void SetUp() override {
        if (!test::servers_on_postgresql())
            GTEST_SKIP() << "runs on PostgreSQL only, as pg:migration.*";
        auto r = process::run({NOI_SERVER_BIN, "init", "--data", data});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        admin_token = r.out.substr(0, r.out.find('\n'));
        start_server();
    }
};

} // namespace

TEST_F(migration, a_sqlite_province_moves_whole_and_its_tablets_sync_on_without_a_reset) {
    auto a = enrol("01849"), b = enrol("01849");
    auto da = tablet(a, "a"), db = tablet(b, "b");
    exec(da, for_each_i(1, 30,
                        "INSERT INTO household(id, commune_code, village, members) "
                        "SELECT 'h' || i, '01849', 'Nà Pài', i % 7 FROM n"));
    synced(da);
    synced(db);
    // A conflict, a quarantined row, an account, a schema version: what only the server holds.
    exec(da, "UPDATE household SET village = 'Bản Chang' WHERE id = 'h1'");
    exec(db, "UPDATE household SET village = 'Khuổi Khe' WHERE id = 'h1'");
    synced(da);
    synced(db);
    // Before its first sync a tablet does not know its commune: this row goes to quarantine.
    auto dc = tablet(enrol("01849"), "c");
    exec(dc, "INSERT INTO incident(id, commune_code, summary) VALUES ('x', '01864', 'ngoài xã')");
    ASSERT_EQ(sync(dc).exit_code, 0);
    ASSERT_EQ(admin({"account", "add", "--name", "hoa.nguyen", "--role", "admin"}).exit_code, 0);
    ASSERT_EQ(admin({"schema", "apply", schema_with_border_patrol()}).exit_code, 0);
    synced(da);
    const std::vector<std::string> tables{
        "household",      "noi_feed",      "noi_rows",          "noi_devices", "noi_sites",
        "noi_tokens",     "noi_accounts",  "noi_admin_log",     "noi_units",   "noi_conflicts",
        "noi_quarantine", "noi_audit_log", "noi_schema_history"};
    std::map<std::string, std::int64_t> before;
    for (const auto& t : tables)
        before[t] = server_count("SELECT count(*) FROM " + t);
    ASSERT_EQ(before["noi_conflicts"], 1);
    ASSERT_EQ(before["noi_quarantine"], 1);
    // What the admin reads of them, every field, to compare after the move.
    const auto read_back = [&] {
        return std::vector<std::string>{
            admin({"conflicts", "list", "--json"}).out, admin({"quarantine", "list", "--json"}).out,
            admin({"device", "list", "--json"}).out, admin({"account", "list", "--json"}).out,
            admin({"history", "--table", "household", "--row", "h1", "--json"}).out};
    };
    const auto read_before = read_back();

    auto running = process::run(
        {NOI_SERVER_BIN, "migrate-store", "--from", data, "--to", store.database()->conninfo()});
    EXPECT_EQ(running.exit_code, 1) << "refused while the server runs";
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(std::chrono::seconds(10)), 0);
    auto moved = process::run({NOI_SERVER_BIN, "migrate-store", "--from", data, "--to",
                               store.database()->conninfo(), "--json"});
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    const auto report = parsed(moved)["tables"];
    EXPECT_EQ(report["noi_feed"], before["noi_feed"]);
    EXPECT_EQ(report["household"], before["household"]);
    EXPECT_NE(moved.err.find("copied"), std::string::npos) << moved.err;
    EXPECT_TRUE(std::filesystem::exists(data + "/store.json"));
    auto again = process::run(
        {NOI_SERVER_BIN, "migrate-store", "--from", data, "--to", store.database()->conninfo()});
    EXPECT_EQ(again.exit_code, 1) << "moved already";

    start_server(url.substr(7));
    for (const auto& t : tables)
        EXPECT_EQ(server_count("SELECT count(*) FROM " + t), before[t]) << t << " on PostgreSQL";
    const auto read_after = read_back();
    for (std::size_t i = 0; i < read_before.size(); ++i)
        EXPECT_EQ(read_after[i], read_before[i]);
    // The same epoch and sequences: each tablet sends only what is new, and pulls only that.
    exec(da, "INSERT INTO household(id, commune_code, village, members) VALUES ('h31', '01849', "
             "'Nà Pài', 3)");
    auto pushed = sync(da);
    ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
    EXPECT_NE(pushed.err.find("pushed 1 rows"), std::string::npos) << pushed.err;
    auto pulled = sync(db);
    ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
    EXPECT_NE(pulled.err.find("pulled 1 rows"), std::string::npos) << pulled.err;
    EXPECT_EQ(value(db, "SELECT count(*) FROM household"), "31");
    exec(da, "INSERT INTO border_patrol(id, commune_code, route) VALUES ('r1', '01849', 'Mốc 12')");
    synced(da);
    EXPECT_EQ(server_count("SELECT count(*) FROM border_patrol"), 1);
    EXPECT_EQ(parsed(admin({"conflicts", "list", "--json"})).size(), 1u);
    EXPECT_EQ(parsed(admin({"quarantine", "list", "--json"})).size(), 1u);
    const auto history =
        parsed(admin({"history", "--table", "household", "--row", "h1", "--json"}));
    EXPECT_GE(history.size(), 3u) << "the insert and both edits, carried over: " << history;
}

TEST_F(migration, text_postgresql_cannot_hold_is_named_and_nothing_is_moved) {
    auto da = tablet(enrol("01849"), "a");
    exec(da, for_each_i(1, 3,
                        "INSERT INTO household(id, commune_code, village, members) "
                        "SELECT 'h' || i, '01849', 'Nà Pài', i FROM n"));
    synced(da);
    server->signal(SIGTERM);
    ASSERT_EQ(server->wait(std::chrono::seconds(10)), 0);
    // What an earlier release took before it checked pushed text: a byte that is not UTF-8.
    test::server_exec(data, "UPDATE household SET village = CAST(X'4EC3A020FF' AS TEXT) WHERE "
                            "id = 'h2'");
    const auto to = store.database()->conninfo();
    auto refused = process::run({NOI_SERVER_BIN, "migrate-store", "--from", data, "--to", to});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("household h2 (village)"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("nothing was moved"), std::string::npos) << refused.err;
    EXPECT_FALSE(std::filesystem::exists(data + "/store.json"));
    // Mended, it moves: nothing of the refused attempt was left in the database.
    test::server_exec(data, "UPDATE household SET village = 'Nà Pài' WHERE id = 'h2'");
    auto moved = process::run({NOI_SERVER_BIN, "migrate-store", "--from", data, "--to", to});
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    start_server(url.substr(7));
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), 3);
}
