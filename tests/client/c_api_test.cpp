// Runs the C program tests/client/c_api_check.c against a live server.
#include "child_process.hpp"
#include "live_server.hpp"

#include <noi/beast/certificate_pin.hpp>
#include <noi/noi.h>
#include <noi/sync/database.hpp>

#include <admin/http_client.hpp>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

TEST(c_api, a_c_program_writes_offline_syncs_and_reads_back) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto e = server.enrol("01849");
    auto r = noi::process::run({NOI_C_API_CHECK, dir.file("c.db"), server.url(), e.token});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    noi::database db(server.data_dir() + "/noi.db", false);
    auto st = db.prepare("SELECT village FROM household WHERE id = 'c1'");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_text(0), "Nà Pài");
}

namespace {

struct schema_seen {
    int calls = 0;
    std::uint32_t from = 0, to = 0;
};

void on_schema(std::uint32_t from, std::uint32_t to, void* user) {
    auto* seen = static_cast<schema_seen*>(user);
    seen->calls++;
    seen->from = from;
    seen->to = to;
}

} // namespace

TEST(c_api, an_app_asks_its_schema_version_and_is_told_when_a_sync_changed_it) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto e = server.enrol("01849");
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("c.db").c_str(), server.url().c_str(), e.token.c_str(), &r, &err),
              NOI_OK)
        << err.message;
    std::uint32_t version = 0;
    ASSERT_EQ(noi_get_schema_version(r, &version, &err), NOI_OK);
    EXPECT_EQ(version, 1u);
    schema_seen seen;
    ASSERT_EQ(noi_set_schema_callback(r, on_schema, &seen, &err), NOI_OK);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    EXPECT_EQ(seen.calls, 0);
    const auto labels = [&] {
        char* out = nullptr;
        EXPECT_EQ(noi_labels_json(r, &out, &err), NOI_OK) << err.message;
        auto j = nlohmann::json::parse(out);
        noi_free(out);
        return j;
    };
    const auto table_of = [](const nlohmann::json& s, const std::string& name) {
        for (const auto& t : s["tables"])
            if (t["name"] == name) return t;
        return nlohmann::json();
    };
    // The library's own labels of the default tables, before any version.
    auto before = labels();
    EXPECT_EQ(before["version"], 1);
    auto militia = table_of(before, "militia_member");
    EXPECT_EQ(militia["label"]["vi"], "Dân quân tự vệ");
    EXPECT_EQ(militia["columns"][4]["name"], "village");
    EXPECT_EQ(militia["columns"][4]["label"]["en"], "Village");

    auto shown = nlohmann::json::parse(
        noi::admin::request(server.url(), "GET", "/admin/v1/schema", server.admin_token(), "", "")
            .body);
    shown.erase("history");
    shown["version"] = 2;
    shown["tables"].push_back(
        {{"name", "border_patrol"},
         {"scope", "commune_code"},
         {"label", {{"vi", "Tuần tra biên giới"}, {"en", "Border patrol"}}},
         {"columns",
          {{{"name", "route"},
            {"type", "TEXT"},
            {"label", {{"vi", "Tuyến"}, {"en", "Route"}}},
            {"values",
             {{{"value", "moc_3"}, {"label", {{"vi", "Mốc 3"}, {"en", "Marker 3"}}}}}}}}}});
    auto applied = noi::admin::request(server.url(), "POST", "/admin/v1/schema",
                                       server.admin_token(), shown.dump(), "");
    ASSERT_EQ(applied.status, 200u) << applied.body;

    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    EXPECT_EQ(seen.calls, 1);
    auto patrol = table_of(labels(), "border_patrol");
    EXPECT_EQ(patrol["label"]["vi"], "Tuần tra biên giới");
    EXPECT_EQ(patrol["columns"][0]["label"]["vi"], "Mã xã") << "the scope column's own label";
    EXPECT_EQ(patrol["columns"][1]["values"][0]["label"]["en"], "Marker 3");
    EXPECT_EQ(seen.from, 1u);
    EXPECT_EQ(seen.to, 2u);
    ASSERT_EQ(noi_get_schema_version(r, &version, &err), NOI_OK);
    EXPECT_EQ(version, 2u);
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO border_patrol(id, commune_code, route) VALUES ('bp1', "
                       "'01849', 'Mốc 3')",
                       &err),
              NOI_OK)
        << err.message;
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    noi_close(r);
    noi::database db(server.data_dir() + "/noi.db", false);
    auto st = db.prepare("SELECT route FROM border_patrol WHERE id = 'bp1'");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_text(0), "Mốc 3");
}

