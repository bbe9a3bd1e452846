#include "console_pages.hpp"

#include <admin/http_client.hpp>
#include <noi/server/server.hpp>
#include <noi/sync/database.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace noi::bench {
namespace {

using json = nlohmann::json;

// Devices of the province's communes, each with a site, and open conflicts between pairs of
// them, written straight into the database: a year of a province's backlog in a second.
void fill(const std::string& db_path, std::size_t devices, std::size_t conflicts) {
    database db(db_path, false);
    db.exec("BEGIN");
    std::vector<std::string> communes;
    {
        auto st = db.prepare("SELECT id FROM commune WHERE kind = 'xa' ORDER BY id");
        while (st.step())
            communes.push_back(st.column_text(0));
    }
    if (communes.empty()) throw std::runtime_error("the server has no reference communes");
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    auto dev = db.prepare("INSERT INTO noi_devices(device_id, scope, name, created_at, "
                          "last_contact_at, last_sync_at, pending, app_version, schema_version) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0, 'noi-client/bench', 1)");
    auto site = db.prepare("INSERT INTO noi_sites(site, device_id) VALUES (?1, ?2)");
    for (std::size_t i = 0; i < devices; ++i) {
        const auto id = "dev-bench-" + std::to_string(i);
        dev.bind(1, id)
            .bind(2, communes[i % communes.size()])
            .bind(3, "Máy " + std::to_string(i))
            .bind(4, now - 86'400'000)
            .bind(5, now - static_cast<std::int64_t>(i) * 60'000);
        dev.run();
        std::string s(16, '\0');
        s[0] = static_cast<char>(i & 0xff);
        s[1] = static_cast<char>(i >> 8);
        site.bind_blob(1, s.data(), s.size()).bind(2, id);
        site.run();
    }
    auto c = db.prepare(
        "INSERT INTO noi_conflicts(kind, tbl, row_id, col, scope, created_at, w_value, w_site, "
        "w_hlc, w_deleted, l_value, l_site, l_hlc, l_deleted) VALUES ('update', 'household', ?1, "
        "'members', ?2, ?3, 5, ?4, ?5, 0, 6, ?6, ?7, 0)");
    for (std::size_t i = 0; i < conflicts; ++i) {
        const auto a = i % devices, b = (i + 1) % devices;
        std::string sa(16, '\0'), sb(16, '\0');
        sa[0] = static_cast<char>(a & 0xff);
        sa[1] = static_cast<char>(a >> 8);
        sb[0] = static_cast<char>(b & 0xff);
        sb[1] = static_cast<char>(b >> 8);
        c.bind(1, "h-" + std::to_string(i))
            .bind(2, communes[a % communes.size()])
            .bind(3, now - static_cast<std::int64_t>(i) * 1000)
            .bind_blob(4, sa.data(), sa.size())
            .bind(5, static_cast<std::int64_t>(i) << 16)
            .bind_blob(6, sb.data(), sb.size())
            .bind(7, static_cast<std::int64_t>(i + 1) << 16);
        c.run();
    }
    db.exec("COMMIT");
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

json bench_console(const std::filesystem::path& dir, std::size_t devices, std::size_t conflicts,
                   int repeats) {
    const auto data = (dir / "console").string();
    const auto token = server::init_data_dir(data);
    fill(data + "/noi.db", devices, conflicts);
    server::server_config cfg;
    cfg.data_dir = data;
    server::server srv(cfg);
    std::thread thread([&] { srv.run(); });
    struct stop_after {
        server::server& s;
        std::thread& t;
        ~stop_after() {
            s.stop();
            t.join();
        }
    } stop{srv, thread};
    const auto url = "http://" + srv.listen_address();
    auto ms_of = [&](const std::string& target) {
        std::vector<double> ms;
        for (int i = 0; i < repeats; ++i) {
            const auto started = std::chrono::steady_clock::now();
            auto r = admin::request(url, "GET", target, token, "");
            ms.push_back(std::chrono::duration<double, std::milli>(
                             std::chrono::steady_clock::now() - started)
                             .count());
            if (r.status != 200)
                throw std::runtime_error(target + " answered " + std::to_string(r.status));
        }
        return median(ms);
    };
    json pages = json::object();
    const std::pair<const char*, std::string> each[] = {
        {"home", "/admin/v1/summary"},
        {"fleet", "/admin/v1/status?limit=50&sort=-last_contact_at"},
        {"fleet_by_commune", "/admin/v1/status/communes"},
        {"conflicts_first", "/admin/v1/conflicts?limit=50"},
        {"conflicts_last", "/admin/v1/conflicts?limit=50&offset=" +
                               std::to_string(conflicts > 50 ? conflicts - 50 : 0)},
        {"quarantine", "/admin/v1/quarantine?limit=50"},
        {"log", "/admin/v1/log?limit=50"},
    };
    double slowest = 0;
    for (const auto& [name, target] : each) {
        const double ms = ms_of(target);
        slowest = std::max(slowest, ms);
        pages[name] = ms;
    }
    return {{"devices", devices},
            {"conflicts", conflicts},
            {"page_ms", pages},
            {"slowest_page_ms", slowest},
            {"target_ms", 200},
            {"whole_fleet_ms", ms_of("/admin/v1/status")},
            {"whole_conflicts_ms", ms_of("/admin/v1/conflicts")}};
}

} // namespace noi::bench
