// What a province IT officer does around a restore (docs/operations.md): restore a snapshot
// while tablets went on writing, enrolling and being revoked; restore onto a new disk; give a
// replica a new token. Real processes, as the officer runs them.
#include "server_process.hpp"

#include <noi/sync/database.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>

using namespace noi;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct restore : test::server_process {
    std::string snapshot = dir.file("snapshot.db");

    void backup() {
        auto b = process::run({NOI_SERVER_BIN, "backup", "--data", data, "--to", snapshot});
        ASSERT_EQ(b.exit_code, 0) << b.err;
    }
    void stop() {
        server->signal(SIGTERM);
        ASSERT_EQ(server->wait(10s), 0);
    }
    json restore_from_snapshot() {
        auto r =
            process::run({NOI_SERVER_BIN, "restore", "--data", data, "--from", snapshot, "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return parsed(r);
    }
};

} // namespace

TEST_F(restore, a_restore_keeps_what_was_written_enrolled_revoked_and_resolved_since) {
    auto a = enrol("01849"), a2 = enrol("01849"), b = enrol("01864"), lost = enrol("01849");
    auto da = tablet(a, "a"), da2 = tablet(a2, "a2"), db = tablet(b, "b"), dl = tablet(lost, "l");
    exec(da, "INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
             "'Nà Pài', 4)");
    exec(db, "INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01864', 'Trộm trâu')");
    exec(dl, "INSERT INTO household(id, commune_code, members) VALUES ('h9', '01849', 2)");
    for (const auto& t : {da, da2, db, dl, da2})
        synced(t);
    backup();

    // A week goes by: a correction, a conflict an admin resolves, a tablet lost and revoked,
    // a new one enrolled, more records.
    exec(da2, "UPDATE household SET members = 5 WHERE id = 'h1'");
    synced(da2);
    synced(da);
    exec(da, "UPDATE household SET village = 'Bản Pjạc' WHERE id = 'h1'");
    exec(da2, "UPDATE household SET village = 'Bản Chang' WHERE id = 'h1'");
    synced(da);
    synced(da2);
    auto open = parsed(admin({"conflicts", "list", "--json"}));
    ASSERT_EQ(open.size(), 1u);
    auto resolved = admin({"conflicts", "resolve", std::to_string(open[0]["id"].get<int>()),
                           "--value", "\"Bản Chang Dưới\""});
    ASSERT_EQ(resolved.exit_code, 0) << resolved.err;
    ASSERT_EQ(admin({"device", "revoke", lost["device_id"]}).exit_code, 0);
    auto n = enrol("01864");
    auto dn = tablet(n, "n");
    exec(dn, "INSERT INTO incident(id, commune_code, summary) VALUES ('i2', '01864', 'Cháy rừng')");
    synced(dn);
    exec(db, "INSERT INTO incident(id, commune_code, summary) VALUES ('i3', '01864', 'Lũ quét')");
    synced(db);
    // A tablet enrolled since sends a row of another commune before its first sync; the
    // province makes the device province-wide and releases the row. The tablet has not synced
    // since: the released row exists only on the server when the restore comes.
    auto x = enrol("01849");
    auto dx = tablet(x, "x");
    exec(dx, "INSERT INTO incident(id, commune_code, summary) VALUES ('i4', '01864', 'Nhầm xã')");
    ASSERT_EQ(sync(dx).exit_code, 0);
    auto q = parsed(admin({"quarantine", "list", "--json"}));
    ASSERT_EQ(q.size(), 1u);
    {
        database server_db(data + "/noi.db", false);
        server_db.exec("UPDATE noi_devices SET scope = '*' WHERE device_id = '" +
                       x["device_id"].get<std::string>() + "'");
    }
    auto released = admin({"quarantine", "release", std::to_string(q[0]["id"].get<int>())});
    ASSERT_EQ(released.exit_code, 0) << released.err;
    const auto households = server_count("SELECT count(*) FROM household");
    const auto incidents = server_count("SELECT count(*) FROM incident");

    stop();
    auto report = restore_from_snapshot();
    EXPECT_EQ(report["carried_over"], true);
    EXPECT_EQ(report["devices_enrolled_since"], 2);
    EXPECT_EQ(report["devices_revoked_since"], 1);
    EXPECT_EQ(report["conflicts_carried"], 1);
    EXPECT_EQ(report["server_writes_carried"], 2) << "the resolution and the release";
    EXPECT_TRUE(report["snapshot_at"].is_string());
    EXPECT_TRUE(std::filesystem::exists(report["replaced_kept_as"].get<std::string>()));
    start_server(url.substr(7));

    for (const auto& t : {da, da2, db, dn, dx, da, da2, db, dn, dx})
        synced(t);
    EXPECT_EQ(value(dx, "SELECT summary FROM incident WHERE id = 'i4'"), "Nhầm xã");
    EXPECT_EQ(parsed(client({"status", "--db", dx, "--json"}))["rejected"], 0);
    auto l = sync(dl);
    EXPECT_EQ(l.exit_code, 4) << "the revocation was undone: " << l.err;

    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine WHERE status = 'open'"), 0);
    auto all = parsed(admin({"conflicts", "list", "--status", "all", "--json"}));
    ASSERT_EQ(all.size(), 1u) << all.dump();
    EXPECT_EQ(all[0]["status"], "resolved");
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), households);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident"), incidents);
    for (const auto& t : {da, da2}) {
        EXPECT_EQ(value(t, "SELECT village FROM household WHERE id = 'h1'"), "Bản Chang Dưới");
        EXPECT_EQ(value(t, "SELECT members FROM household WHERE id = 'h1'"), "5");
    }
    for (const auto& t : {db, dn})
        EXPECT_EQ(value(t, "SELECT count(*) FROM incident"), "4");
    for (const auto& t : {da, da2, db, dn, dx}) {
        auto st = parsed(client({"status", "--db", t, "--json"}));
        EXPECT_EQ(st["pending"], 0);
        EXPECT_EQ(st["rejected"], 0);
    }
}