namespace {

// What the replica keeps of its server, read through the C API itself.
std::string server_meta(noi_replica* r) {
    char* out = nullptr;
    noi_error err{};
    if (noi_query_json(r,
                       "SELECT key, value FROM noi_meta WHERE key IN ('server_url', 'ca_file', "
                       "'allow_plain_http') ORDER BY key",
                       &out, &err) != NOI_OK)
        return std::string("query failed: ") + err.message;
    std::string text = out;
    noi_free(out);
    return text;
}

std::uint64_t pending(noi_replica* r) {
    noi_status st{};
    noi_error err{};
    EXPECT_EQ(noi_get_status(r, &st, &err), NOI_OK) << err.message;
    return st.pending;
}

} // namespace

// Issue 28, item 13, for apps: the C API had no way to give a replica its CA at all.
TEST(c_api, a_replica_made_without_its_ca_is_repaired_by_noi_set_server_and_keeps_its_writes) {
    noi::test::temp_dir dir;
    noi::test::live_server server(true);
    auto e = server.enrol("01849");
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("c.db").c_str(), server.url().c_str(), e.token.c_str(), &r, &err),
              NOI_OK)
        << err.message;
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01849', "
                       "'một')",
                       &err),
              NOI_OK)
        << err.message;
    EXPECT_EQ(noi_sync(r, 10, &err), NOI_ERR);
    EXPECT_NE(std::string(err.message).find("noi_set_server"), std::string::npos) << err.message;
    EXPECT_EQ(pending(r), 1u);

    const auto before = server_meta(r);
    EXPECT_NE(before.find(server.url()), std::string::npos) << before;
    { std::ofstream(dir.file("not-a-cert.pem")) << "xin chào\n"; }
    const std::string port = std::to_string(server.port());
    struct refusal {
        const char *url, *ca;
        int allow;
        const char* why;
    };
    const std::string missing = dir.file("missing.pem"), garbage = dir.file("not-a-cert.pem");
    const std::string no_port = "https://127.0.0.1";
    for (const auto& [url, ca, allow, why] :
         {refusal{nullptr, missing.c_str(), 0, "does not exist"},
          refusal{nullptr, garbage.c_str(), 0, "holds no certificate"},
          refusal{"http://192.0.2.10:8080", nullptr, 0, "clear text"},
          refusal{no_port.c_str(), server.ca_file().c_str(), 0, "needs a port"}}) {
        EXPECT_EQ(noi_set_server(r, url, ca, allow, &err), NOI_ERR_USAGE) << why;
        EXPECT_NE(std::string(err.message).find(why), std::string::npos) << err.message;
        EXPECT_EQ(server_meta(r), before) << why;
    }
    EXPECT_EQ(noi_set_server(nullptr, nullptr, nullptr, 0, &err), NOI_ERR_USAGE);

    ASSERT_EQ(noi_start_background_sync(r, &err), NOI_OK) << err.message;
    EXPECT_EQ(noi_set_server(r, nullptr, server.ca_file().c_str(), 0, &err), NOI_ERR_USAGE);
    EXPECT_NE(std::string(err.message).find("noi_stop_background_sync"), std::string::npos)
        << err.message;
    noi_stop_background_sync(r);
    EXPECT_EQ(server_meta(r), before);

    ASSERT_EQ(noi_set_server(r, nullptr, server.ca_file().c_str(), 0, &err), NOI_OK) << err.message;
    EXPECT_EQ(pending(r), 1u);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    EXPECT_EQ(pending(r), 0u);

    // Another address for the same server: the CA stays, and the next write arrives by it.
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO incident(id, commune_code, summary) VALUES ('i2', '01849', "
                       "'hai')",
                       &err),
              NOI_OK)
        << err.message;
    const std::string by_name = "https://localhost:" + port;
    ASSERT_EQ(noi_set_server(r, by_name.c_str(), nullptr, 0, &err), NOI_OK) << err.message;
    const auto moved = server_meta(r);
    EXPECT_NE(moved.find(by_name), std::string::npos) << moved;
    EXPECT_NE(moved.find("test-cert.pem"), std::string::npos) << moved;
    EXPECT_EQ(pending(r), 1u);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    noi_close(r);

    noi::database db(server.data_dir() + "/noi.db", false);
    auto st = db.prepare("SELECT count(*) FROM incident WHERE id IN ('i1', 'i2')");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_int(0), 2);
}

