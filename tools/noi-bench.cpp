// noi-bench: the figures of DESIGN.md measured against a baseline in the same run (the
// machines are shared and noisy, so every figure is a ratio to something measured beside it).
// Prints one JSON document.
#include <cutting_proxy.hpp>

#include <admin/http_client.hpp>
#include <noi/client/replicator.hpp>
#include <noi/protocol/codec.hpp>
#include <noi/server/server.hpp>
#include <noi/sync/database.hpp>
#include <noi/sync/server_store.hpp>
#include <noi/sync/tablet.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <boost/version.hpp>
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>
#include <unistd.h>

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

const char* militia_columns = "commune_code, full_name, sex, birth_year, village, force_type, unit, position, joined_on, "
                              "term_end, status, trained_year, notes";

void bind_member(noi::statement& st, int first, std::size_t i) {
    st.bind(first, std::string("01849"));
    st.bind(first + 1, "Hoàng Văn Thụ " + std::to_string(i));
    st.bind(first + 2, std::string("nam"));
    st.bind(first + 3, static_cast<std::int64_t>(1980 + i % 25));
    st.bind(first + 4, std::string("Nà Pài"));
    st.bind(first + 5, std::string("co_dong"));
    st.bind(first + 6, std::string("Trung đội dân quân cơ động"));
    st.bind(first + 7, std::string("chien_si"));
    st.bind(first + 8, std::string("2022-03-01"));
    st.bind(first + 9, std::string("2026-03-01"));
    st.bind(first + 10, std::string("active"));
    st.bind(first + 11, std::int64_t{2022});
    st.bind(first + 12, std::string("Ghi chú"));
}

// Time-ordered ids, as the library makes them.
std::string bench_id(const std::string& prefix, std::size_t k) {
    char id[32];
    std::snprintf(id, sizeof id, "%s%012zu", prefix.c_str(), k);
    return id;
}

// Inserts then updates n rows, 1,000 per transaction; returns seconds.
double insert_update(noi::database& db, const std::string& table, std::size_t n, const std::string& id_prefix) {
    auto started = clock_type::now();
    auto ins = db.prepare("INSERT INTO " + table + "(id, " + militia_columns + ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)");
    auto upd = db.prepare("UPDATE " + table + " SET status = 'absent', trained_year = 2023 WHERE id = ?1");
    for (std::size_t i = 0; i < n; i += 1000) {
        db.exec("BEGIN");
        for (std::size_t k = i; k < std::min(n, i + 1000); ++k) {
            ins.bind(1, bench_id(id_prefix, k));
            bind_member(ins, 2, k);
            ins.run();
        }
        db.exec("COMMIT");
    }
    for (std::size_t i = 0; i < n; i += 1000) {
        db.exec("BEGIN");
        for (std::size_t k = i; k < std::min(n, i + 1000); ++k) {
            upd.bind(1, bench_id(id_prefix, k));
            upd.run();
        }
        db.exec("COMMIT");
    }
    return seconds_since(started);
}

json bench_capture(const fs::path& dir, std::size_t n) {
    noi::system_clock wall;
    auto t = noi::tablet::create((dir / "capture.db").string(), wall);
    auto& db = t->rep().db();
    // The plain twin: the same columns, STRICT, no triggers, on the same connection.
    db.exec(std::string("CREATE TABLE plain_member (id TEXT PRIMARY KEY NOT NULL, commune_code TEXT NOT NULL, full_name TEXT, "
                        "sex TEXT, birth_year INTEGER, village TEXT, force_type TEXT, unit TEXT, position TEXT, joined_on TEXT, "
                        "term_end TEXT, status TEXT, trained_year INTEGER, notes TEXT) STRICT"));
    double plain = insert_update(db, "plain_member", n, "p");
    double captured = insert_update(db, "militia_member", n, "c");
    return {{"rows", n}, {"plain_rows_per_s", 2.0 * n / plain}, {"captured_rows_per_s", 2.0 * n / captured},
            {"ratio", captured / plain}};
}