TEST_F(restore, onto_a_new_disk_a_tablet_enrolled_since_takes_a_new_device_and_keeps_its_writes) {
    auto a = enrol("01849");
    auto da = tablet(a, "a");
    exec(da, "INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
    synced(da);
    backup();
    auto n = enrol("01864");
    auto dn = tablet(n, "n");
    exec(dn, "INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01864', 'Trộm trâu')");
    synced(dn);

    stop();
    std::filesystem::remove_all(data); // the disk died
    auto r = process::run({NOI_SERVER_BIN, "restore", "--data", data, "--from", snapshot});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("Revoke lost tablets again"), std::string::npos) << r.err;
    start_server(url.substr(7));

    exec(dn, "INSERT INTO incident(id, commune_code, summary) VALUES ('i2', '01864', 'Lũ quét')");
    EXPECT_EQ(sync(dn).exit_code, 4); // its device is not in the snapshot
    auto n2 = enrol("01864");
    auto set = client({"set-token", "--db", dn, "--token", n2["token"]});
    ASSERT_EQ(set.exit_code, 0) << set.err;
    synced(dn);
    synced(da);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident"), 2);
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), 1);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine"), 0);
}

TEST_F(restore, a_replica_takes_a_new_token_of_its_device_or_moves_to_a_new_device_once_revoked) {
    auto a = enrol("01849");
    auto da = tablet(a, "a");
    exec(da, "INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
    synced(da);

    // The token was seen by others: a new one for the same device; the old one stops.
    auto fresh = admin({"device", "token", a["device_id"], "--json"});
    ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
    exec(da, "UPDATE household SET members = 5");
    EXPECT_EQ(sync(da).exit_code, 4);
    ASSERT_EQ(
        client({"set-token", "--db", da, "--token", json::parse(fresh.out)["token"]}).exit_code, 0);
    synced(da);
    EXPECT_EQ(server_count("SELECT members FROM household"), 5);

    // A new device takes the replica over only once the old one is revoked, and only in its
    // own commune; the pending write goes up with it.
    exec(da, "UPDATE household SET members = 6");
    auto other = enrol("01864");
    ASSERT_EQ(client({"set-token", "--db", da, "--token", other["token"]}).exit_code, 0);
    auto wrong = sync(da);
    EXPECT_EQ(wrong.exit_code, 1);
    EXPECT_NE(wrong.err.find("revoke " + a["device_id"].get<std::string>()), std::string::npos)
        << wrong.err;
    ASSERT_EQ(admin({"device", "revoke", a["device_id"]}).exit_code, 0);
    wrong = sync(da);
    EXPECT_EQ(wrong.exit_code, 1);
    EXPECT_NE(wrong.err.find("holds the data of 01849"), std::string::npos) << wrong.err;
    auto b = enrol("01849");
    ASSERT_EQ(client({"set-token", "--db", da, "--token", b["token"]}).exit_code, 0);
    synced(da);
    EXPECT_EQ(server_count("SELECT members FROM household"), 6);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_sites WHERE device_id = '" +
                           b["device_id"].get<std::string>() + "'"),
              1);
    EXPECT_EQ(parsed(client({"status", "--db", da, "--json"}))["pending"], 0);
}