TEST(c_api, a_tablet_enrols_with_the_address_as_the_console_s_qr_code_gives_it) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto e = server.enrol("01849");
    const auto qr_address = "ws://" + server.url().substr(std::string("http://").size()) + "/sync";
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("qr.db").c_str(), qr_address.c_str(), e.token.c_str(), &r, &err),
              NOI_OK)
        << err.message;
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO household(id, commune_code, village) VALUES ('q1', '01849', "
                       "'Bản Tàn')",
                       &err),
              NOI_OK)
        << err.message;
    EXPECT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    noi_close(r);
    noi::database db(server.data_dir() + "/noi.db", false);
    auto st = db.prepare("SELECT village FROM household WHERE id = 'q1'");
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.column_text(0), "Bản Tàn");

    r = nullptr;
    EXPECT_EQ(noi_init(dir.file("bad.db").c_str(), "127.0.0.1:8080", e.token.c_str(), &r, &err),
              NOI_ERR_USAGE);
    EXPECT_EQ(r, nullptr);
    EXPECT_NE(std::string(err.message).find("wss://"), std::string::npos) << err.message;
    EXPECT_FALSE(std::ifstream(dir.file("bad.db")).good()) << "nothing is made for a bad address";
}

namespace {

// A port that takes connections and never answers: a server hung, or a link that carries
// nothing. The kernel completes the TCP handshake from the backlog; nobody reads.
class silent_port {
public:
    silent_port() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
            ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len))
            throw std::runtime_error("cannot listen on loopback");
        url_ = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    }
    ~silent_port() { ::close(fd_); }
    const std::string& url() const { return url_; }

private:
    int fd_ = -1;
    std::string url_;
};

struct seen_progress {
    std::vector<noi_progress> events;
    std::vector<std::string> messages;
    std::vector<std::chrono::steady_clock::time_point> at;
};

void on_progress(const noi_progress* p, void* user) {
    auto* seen = static_cast<seen_progress*>(user);
    seen->events.push_back(*p);
    seen->messages.emplace_back(p->message);
    seen->at.push_back(std::chrono::steady_clock::now());
}

void on_log(int level, const char* message, void* user) {
    static_cast<std::vector<std::pair<int, std::string>>*>(user)->emplace_back(level, message);
}

} // namespace

TEST(c_api, an_app_is_shown_a_sync_s_progress_a_few_times_a_second_and_its_end) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto e = server.enrol("01849");
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("p.db").c_str(), server.url().c_str(), e.token.c_str(), &r, &err),
              NOI_OK);
    ASSERT_EQ(noi_exec(r,
                       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                       "3000) INSERT INTO household(id, commune_code, village) SELECT 'p' || i, "
                       "'01849', 'Thôn Nà Ngò ' || i FROM n",
                       &err),
              NOI_OK)
        << err.message;
    seen_progress seen;
    std::vector<std::pair<int, std::string>> logs;
    ASSERT_EQ(noi_set_progress_callback(r, on_progress, &seen, &err), NOI_OK);
    ASSERT_EQ(noi_set_log_callback(r, on_log, &logs, &err), NOI_OK);
    ASSERT_EQ(noi_sync(r, 60, &err), NOI_OK) << err.message;
    noi_close(r);

    ASSERT_GE(seen.events.size(), 3u);
    EXPECT_EQ(seen.events.front().phase, NOI_PHASE_CONNECTING);
    EXPECT_EQ(seen.events.front().rows_to_send, 3000u);
    const auto& last = seen.events.back();
    EXPECT_EQ(last.phase, NOI_PHASE_DONE);
    EXPECT_EQ(last.rows_sent, 3000u);
    EXPECT_EQ(last.rows_to_send, 0u);
    EXPECT_GT(last.bytes_sent, 3000u * 20) << "every row's cells crossed";
    EXPECT_GT(last.bytes_received, 0u);
    bool pushed = false;
    for (std::size_t i = 1; i < seen.events.size(); ++i) {
        const auto& p = seen.events[i];
        pushed |= p.phase == NOI_PHASE_PUSHING;
        EXPECT_LE(p.rows_to_send, seen.events[i - 1].rows_to_send) << "what is left only shrinks";
        if (p.phase == seen.events[i - 1].phase) {
            EXPECT_GE(seen.at[i] - seen.at[i - 1], std::chrono::milliseconds(240))
                << "one phase is reported at most four times a second";
        }
    }
    EXPECT_TRUE(pushed);
    ASSERT_FALSE(logs.empty());
    EXPECT_EQ(logs.back().first, NOI_LOG_INFO);
    EXPECT_EQ(logs.back().second.rfind("synced: pushed 3000 rows, pulled ", 0), 0u)
        << logs.back().second;
}