json bench_merge(const fs::path& dir, std::size_t n, int sites) {
    noi::system_clock wall;
    auto store = noi::server_store::create((dir / "merge.db").string(), wall);
    // Rows as tablets push them: 13 cells each, new rows, batches of 200 per site in turn.
    std::vector<noi::device> devices;
    std::vector<noi::site_id> site_ids;
    for (int s = 0; s < sites; ++s) {
        noi::device d{"bench-" + std::to_string(s), "*", "bench", false};
        store->add_device(d);
        noi::site_id sid{};
        sid[0] = static_cast<std::uint8_t>(s + 1);
        noi::proto::hello h;
        h.site = sid;
        (void)store->hello(d, h);
        store->release(sid);
        devices.push_back(d);
        site_ids.push_back(sid);
    }
    const char* names[] = {"commune_code", "full_name", "sex", "birth_year", "village", "force_type", "unit", "position",
                           "joined_on", "term_end", "status", "trained_year", "notes"};
    std::vector<std::vector<noi::proto::push>> batches(static_cast<std::size_t>(sites));
    std::uint64_t hlc = noi::hlc_from_ms(wall.now_ms());
    std::size_t per_site = n / static_cast<std::size_t>(sites);
    for (int s = 0; s < sites; ++s) {
        std::uint64_t seq = 0;
        for (std::size_t i = 0; i < per_site; i += 200) {
            noi::proto::push p;
            p.from_seq = seq;
            for (std::size_t k = i; k < std::min(per_site, i + 200); ++k) {
                noi::proto::row_change r;
                r.table = "militia_member";
                char id[32];
                std::snprintf(id, sizeof id, "m%02d%012zu", s, k);
                r.id = id;
                r.scope = std::string("01849");
                r.seq = ++seq;
                noi::version v{++hlc, site_ids[static_cast<std::size_t>(s)]};
                r.exists = noi::proto::existence_change{true, v, std::nullopt};
                noi::value vals[] = {std::string("01849"), "Hoàng Văn Thụ " + std::to_string(k), std::string("nam"),
                                     static_cast<std::int64_t>(1980 + k % 25), std::string("Nà Pài"), std::string("co_dong"),
                                     std::string("Trung đội dân quân cơ động"), std::string("chien_si"), std::string("2022-03-01"),
                                     std::string("2026-03-01"), std::string("active"), std::int64_t{2022}, std::string("Ghi chú")};
                for (int c = 0; c < 13; ++c) r.cells.push_back({names[c], vals[c], v, std::nullopt});
                p.rows.push_back(std::move(r));
            }
            p.to_seq = seq;
            batches[static_cast<std::size_t>(s)].push_back(std::move(p));
        }
    }
    auto started = clock_type::now();
    std::size_t cells = 0;
    for (std::size_t b = 0; b < batches[0].size(); ++b)
        for (int s = 0; s < sites; ++s) {
            auto& p = batches[static_cast<std::size_t>(s)][b];
            (void)store->push(devices[static_cast<std::size_t>(s)], site_ids[static_cast<std::size_t>(s)], p);
            for (const auto& r : p.rows) cells += r.cells.size();
        }
    double merged = seconds_since(started);

    // The baseline: raw inserts of the same rows, same durability, same transaction sizes.
    noi::database raw((dir / "raw.db").string());
    raw.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    raw.exec("CREATE TABLE militia_member (id TEXT PRIMARY KEY NOT NULL, commune_code TEXT NOT NULL, full_name TEXT, sex TEXT, "
             "birth_year INTEGER, village TEXT, force_type TEXT, unit TEXT, position TEXT, joined_on TEXT, term_end TEXT, "
             "status TEXT, trained_year INTEGER, notes TEXT) STRICT");
    auto ins = raw.prepare(std::string("INSERT INTO militia_member(id, ") + militia_columns +
                           ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)");
    started = clock_type::now();
    for (std::size_t b = 0; b < batches[0].size(); ++b)
        for (int s = 0; s < sites; ++s) {
            raw.exec("BEGIN");
            for (const auto& r : batches[static_cast<std::size_t>(s)][b].rows) {
                ins.bind(1, r.id);
                for (int c = 0; c < 13; ++c) ins.bind(c + 2, r.cells[static_cast<std::size_t>(c)].val);
                ins.run();
            }
            raw.exec("COMMIT");
        }
    double raw_s = seconds_since(started);
    return {{"rows", per_site * static_cast<std::size_t>(sites)}, {"sites", sites}, {"raw_cells_per_s", cells / raw_s},
            {"merged_cells_per_s", cells / merged}, {"ratio", raw_s / merged}};
}