TEST_F(restore, a_database_that_opens_but_cannot_be_carried_over_changes_nothing) {
    backup();
    stop();
    // Another server's snapshot: its devices are not this province's.
    test::temp_dir other;
    ASSERT_EQ(process::run({NOI_SERVER_BIN, "init", "--data", other.file("s")}).exit_code, 0);
    const auto foreign = other.file("foreign.db");
    ASSERT_EQ(process::run({NOI_SERVER_BIN, "backup", "--data", other.file("s"), "--to", foreign})
                  .exit_code,
              0);
    const auto before = std::filesystem::file_size(data + "/noi.db");
    auto r = process::run({NOI_SERVER_BIN, "restore", "--data", data, "--from", foreign});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("nothing was restored"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("different servers"), std::string::npos) << r.err;
    EXPECT_EQ(std::filesystem::file_size(data + "/noi.db"), before);
    EXPECT_FALSE(std::filesystem::exists(data + "/noi.db.restoring"));
    // Its own snapshot goes in; --without-carry installs a snapshot alone on purpose.
    auto own = process::run(
        {NOI_SERVER_BIN, "restore", "--data", data, "--from", snapshot, "--without-carry"});
    EXPECT_EQ(own.exit_code, 0) << own.err;
    EXPECT_NE(own.err.find("nothing was carried over"), std::string::npos) << own.err;
}