TEST(c_api, a_sync_that_cannot_get_through_says_why_and_retries_until_its_time_is_up) {
    noi::test::temp_dir dir;
    std::string dead;
    {
        silent_port port; // closed again: nothing listens there now
        dead = port.url();
    }
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("s.db").c_str(), dead.c_str(), "token", &r, &err), NOI_OK);
    seen_progress seen;
    std::vector<std::pair<int, std::string>> logs;
    ASSERT_EQ(noi_set_progress_callback(r, on_progress, &seen, &err), NOI_OK);
    ASSERT_EQ(noi_set_log_callback(r, on_log, &logs, &err), NOI_OK);
    EXPECT_EQ(noi_sync(r, 3, &err), NOI_ERR_NETWORK);
    noi_close(r);
    bool waited = false;
    for (std::size_t i = 0; i < seen.events.size(); ++i)
        if (seen.events[i].phase == NOI_PHASE_WAITING) {
            waited = true;
            EXPECT_EQ(seen.events[i].stall, NOI_STALL_NETWORK);
            EXPECT_GT(seen.events[i].retry_in_ms, 0);
            EXPECT_NE(seen.messages[i].find("connect"), std::string::npos) << seen.messages[i];
        }
    EXPECT_TRUE(waited) << "a failed attempt is shown, with when the next comes";
    ASSERT_FALSE(logs.empty());
    EXPECT_EQ(logs.front().first, NOI_LOG_WARN);
    EXPECT_NE(logs.front().second.find("sync attempt 1 failed"), std::string::npos)
        << logs.front().second;
    EXPECT_EQ(logs.back().first, NOI_LOG_WARN);
    EXPECT_NE(logs.back().second.find("not synced yet"), std::string::npos);
}

TEST(c_api, a_sync_waiting_on_a_silent_server_is_cancelled_and_the_replica_closed_at_once) {
    noi::test::temp_dir dir;
    silent_port silent;
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("c.db").c_str(), silent.url().c_str(), "token", &r, &err), NOI_OK);
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO household(id, commune_code, village) VALUES ('k1', '01849', "
                       "'Khuổi Khít')",
                       &err),
              NOI_OK);
    noi_error sync_err{};
    int code = -1;
    const auto started = std::chrono::steady_clock::now();
    std::thread worker([&] { code = noi_sync(r, 60, &sync_err); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    noi_cancel_sync(r);
    worker.join();
    EXPECT_EQ(code, NOI_ERR_CANCELLED) << sync_err.message;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3))
        << "the connection's 15 s wait was not sat out";
    noi_status st{};
    ASSERT_EQ(noi_get_status(r, &st, &err), NOI_OK);
    EXPECT_EQ(st.pending, 1u) << "nothing was lost";

    // Waiting in the handshake that looks for a pinned CA: the same.
    ASSERT_EQ(noi_set_server(r, ("https://" + silent.url().substr(7)).c_str(), nullptr, 0, &err),
              NOI_OK)
        << err.message;
    ASSERT_EQ(noi_pin_ca(r, std::string(64, 'a').c_str(), &err), NOI_OK);
    const auto learning = std::chrono::steady_clock::now();
    std::thread pinned([&] { code = noi_sync(r, 60, &sync_err); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    noi_cancel_sync(r);
    pinned.join();
    EXPECT_EQ(code, NOI_ERR_CANCELLED) << sync_err.message;
    EXPECT_LT(std::chrono::steady_clock::now() - learning, std::chrono::seconds(3));

    ASSERT_EQ(noi_start_background_sync(r, &err), NOI_OK);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto closing = std::chrono::steady_clock::now();
    noi_close(r);
    EXPECT_LT(std::chrono::steady_clock::now() - closing, std::chrono::seconds(2))
        << "the background sync's wait on the silent server ends with the close";
}

TEST(c_api, an_app_that_keeps_the_token_in_the_keystore_gives_it_at_each_open) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto e = server.enrol("01849");
    const auto path = dir.file("k.db");
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(path.c_str(), server.url().c_str(), nullptr, &r, &err), NOI_OK)
        << err.message;
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO household(id, commune_code, village) VALUES ('t1', '01849', "
                       "'Nà Ngò')",
                       &err),
              NOI_OK);
    EXPECT_EQ(noi_sync(r, 10, &err), NOI_ERR_CREDENTIALS);
    EXPECT_NE(std::string(err.message).find("noi_set_token"), std::string::npos) << err.message;
    EXPECT_EQ(noi_start_background_sync(r, &err), NOI_ERR_CREDENTIALS);
    ASSERT_EQ(noi_set_token(r, e.token.c_str(), 0, &err), NOI_OK);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    noi_close(r);

    auto stored = [&] {
        noi::database db(path, false);
        auto st = db.prepare("SELECT value FROM noi_meta WHERE key = 'token'");
        return st.step() ? st.column_text(0) : std::string("(none)");
    };
    EXPECT_EQ(stored(), "") << "the replica file carries no token";
    ASSERT_EQ(noi_open(path.c_str(), &r, &err), NOI_OK);
    EXPECT_EQ(noi_sync(r, 10, &err), NOI_ERR_CREDENTIALS) << "a reopened replica needs it again";
    ASSERT_EQ(noi_set_token(r, e.token.c_str(), 1, &err), NOI_OK);
    EXPECT_EQ(noi_set_token(r, "", 1, &err), NOI_ERR_USAGE);
    noi_close(r);
    EXPECT_EQ(stored(), e.token) << "kept when the app asks";
    ASSERT_EQ(noi_open(path.c_str(), &r, &err), NOI_OK);
    EXPECT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    noi_close(r);
}