struct live {
    std::string admin_token;
    std::unique_ptr<noi::server::server> srv;
    std::thread thread;
    std::unique_ptr<noi::sim::cutting_proxy> proxy;
    std::string via;
    explicit live(const fs::path& dir) {
        admin_token = noi::server::init_data_dir((dir / "server").string());
        noi::server::server_config cfg;
        cfg.data_dir = (dir / "server").string();
        srv = std::make_unique<noi::server::server>(cfg);
        thread = std::thread([this] { srv->run(); });
        noi::sim::proxy_options po;
        po.target_port = srv->port();
        po.cut_share = 0; // only counts the bytes on the socket
        proxy = std::make_unique<noi::sim::cutting_proxy>(po);
        via = "http://127.0.0.1:" + std::to_string(proxy->port());
    }
    ~live() {
        srv->stop();
        thread.join();
    }
    std::string enrol(const std::string& commune) {
        auto r = noi::admin::request("http://" + srv->listen_address(), "POST", "/admin/v1/devices", admin_token,
                                     json{{"commune", commune}}.dump());
        return json::parse(r.body)["token"];
    }
};

noi::client::sync_result sync(noi::tablet& t, const std::string& url, const std::string& token) {
    noi::client::replicator_options ro;
    ro.url = url;
    ro.token = token;
    noi::client::replicator rep(t, [] { return noi::client::make_websocket_transport(); }, ro);
    return rep.sync(std::chrono::minutes(10));
}

void fill(noi::tablet& t, std::size_t k, const std::string& prefix) {
    auto& db = t.rep().db();
    auto ins = db.prepare(std::string("INSERT INTO militia_member(id, ") + militia_columns +
                          ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)");
    for (std::size_t i = 0; i < k; i += 1000) {
        db.exec("BEGIN");
        for (std::size_t j = i; j < std::min(k, i + 1000); ++j) {
            ins.bind(1, prefix + std::to_string(j));
            bind_member(ins, 2, j);
            ins.run();
        }
        db.exec("COMMIT");
    }
}

// The msgpack size of the rows' values alone: what any encoding must carry at least.
std::size_t raw_bytes(std::size_t k, const std::string& prefix) {
    std::size_t total = 0;
    for (std::size_t j = 0; j < k; ++j) {
        noi::proto::row_change row;
        row.id = prefix + std::to_string(j);
        noi::value vals[] = {std::string("01849"), "Hoàng Văn Thụ " + std::to_string(j), std::string("nam"),
                             static_cast<std::int64_t>(1980 + j % 25), std::string("Nà Pài"), std::string("co_dong"),
                             std::string("Trung đội dân quân cơ động"), std::string("chien_si"), std::string("2022-03-01"),
                             std::string("2026-03-01"), std::string("active"), std::int64_t{2022}, std::string("Ghi chú")};
        std::size_t bytes = row.id.size() + 1;
        for (const auto& v : vals) {
            if (const auto* s = std::get_if<std::string>(&v)) bytes += s->size() + 1;
            else bytes += 3;
        }
        total += bytes;
    }
    return total;
}