TEST_F(restore, a_snapshot_and_a_data_directory_of_an_earlier_release_restore_and_serve) {
    stop();
    // Release 166a116 made both (tests/fixtures/poisoned-clock): the snapshot is its database
    // as it was, the directory the same server later.
    const auto old_dir = dir.file("old"), old_snapshot = dir.file("old-snapshot.db");
    std::filesystem::copy(NOI_FIXTURES_DIR "/poisoned-clock/server", old_dir);
    std::filesystem::copy_file(old_dir + "/noi.db", old_snapshot);
    data = old_dir;
    const auto devices = server_count("SELECT count(*) FROM noi_devices");
    auto r = process::run(
        {NOI_SERVER_BIN, "restore", "--data", old_dir, "--from", old_snapshot, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(parsed(r)["carried_over"], true);
    EXPECT_TRUE(parsed(r)["snapshot_at"].is_null()) << "that release did not mark its snapshots";
    start_server();
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_devices"), devices);
    EXPECT_EQ(server_count("SELECT count(*) FROM commune"), 108);
}

TEST_F(restore, a_server_and_tablets_of_release_12645d6_restore_and_sync_and_lose_nothing) {
    stop();
    const std::string from = NOI_FIXTURES_DIR "/release-12645d6";
    const auto old_dir = dir.file("release"), old_snapshot = dir.file("release-snapshot.db");
    std::filesystem::copy(from + "/server", old_dir);
    std::filesystem::copy_file(from + "/snapshot.db", old_snapshot);
    std::ifstream token_file(from + "/admin-token");
    std::getline(token_file, admin_token);
    data = old_dir;
    auto r = process::run(
        {NOI_SERVER_BIN, "restore", "--data", old_dir, "--from", old_snapshot, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto report = parsed(r);
    EXPECT_EQ(report["carried_over"], true);
    EXPECT_EQ(report["conflicts_carried"], 1);
    EXPECT_TRUE(report["snapshot_at"].is_null()) << "that release did not mark its snapshots";
    start_server();
    std::vector<std::string> tablets;
    for (const char* name : {"tablet-a.db", "tablet-b.db"}) {
        const auto copy = dir.file(name);
        std::filesystem::copy_file(from + "/" + name, copy);
        database replica(copy, false);
        auto point = replica.prepare("UPDATE noi_meta SET value = ?1 WHERE key = 'server_url'");
        point.bind(1, url);
        point.run();
        tablets.push_back(copy);
    }
    for (const auto& t : {tablets[0], tablets[1], tablets[0]})
        ASSERT_EQ(sync(t).exit_code, 0);

    // The conflict made after the snapshot came across, and was not recorded again; the
    // assessment with a date of that release was sent again, not quarantined.
    EXPECT_EQ(parsed(admin({"conflicts", "list", "--status", "all", "--json"})).size(), 1u);
    auto q = parsed(admin({"quarantine", "list", "--json"}));
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0]["row_id"], "x");
    EXPECT_EQ(server_count("SELECT count(*) FROM assessment WHERE decided_on = '05/12/2026'"), 1);
    for (const auto& t : tablets)
        EXPECT_EQ(value(t, "SELECT members FROM household WHERE id = 'h1'"),
                  value(tablets[0], "SELECT members FROM household WHERE id = 'h1'"));
    EXPECT_EQ(value(tablets[0], "SELECT count(*) FROM assessment"), "1");

    // The tablet's rejected row of that release clears once discarded.
    ASSERT_EQ(admin({"quarantine", "discard", std::to_string(q[0]["id"].get<int>())}).exit_code, 0);
    ASSERT_EQ(sync(tablets[0]).exit_code, 0);
    EXPECT_EQ(parsed(client({"status", "--db", tablets[0], "--json"}))["rejected"], 0);
    // Its keyboard now refuses a date that release took.
    auto typed = client({"exec", "--db", tablets[1],
                         "UPDATE assessment SET decided_on = '06/12/2026' WHERE id = 'a1'"});
    EXPECT_EQ(typed.exit_code, 1);
}

TEST_F(restore, a_damaged_snapshot_is_refused_and_changes_nothing) {
    auto dev = enrol("01849");
    auto t = tablet(dev, "a");
    exec(t, "INSERT INTO household(id, commune_code, village) VALUES ('h1', '01849', 'Nà Pài')");
    synced(t);
    backup();
    stop();
    {
        // Garbage over the middle of the file: its pages, not its header.
        std::fstream f(snapshot, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(snapshot) / 2));
        const std::string garbage(3000, '\xff');
        f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    const auto before = std::filesystem::file_size(data + "/noi.db");
    auto r = process::run({NOI_SERVER_BIN, "restore", "--data", data, "--from", snapshot});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("is damaged"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("restore an earlier snapshot"), std::string::npos) << r.err;
    EXPECT_EQ(std::filesystem::file_size(data + "/noi.db"), before);
    EXPECT_FALSE(std::filesystem::exists(data + "/noi.db.restoring"));
}