namespace {

void on_changes(const char* table, const char* const* ids, size_t n, void* user) {
    auto& by_table = *static_cast<std::map<std::string, std::set<std::string>>*>(user);
    for (size_t i = 0; i < n; ++i)
        by_table[table].insert(ids[i]);
}

} // namespace

TEST(c_api, an_app_is_told_which_rows_a_pull_changed_so_its_screens_refresh) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto a_token = server.enrol("01849"), b_token = server.enrol("01849");
    noi_error err{};
    noi_replica *a = nullptr, *b = nullptr;
    ASSERT_EQ(
        noi_init(dir.file("a.db").c_str(), server.url().c_str(), a_token.token.c_str(), &a, &err),
        NOI_OK);
    ASSERT_EQ(
        noi_init(dir.file("b.db").c_str(), server.url().c_str(), b_token.token.c_str(), &b, &err),
        NOI_OK);
    std::map<std::string, std::set<std::string>> changed;
    ASSERT_EQ(noi_set_changes_callback(b, on_changes, &changed, &err), NOI_OK);
    ASSERT_EQ(noi_sync(b, 30, &err), NOI_OK) << err.message;
    EXPECT_FALSE(changed["commune"].empty()) << "the reference communes came in the first pull";
    EXPECT_EQ(changed.count("household"), 0u);

    ASSERT_EQ(noi_exec(a,
                       "INSERT INTO household(id, commune_code, village) VALUES ('h1', '01849', "
                       "'Nà Pài'), ('h2', '01849', 'Bản Tàn'), ('h3', '01849', 'Cốc Xả')",
                       &err),
              NOI_OK);
    ASSERT_EQ(noi_sync(a, 30, &err), NOI_OK);
    changed.clear();
    ASSERT_EQ(noi_sync(b, 30, &err), NOI_OK);
    EXPECT_EQ(changed,
              (std::map<std::string, std::set<std::string>>{{"household", {"h1", "h2", "h3"}}}));

    ASSERT_EQ(noi_exec(a, "DELETE FROM household WHERE id = 'h2'", &err), NOI_OK);
    ASSERT_EQ(noi_exec(a, "UPDATE household SET village = 'Nà Làng' WHERE id = 'h3'", &err),
              NOI_OK);
    ASSERT_EQ(noi_sync(a, 30, &err), NOI_OK);
    changed.clear();
    ASSERT_EQ(noi_sync(b, 30, &err), NOI_OK);
    EXPECT_EQ(changed, (std::map<std::string, std::set<std::string>>{{"household", {"h2", "h3"}}}))
        << "a removed row and an updated one; h1, unchanged, is not named";
    changed.clear();
    ASSERT_EQ(noi_sync(b, 30, &err), NOI_OK);
    EXPECT_TRUE(changed.empty()) << "a pull that brings nothing names nothing";
    noi_close(a);
    noi_close(b);
}