json bench_push(const fs::path& dir, int tablets, std::size_t k) {
    live server(dir / "push");
    std::vector<std::unique_ptr<noi::tablet>> ts;
    std::vector<std::string> tokens;
    noi::system_clock wall;
    for (int i = 0; i < tablets; ++i) {
        ts.push_back(noi::tablet::create((dir / ("push-" + std::to_string(i) + ".db")).string(), wall));
        tokens.push_back(server.enrol("01849"));
        fill(*ts.back(), k, "t" + std::to_string(i) + "-");
    }
    auto started = clock_type::now();
    std::vector<std::thread> workers;
    for (int i = 0; i < tablets; ++i)
        workers.emplace_back([&, i] { (void)sync(*ts[static_cast<std::size_t>(i)], server.via, tokens[static_cast<std::size_t>(i)]); });
    for (auto& w : workers) w.join();
    double secs = seconds_since(started);
    double rows = static_cast<double>(tablets) * static_cast<double>(k);
    return {{"tablets", tablets}, {"rows_per_tablet", k}, {"rows_per_s", rows / secs},
            {"wire_bytes_per_row", static_cast<double>(server.proxy->bytes()) / rows},
            {"raw_bytes_per_row", static_cast<double>(raw_bytes(k, "t0-")) / static_cast<double>(k)}};
}

json bench_bootstrap(const fs::path& dir, std::size_t k) {
    live server(dir / "bootstrap");
    noi::system_clock wall;
    auto writer = noi::tablet::create((dir / "writer.db").string(), wall);
    fill(*writer, k, "b-");
    (void)sync(*writer, "http://" + server.srv->listen_address(), server.enrol("01849"));
    auto fresh = noi::tablet::create((dir / "fresh.db").string(), wall);
    auto token = server.enrol("01849");
    auto before = server.proxy->bytes();
    auto started = clock_type::now();
    auto r = sync(*fresh, server.via, token);
    double secs = seconds_since(started);
    return {{"rows", k}, {"rows_per_s", static_cast<double>(k) / secs},
            {"wire_bytes_per_row", static_cast<double>(server.proxy->bytes() - before) / static_cast<double>(k)},
            {"done", r.outcome == noi::client::sync_outcome::done}};
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"noi-bench: measure Nối against baselines run beside it; prints one JSON document"};
    std::size_t capture_rows = 100'000, merge_rows = 100'000, push_rows = 10'000, bootstrap_rows = 50'000;
    int tablets = 8, sites = 4;
    std::vector<std::string> only;
    app.add_option("--capture-rows", capture_rows, "Rows inserted and updated for capture")->capture_default_str();
    app.add_option("--merge-rows", merge_rows, "Rows merged by the server")->capture_default_str();
    app.add_option("--sites", sites, "Sites pushing in the merge figure")->capture_default_str()->check(CLI::Range(1, 64));
    app.add_option("--tablets", tablets, "Tablets pushing at once")->capture_default_str()->check(CLI::Range(1, 64));
    app.add_option("--push-rows", push_rows, "Rows each tablet pushes")->capture_default_str();
    app.add_option("--bootstrap-rows", bootstrap_rows, "Rows a new tablet pulls")->capture_default_str();
    app.add_option("--only", only, "Run only these figures (capture, merge, push, bootstrap)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    auto want = [&](const char* f) { return only.empty() || std::find(only.begin(), only.end(), f) != only.end(); };
    // Durable storage for the figures that fsync: tmpfs would flatter them.
    fs::path dir = fs::temp_directory_path() / ("noi-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    json out;
    try {
        out["machine"] = {{"cores", std::thread::hardware_concurrency()}, {"sqlite", sqlite3_libversion()},
                          {"boost", std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000)},
                          {"storage", dir.string()}};
        if (want("capture")) out["capture"] = bench_capture(dir, capture_rows);
        if (want("merge")) out["merge"] = bench_merge(dir, merge_rows, sites);
        if (want("push")) out["push"] = bench_push(dir, tablets, push_rows);
        if (want("bootstrap")) out["bootstrap"] = bench_bootstrap(dir, bootstrap_rows);
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        fs::remove_all(dir);
        return 1;
    }
    fs::remove_all(dir);
    std::cout << out.dump(2) << "\n";
    return 0;
}