TEST(c_api, a_tablet_trusts_the_province_s_own_ca_by_the_fingerprint_its_qr_code_carries) {
    noi::test::temp_dir dir;
    noi::test::live_server server(true); // a certificate no system CA signed
    const auto port = std::to_string(server.port());
    // What the console's enrolment QR code holds for a server with a certificate.
    auto added = noi::admin::request(
        server.url(), "POST", "/admin/v1/devices", server.admin_token(),
        nlohmann::json{{"commune", "01849"}, {"server_url", "wss://127.0.0.1:" + port + "/sync"}}
            .dump(),
        server.ca_file(), std::chrono::seconds(30));
    ASSERT_EQ(added.status, 201) << added.body;
    const auto qr =
        nlohmann::json::parse(nlohmann::json::parse(added.body)["qr"]["text"].get<std::string>());
    const auto pin = qr.value("ca_sha256", "");
    EXPECT_EQ(pin, noi::top_certificate_sha256(server.ca_file()).value_or("(none)"));

    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("q.db").c_str(), qr["server"].get<std::string>().c_str(),
                       qr["token"].get<std::string>().c_str(), &r, &err),
              NOI_OK)
        << err.message;
    EXPECT_EQ(noi_sync(r, 10, &err), NOI_ERR) << "the system's CAs do not know this one";
    EXPECT_EQ(noi_pin_ca(r, "not a fingerprint", &err), NOI_ERR_USAGE);
    ASSERT_EQ(noi_pin_ca(r, pin.c_str(), &err), NOI_OK) << err.message;
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    char* kept = nullptr;
    ASSERT_EQ(noi_query_json(r,
                             "SELECT length(value) > 0 AS kept FROM noi_meta WHERE key = 'ca_pem'",
                             &kept, &err),
              NOI_OK);
    EXPECT_STREQ(kept, "[{\"kept\":1}]") << "the CA found is kept for the next connections";
    noi_free(kept);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    noi_close(r);

    ASSERT_EQ(noi_init(dir.file("w.db").c_str(), qr["server"].get<std::string>().c_str(),
                       qr["token"].get<std::string>().c_str(), &r, &err),
              NOI_OK);
    const std::string other(64, 'a');
    ASSERT_EQ(noi_pin_ca(r, other.c_str(), &err), NOI_OK);
    EXPECT_EQ(noi_sync(r, 10, &err), NOI_ERR) << "a server without the pinned CA is refused";
    EXPECT_NE(std::string(err.message).find("enrolment code"), std::string::npos) << err.message;
    noi_close(r);
}

TEST(c_api, a_rejected_row_is_explained_in_the_officer_s_words_in_vietnamese_or_english) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto e = server.enrol("01849");
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("r.db").c_str(), server.url().c_str(), e.token.c_str(), &r, &err),
              NOI_OK);
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO household(id, commune_code, village) VALUES ('x1', '01852', "
                       "'Xã khác')",
                       &err),
              NOI_OK);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    char* json = nullptr;
    ASSERT_EQ(noi_rejections_json(r, nullptr, &json, &err), NOI_OK) << err.message;
    const auto vi = nlohmann::json::parse(json);
    noi_free(json);
    ASSERT_EQ(vi.size(), 1u) << vi.dump();
    EXPECT_EQ(vi[0]["row_id"], "x1");
    EXPECT_EQ(vi[0]["reason"], "out_of_scope");
    EXPECT_EQ(vi[0]["explanation"].get<std::string>().rfind("Bản ghi này thuộc xã khác", 0), 0u)
        << vi[0]["explanation"];
    EXPECT_EQ(vi[0]["values"]["village"], "Xã khác");
    EXPECT_EQ(vi[0]["values"]["commune_code"], "01852");
    ASSERT_EQ(noi_rejections_json(r, "en", &json, &err), NOI_OK);
    const auto en = nlohmann::json::parse(json);
    noi_free(json);
    EXPECT_EQ(en[0]["explanation"].get<std::string>().rfind("This record belongs to another", 0),
              0u);
    // Both texts in either answer, and the server's sentence in Vietnamese from the catalogue.
    for (const auto* one : {&vi, &en}) {
        EXPECT_EQ((*one)[0]["explanation_vi"], vi[0]["explanation"]);
        EXPECT_EQ((*one)[0]["explanation_en"], en[0]["explanation"]);
        EXPECT_EQ((*one)[0]["message"],
                  "the row belongs to commune 01852 but the device is enrolled for 01849");
        EXPECT_EQ((*one)[0]["message_vi"],
                  "bản ghi thuộc xã 01852 nhưng thiết bị được cấp cho xã 01849");
    }
    EXPECT_EQ(noi_rejections_json(r, "fr", &json, &err), NOI_ERR_USAGE);
    EXPECT_NE(std::string(err.message).find("\"vi\" or \"en\""), std::string::npos);
    noi_close(r);
}

TEST(c_api, an_officer_corrects_one_rejected_row_and_drops_another_on_the_server_s_record) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto e = server.enrol("01849");
    noi_error err{};
    noi_replica* r = nullptr;
    ASSERT_EQ(noi_init(dir.file("r.db").c_str(), server.url().c_str(), e.token.c_str(), &r, &err),
              NOI_OK);
    for (const char* id : {"x1", "x2"})
        ASSERT_EQ(noi_exec(r,
                           ("INSERT INTO household(id, commune_code, village) VALUES ('" +
                            std::string(id) + "', '01852', 'Nà Ngần')")
                               .c_str(),
                           &err),
                  NOI_OK);
    std::map<std::string, std::set<std::string>> changed;
    ASSERT_EQ(noi_set_changes_callback(r, on_changes, &changed, &err), NOI_OK);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    // Both left the household table for the rejected rows: the app's screens are told.
    EXPECT_EQ(changed["household"], (std::set<std::string>{"x1", "x2"}));
    char* json = nullptr;
    auto rejections = [&] {
        EXPECT_EQ(noi_rejections_json(r, "en", &json, &err), NOI_OK) << err.message;
        auto j = nlohmann::json::parse(json);
        noi_free(json);
        return j;
    };
    auto kept = rejections();
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_TRUE(kept[0]["answer"].is_null());
    const auto x1 = kept[0]["id"].get<std::uint64_t>(), x2 = kept[1]["id"].get<std::uint64_t>();

    EXPECT_EQ(noi_resend_rejected(r, x1, "{\"commune_code\": ", &err), NOI_ERR_USAGE);
    EXPECT_EQ(noi_resend_rejected(r, x1, "{\"commune_code\": true}", &err), NOI_ERR_USAGE);
    EXPECT_EQ(noi_resend_rejected(r, x1, "{\"số_hộ\": 3}", &err), NOI_ERR_USAGE);
    EXPECT_NE(std::string(err.message).find("no column số_hộ"), std::string::npos) << err.message;
    EXPECT_EQ(noi_resend_rejected(r, x1, nullptr, &err), NOI_ERR_USAGE)
        << "still another commune's: the tablet's own rule refuses it";
    EXPECT_EQ(noi_drop_rejected(r, 12345, &err), NOI_ERR_USAGE);
    EXPECT_EQ(rejections()[0]["answer"], nullptr) << "nothing was answered";

    ASSERT_EQ(noi_resend_rejected(r, x1, "{\"commune_code\": \"01849\", \"members\": 4}", &err),
              NOI_OK)
        << err.message;
    ASSERT_EQ(noi_drop_rejected(r, x2, &err), NOI_OK) << err.message;
    EXPECT_EQ(noi_drop_rejected(r, x2, &err), NOI_ERR_USAGE) << "answered once";
    kept = rejections();
    EXPECT_EQ(kept[0]["answer"], "resent");
    EXPECT_EQ(kept[1]["answer"], "dropped");
    ASSERT_EQ(
        noi_query_json(r, "SELECT commune_code, village, members FROM household", &json, &err),
        NOI_OK);
    EXPECT_EQ(
        nlohmann::json::parse(json),
        nlohmann::json::parse(R"([{"commune_code":"01849","village":"Nà Ngần","members":4}])"));
    noi_free(json);

    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    EXPECT_TRUE(rejections().empty());
    const auto dd = server.data_dir();
    EXPECT_EQ(noi::test::server_count(dd, "SELECT count(*) FROM household WHERE id = 'x1' AND "
                                          "commune_code = '01849' AND members = 4"),
              1);
    EXPECT_EQ(noi::test::server_count(dd, "SELECT count(*) FROM noi_quarantine WHERE status = "
                                          "'discarded'"),
              2);
    EXPECT_EQ(noi::test::server_count(dd, "SELECT count(*) FROM noi_admin_log WHERE account = "
                                          "'device:" +
                                              e.device_id + "' AND action = 'discard'"),
              2);
    noi_close(r);
}

namespace {

struct wipe_seen {
    int calls = 0;
    std::int64_t at = 0;
};

void on_wipe(std::int64_t at, void* user) {
    auto* seen = static_cast<wipe_seen*>(user);
    seen->calls++;
    seen->at = at;
}

// Whether the replica's files (the database and its WAL) still hold `text` anywhere.
bool files_hold(const std::string& db, const std::string& text) {
    for (const auto& path : {db, db + "-wal"}) {
        std::ifstream in(path, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        if (bytes.find(text) != std::string::npos) return true;
    }
    return false;
}

} // namespace

// A lost or stolen tablet (noi-admin device revoke --wipe): at its next contact its synced
// data goes, overwritten in the file, the app is told, and the server records it; what the
// tablet pushed before stays on the server, and a tablet revoked without a wipe keeps its data.
TEST(c_api, a_tablet_revoked_with_a_wipe_deletes_its_synced_data_and_the_server_records_it) {
    noi::test::temp_dir dir;
    noi::test::live_server server;
    auto lost = server.enrol("01849"), kept = server.enrol("01849");
    noi_error err{};
    noi_replica *r = nullptr, *k = nullptr;
    const auto path = dir.file("lost.db");
    ASSERT_EQ(noi_init(path.c_str(), server.url().c_str(), lost.token.c_str(), &r, &err), NOI_OK);
    ASSERT_EQ(
        noi_init(dir.file("kept.db").c_str(), server.url().c_str(), kept.token.c_str(), &k, &err),
        NOI_OK);
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO household(id, commune_code, village) VALUES ('w1', '01849', "
                       "'Bản Khuổi Xỏm đã gửi')",
                       &err),
              NOI_OK);
    ASSERT_EQ(noi_sync(r, 30, &err), NOI_OK) << err.message;
    ASSERT_EQ(noi_exec(r,
                       "INSERT INTO household(id, commune_code, village) VALUES ('w2', '01849', "
                       "'Bản Nà Hin chưa gửi')",
                       &err),
              NOI_OK);
    ASSERT_EQ(noi_sync(k, 30, &err), NOI_OK) << err.message;
    wipe_seen seen;
    ASSERT_EQ(noi_set_wipe_callback(r, on_wipe, &seen, &err), NOI_OK);
    ASSERT_EQ(noi_set_wipe_callback(k, on_wipe, &seen, &err), NOI_OK);

    auto revoke = [&](const std::string& id, const std::string& body) {
        auto res = noi::admin::request(server.url(), "POST", "/admin/v1/devices/" + id + "/revoke",
                                       server.admin_token(), body, "");
        ASSERT_EQ(res.status, 200) << res.body;
    };
    revoke(lost.device_id, R"({"wipe": true})");
    revoke(kept.device_id, "");

    EXPECT_EQ(noi_sync(r, 30, &err), NOI_ERR_WIPED) << err.message;
    EXPECT_NE(std::string(err.message).find("make a new replica"), std::string::npos)
        << err.message;
    EXPECT_EQ(seen.calls, 1);
    EXPECT_GT(seen.at, 0);
    char* json = nullptr;
    ASSERT_EQ(noi_query_json(r, "SELECT count(*) AS n FROM household", &json, &err), NOI_OK);
    EXPECT_STREQ(json, "[{\"n\":0}]");
    noi_free(json);
    noi_status st{};
    ASSERT_EQ(noi_get_status(r, &st, &err), NOI_OK);
    EXPECT_EQ(st.pending, 0u);
    EXPECT_EQ(st.wiped_at_ms, seen.at);
    EXPECT_FALSE(files_hold(path, "Khuổi Xỏm"));
    EXPECT_FALSE(files_hold(path, "Nà Hin"));
    // Again: the same answer, without deleting or telling anything twice.
    EXPECT_EQ(noi_sync(r, 30, &err), NOI_ERR_WIPED);
    EXPECT_EQ(seen.calls, 1);
    noi_close(r);

    // Revoked without a wipe: refused, its data kept.
    EXPECT_EQ(noi_sync(k, 30, &err), NOI_ERR_CREDENTIALS) << err.message;
    ASSERT_EQ(noi_query_json(k, "SELECT village FROM household", &json, &err), NOI_OK);
    EXPECT_STREQ(json, "[{\"village\":\"Bản Khuổi Xỏm đã gửi\"}]");
    noi_free(json);
    EXPECT_EQ(seen.calls, 1);
    noi_close(k);

    auto devices = nlohmann::json::parse(
        noi::admin::request(server.url(), "GET", "/admin/v1/devices", server.admin_token(), "", "")
            .body);
    for (const auto& d : devices) {
        if (d["device_id"] == lost.device_id) {
            EXPECT_TRUE(d["wipe_ordered_at"].is_string()) << d;
            EXPECT_TRUE(d["wiped_at"].is_string()) << d;
        } else {
            EXPECT_TRUE(d["wipe_ordered_at"].is_null()) << d;
            EXPECT_TRUE(d["wiped_at"].is_null()) << d;
        }
    }
    noi::database db(server.data_dir() + "/noi.db", false);
    auto held = db.prepare("SELECT village FROM household WHERE id = 'w1'");
    ASSERT_TRUE(held.step());
    EXPECT_EQ(held.column_text(0), "Bản Khuổi Xỏm đã gửi");
    auto log = db.prepare("SELECT count(*) FROM noi_admin_log WHERE action = 'wiped'");
    ASSERT_TRUE(log.step());
    EXPECT_EQ(log.column_int(0), 1);
}
