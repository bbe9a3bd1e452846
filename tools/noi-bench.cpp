// noi-bench: the figures of docs/performance.md measured against a baseline in the same run (the
// machines are shared and noisy, so every figure is a ratio to something measured beside it).
// Prints one JSON document.
#include <bench/console_pages.hpp>
#include <bench/idle_fleet.hpp>
#include <child_process.hpp>
#include <cutting_proxy.hpp>
#include <pg_connection.hpp>
#include <pg_scratch.hpp>

#include <admin/http_client.hpp>
#include <noi/client/replicator.hpp>
#include <noi/pgstore/pg_store.hpp>
#include <noi/protocol/codec.hpp>
#include <noi/server/server.hpp>
#include <noi/sync/database.hpp>
#include <noi/sync/dates.hpp>
#include <noi/sync/national_map.hpp>
#include <noi/sync/sqlite_store.hpp>
#include <noi/sync/tablet.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/version.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

// The codes of the units a server made today serves (noi-server init's default map).
std::vector<std::string> todays_communes() {
    std::vector<std::string> out;
    const auto today = noi::vietnam_day(noi::system_clock().now_ms());
    for (const auto* u :
         noi::national_map::shipped().province_units(noi::map_choice{}.province, today))
        out.push_back(u->code);
    return out;
}

// The militia_member shape every figure writes, and the values of its record k: the same
// records everywhere here (and in bench/peers/pouchdb/bench.js).
const std::array<const char*, 13> member_columns{
    "commune_code", "full_name", "sex",      "birth_year", "village",      "force_type", "unit",
    "position",     "joined_on", "term_end", "status",     "trained_year", "notes"};
const std::string militia_columns = [] {
    std::string out;
    for (const char* c : member_columns)
        out += std::string(out.empty() ? "" : ", ") + c;
    return out;
}();

std::vector<noi::value> member_values(std::size_t k, const std::string& commune = "01849") {
    return {commune,
            "Hoàng Văn Thụ " + std::to_string(k),
            std::string("nam"),
            static_cast<std::int64_t>(1980 + k % 25),
            std::string("Nà Pài"),
            std::string("co_dong"),
            std::string("Trung đội dân quân cơ động"),
            std::string("chien_si"),
            std::string("2022-03-01"),
            std::string("2026-03-01"),
            std::string("active"),
            std::int64_t{2022},
            std::string("Ghi chú")};
}

void bind_member(noi::statement& st, int first, std::size_t k,
                 const std::string& commune = "01849") {
    auto values = member_values(k, commune);
    for (std::size_t c = 0; c < values.size(); ++c)
        st.bind(first + static_cast<int>(c), values[c]);
}

// The SQLite statement that inserts a record of the militia_member shape into `table`.
std::string member_insert(const std::string& table) {
    std::string sql = "INSERT INTO " + table + "(id, " + militia_columns + ") VALUES (";
    for (int i = 1; i <= 14; ++i) {
        if (i > 1) sql += ",";
        sql += '?';
        sql += std::to_string(i);
    }
    return sql + ")";
}

// Time-ordered ids, as the library makes them.
std::string bench_id(const std::string& prefix, std::size_t k) {
    char id[32];
    std::snprintf(id, sizeof id, "%s%012zu", prefix.c_str(), k);
    return id;
}

// Inserts then updates n rows, 1,000 per transaction; returns seconds.
double insert_update(noi::database& db, const std::string& table, std::size_t n,
                     const std::string& id_prefix) {
    auto started = clock_type::now();
    auto ins = db.prepare(member_insert(table));
    auto upd =
        db.prepare("UPDATE " + table + " SET status = 'absent', trained_year = 2023 WHERE id = ?1");
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

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// Plain and captured runs alternate, five each, and the figure is their medians' ratio: one
// run's fsyncs on a shared machine move a single ratio by ±25 % (docs/performance.md).
json bench_capture(const fs::path& dir, std::size_t n) {
    noi::system_clock wall;
    auto t = noi::tablet::create((dir / "capture.db").string(), wall);
    auto& db = t->rep().db();
    // The plain twin: the same columns, STRICT, no triggers, on the same connection.
    db.exec(std::string("CREATE TABLE plain_member (id TEXT PRIMARY KEY NOT NULL, commune_code "
                        "TEXT NOT NULL, full_name TEXT, "
                        "sex TEXT, birth_year INTEGER, village TEXT, force_type TEXT, unit TEXT, "
                        "position TEXT, joined_on TEXT, "
                        "term_end TEXT, status TEXT, trained_year INTEGER, notes TEXT) STRICT"));
    constexpr int runs = 5;
    if (n < runs) throw std::runtime_error("capture needs at least 5 rows (--capture-rows)");
    std::vector<double> plain, captured;
    json ratios = json::array();
    for (int r = 0; r < runs; ++r) {
        const auto prefix = std::to_string(r) + "-";
        plain.push_back(insert_update(db, "plain_member", n / runs, "p" + prefix));
        captured.push_back(insert_update(db, "militia_member", n / runs, "c" + prefix));
        ratios.push_back(captured.back() / plain.back());
    }
    const double rows = 2.0 * static_cast<double>(n / runs);
    const double plain_s = percentile(plain, 0.5), captured_s = percentile(captured, 0.5);
    return {{"rows", runs * (n / runs)},
            {"plain_rows_per_s", rows / plain_s},
            {"captured_rows_per_s", rows / captured_s},
            {"ratio", captured_s / plain_s},
            {"ratio_of_each_run", ratios}};
}

// A figure's own database in the PostgreSQL server `pg` (noi-bench --store), dropped when the
// figure is done; none on SQLite (`pg` empty).
std::optional<noi::pg_scratch> scratch_for(const std::string& pg, const char* figure) {
    if (pg.empty()) return std::nullopt;
    return std::optional<noi::pg_scratch>(
        std::in_place, pg, std::string("noi_bench_") + figure + "_" + std::to_string(::getpid()));
}

// A push's rows as the merge figure's tablets send them: 13 cells each, new rows, batches of
// 200 per site in turn.
using site_batches = std::vector<std::vector<noi::proto::push>>;

// The baseline of the merge figure: raw inserts of the same rows into a plain table, at the
// same durability, one transaction per push.
double raw_inserts_sqlite(const fs::path& dir, const site_batches& batches) {
    noi::database raw((dir / "raw.db").string());
    raw.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    raw.exec("CREATE TABLE militia_member (id TEXT PRIMARY KEY NOT NULL, commune_code TEXT NOT "
             "NULL, full_name TEXT, sex TEXT, "
             "birth_year INTEGER, village TEXT, force_type TEXT, unit TEXT, position TEXT, "
             "joined_on TEXT, term_end TEXT, "
             "status TEXT, trained_year INTEGER, notes TEXT) STRICT");
    auto ins = raw.prepare(member_insert("militia_member"));
    auto started = clock_type::now();
    for (std::size_t b = 0; b < batches[0].size(); ++b)
        for (const auto& site : batches) {
            raw.exec("BEGIN");
            for (const auto& r : site[b].rows) {
                ins.bind(1, r.id);
                for (int c = 0; c < 13; ++c)
                    ins.bind(c + 2, r.cells[static_cast<std::size_t>(c)].val);
                ins.run();
            }
            raw.exec("COMMIT");
        }
    return seconds_since(started);
}

double raw_inserts_postgresql(const std::string& conninfo, const site_batches& batches) {
    noi::pg::connection raw(conninfo);
    raw.exec("CREATE TABLE raw_member (id text PRIMARY KEY, commune_code text NOT NULL, "
             "full_name text, sex text, birth_year bigint, village text, force_type text, unit "
             "text, position text, joined_on text, term_end text, status text, trained_year "
             "bigint, notes text)");
    // As fast as the store may write them: multi-row INSERTs in libpq's pipeline.
    const std::string into = std::string("INSERT INTO raw_member(id, ") + militia_columns + ")";
    auto started = clock_type::now();
    for (std::size_t b = 0; b < batches[0].size(); ++b)
        for (const auto& site : batches) {
            noi::pg::transaction tx(raw);
            for (const auto& r : site[b].rows) {
                std::vector<noi::pg::param> params{r.id};
                for (std::size_t c = 0; c < 13; ++c)
                    params.push_back(noi::pg::param::of(r.cells[c].val));
                raw.insert(into, std::move(params));
            }
            tx.commit();
        }
    return seconds_since(started);
}

// Merge of n rows from `sites` sites on SQLite, or on PostgreSQL when `pg` names a server
// (noi-bench --store), against raw inserts of the same rows on the same store.
json bench_merge(const fs::path& dir, std::size_t n, int sites, const std::string& pg) {
    noi::system_clock wall;
    const auto scratch = scratch_for(pg, "merge");
    std::unique_ptr<noi::server_store> store;
    if (scratch)
        store = noi::create_pg_store(scratch->conninfo(), wall);
    else
        store = noi::sqlite_store::create((dir / "merge.db").string(), wall);
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
    site_batches batches(static_cast<std::size_t>(sites));
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
                auto vals = member_values(k);
                for (std::size_t c = 0; c < vals.size(); ++c)
                    r.cells.push_back({member_columns[c], vals[c], v, std::nullopt});
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
            (void)store->push(devices[static_cast<std::size_t>(s)],
                              site_ids[static_cast<std::size_t>(s)], p);
            for (const auto& r : p.rows)
                cells += r.cells.size();
        }
    double merged = seconds_since(started);
    const double raw_s = scratch ? raw_inserts_postgresql(scratch->conninfo(), batches)
                                 : raw_inserts_sqlite(dir, batches);
    return {{"rows", per_site * static_cast<std::size_t>(sites)},
            {"sites", sites},
            {"raw_cells_per_s", cells / raw_s},
            {"merged_cells_per_s", cells / merged},
            {"ratio", raw_s / merged}};
}

std::string enrol_device(const std::string& base_url, const std::string& admin_token,
                         const std::string& commune) {
    auto r = noi::admin::request(base_url, "POST", "/admin/v1/devices", admin_token,
                                 json{{"commune", commune}}.dump());
    if (r.status / 100 != 2) throw std::runtime_error("enrolling a device failed: " + r.body);
    return json::parse(r.body)["token"];
}

struct live {
    std::string admin_token;
    std::unique_ptr<noi::server::server> srv;
    std::thread thread;
    std::unique_ptr<noi::sim::cutting_proxy> proxy;
    std::string via;
    // `pg`: the store's database, made by pg_scratch; empty: SQLite in the directory.
    // `shared`: another server may serve the same SQLite directory beside it.
    live(const fs::path& dir, const noi::proto::deflate_settings& deflate,
         const noi::map_choice& map = {}, const std::string& pg = {}, bool shared = false) {
        admin_token =
            pg.empty()
                ? noi::server::init_data_dir((dir / "server").string(), map)
                : *noi::server::init_data_dir_on_postgresql((dir / "server").string(), pg, map);
        noi::server::server_config cfg;
        cfg.data_dir = (dir / "server").string();
        cfg.deflate = deflate;
        cfg.shared_data = shared;
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
        return enrol_device("http://" + srv->listen_address(), admin_token, commune);
    }
};

noi::client::replicator replicator_for(noi::tablet& t, const std::string& url,
                                       const std::string& token,
                                       const noi::proto::deflate_settings& deflate) {
    noi::client::replicator_options ro;
    ro.url = url;
    ro.token = token;
    noi::client::websocket_options wo;
    wo.deflate = deflate;
    return noi::client::replicator(
        t, [wo] { return noi::client::make_websocket_transport(wo); }, ro);
}

noi::client::sync_result sync(noi::tablet& t, const std::string& url, const std::string& token,
                              const noi::proto::deflate_settings& deflate) {
    return replicator_for(t, url, token, deflate).sync(std::chrono::minutes(10));
}

void fill(noi::tablet& t, std::size_t k, const std::string& prefix,
          const std::string& commune = "01849") {
    auto& db = t.rep().db();
    auto ins = db.prepare(member_insert("militia_member"));
    for (std::size_t i = 0; i < k; i += 1000) {
        db.exec("BEGIN");
        for (std::size_t j = i; j < std::min(k, i + 1000); ++j) {
            ins.bind(1, prefix + std::to_string(j));
            bind_member(ins, 2, j, commune);
            ins.run();
        }
        db.exec("COMMIT");
    }
}

// The msgpack size of the rows' values alone: what any encoding must carry at least.
std::size_t raw_bytes(std::size_t k, const std::string& prefix) {
    std::size_t total = 0;
    for (std::size_t j = 0; j < k; ++j) {
        std::size_t bytes = prefix.size() + std::to_string(j).size() + 1;
        for (const auto& v : member_values(j)) {
            if (const auto* s = std::get_if<std::string>(&v))
                bytes += s->size() + 1;
            else
                bytes += 3;
        }
        total += bytes;
    }
    return total;
}

json bench_push(const fs::path& dir, int tablets, std::size_t k,
                const noi::proto::deflate_settings& deflate, const std::string& pg = {}) {
    const auto scratch = scratch_for(pg, "push");
    const auto where = dir / (scratch ? "push-postgresql" : "push");
    live server(where, deflate, {}, scratch ? scratch->conninfo() : std::string());
    std::vector<std::unique_ptr<noi::tablet>> ts;
    std::vector<std::string> tokens;
    noi::system_clock wall;
    // One commune per tablet, so the figure is the push alone: tablets of one commune would
    // also pull each other's rows.
    const auto communes = todays_communes();
    for (int i = 0; i < tablets; ++i) {
        const auto& commune = communes[static_cast<std::size_t>(i) % communes.size()];
        ts.push_back(
            noi::tablet::create((where / ("tablet-" + std::to_string(i) + ".db")).string(), wall));
        tokens.push_back(server.enrol(commune));
        fill(*ts.back(), k, "t" + std::to_string(i) + "-", commune);
    }
    auto started = clock_type::now();
    std::vector<std::thread> workers;
    std::atomic<int> unfinished{0};
    for (int i = 0; i < tablets; ++i)
        workers.emplace_back([&, i] {
            auto r = sync(*ts[static_cast<std::size_t>(i)], server.via,
                          tokens[static_cast<std::size_t>(i)], deflate);
            if (r.outcome != noi::client::sync_outcome::done) ++unfinished;
        });
    for (auto& w : workers)
        w.join();
    double secs = seconds_since(started);
    double rows = static_cast<double>(tablets) * static_cast<double>(k);
    // A figure counts only rows the server holds.
    std::int64_t held = 0;
    if (scratch) {
        noi::pg::connection check(scratch->conninfo());
        held = check.run("SELECT count(*) FROM militia_member").integer(0, 0);
    } else {
        noi::database check((where / "server" / "noi.db").string(), false);
        auto count = check.prepare("SELECT count(*) FROM militia_member");
        count.step();
        held = count.column_int(0);
    }
    if (unfinished > 0 || held != static_cast<std::int64_t>(rows))
        throw std::runtime_error("push: the server holds " + std::to_string(held) + " of " +
                                 std::to_string(static_cast<std::int64_t>(rows)) + " rows and " +
                                 std::to_string(unfinished.load()) + " syncs did not finish");
    return {
        {"tablets", tablets},
        {"rows_per_tablet", k},
        {"rows_per_s", rows / secs},
        {"wire_bytes_per_row", static_cast<double>(server.proxy->bytes()) / rows},
        {"raw_bytes_per_row", static_cast<double>(raw_bytes(k, "t0-")) / static_cast<double>(k)}};
}

json bench_bootstrap(const fs::path& dir, std::size_t k,
                     const noi::proto::deflate_settings& deflate) {
    live server(dir / "bootstrap", deflate);
    noi::system_clock wall;
    auto writer = noi::tablet::create((dir / "writer.db").string(), wall);
    fill(*writer, k, "b-");
    (void)sync(*writer, "http://" + server.srv->listen_address(), server.enrol("01849"), deflate);
    auto fresh = noi::tablet::create((dir / "fresh.db").string(), wall);
    auto token = server.enrol("01849");
    auto before = server.proxy->bytes();
    auto started = clock_type::now();
    auto r = sync(*fresh, server.via, token, deflate);
    double secs = seconds_since(started);
    return {{"rows", k},
            {"rows_per_s", static_cast<double>(k) / secs},
            {"wire_bytes_per_row",
             static_cast<double>(server.proxy->bytes() - before) / static_cast<double>(k)},
            {"done", r.outcome == noi::client::sync_outcome::done}};
}

// A cheap tablet's cost: the peak memory of a real noi-client process pushing k pending
// militia_member rows, and of another pulling them into a fresh replica, beside what the
// program holds doing nothing (status). Each runs under noi-peak-rss (beside noi-bench).
json bench_tablet(const fs::path& dir, const fs::path& client_bin, const fs::path& peak_rss_bin,
                  std::size_t k, const noi::proto::deflate_settings& deflate) {
    const auto where = dir / "tablet";
    live server(where, deflate);
    const auto url = "http://" + server.srv->listen_address();
    // Runs noi-client; returns its peak resident memory in MiB.
    auto client = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {peak_rss_bin.string(), client_bin.string()});
        auto r = noi::process::run(args, std::chrono::minutes(10));
        const auto at = r.err.rfind("noi-peak-rss: ");
        if (r.exit_code != 0 || at == std::string::npos)
            throw std::runtime_error("noi-client " + args[2] + " failed (" +
                                     std::to_string(r.exit_code) + "): " + r.err);
        return std::stod(r.err.substr(at + 14)) / 1024.0;
    };
    const auto writer = (where / "writer.db").string(), fresh = (where / "fresh.db").string();
    client({"init", "--db", writer, "--server", url, "--token", server.enrol("01849")});
    {
        noi::system_clock wall;
        fill(*noi::tablet::open(writer, wall), k, "w-");
    }
    const auto idle = client({"status", "--db", writer});
    auto started = clock_type::now();
    const auto push = client({"sync", "--db", writer, "--timeout", "600"});
    const double push_s = seconds_since(started);
    client({"init", "--db", fresh, "--server", url, "--token", server.enrol("01849")});
    started = clock_type::now();
    const auto pull = client({"sync", "--db", fresh, "--timeout", "600"});
    const double pull_s = seconds_since(started);

    noi::database check(fresh, false);
    auto count = check.prepare("SELECT count(*) FROM militia_member");
    count.step();
    if (count.column_int(0) != static_cast<std::int64_t>(k))
        throw std::runtime_error("tablet: the fresh replica holds " +
                                 std::to_string(count.column_int(0)) + " of " + std::to_string(k) +
                                 " rows");
    return {{"rows", k},        {"idle_peak_rss_mib", idle},      {"push_peak_rss_mib", push},
            {"push_s", push_s}, {"bootstrap_peak_rss_mib", pull}, {"bootstrap_s", pull_s}};
}

// A second server process of the province, in this process: on SQLite beside the first in
// its directory (both shared), on PostgreSQL in a directory of its own joined to the store.
struct second_server {
    std::unique_ptr<noi::server::server> srv;
    std::thread thread;
    second_server(const fs::path& dir, const std::string& pg,
                  const noi::proto::deflate_settings& deflate) {
        noi::server::server_config cfg;
        cfg.data_dir = (dir / "server").string();
        if (!pg.empty()) {
            cfg.data_dir = (dir / "second").string();
            (void)noi::server::init_data_dir_on_postgresql(cfg.data_dir, pg);
        }
        cfg.shared_data = pg.empty();
        cfg.deflate = deflate;
        srv = std::make_unique<noi::server::server>(cfg);
        thread = std::thread([this] { srv->run(); });
    }
    ~second_server() {
        srv->stop();
        thread.join();
    }
    std::string url() const { return "http://" + srv->listen_address(); }
};

// How long a row written on tablet A takes to reach tablet B, which watches (a live
// connection, woken by NOTIFY): from the start of A's sync to B holding the row, `writes`
// times, with B on the same server process as A and then on a second one.
json bench_notify(const fs::path& dir, int writes, const std::string& pg,
                  const noi::proto::deflate_settings& deflate) {
    const auto scratch = scratch_for(pg, "notify");
    const auto where = dir / (scratch ? "notify-postgresql" : "notify");
    const auto store = scratch ? scratch->conninfo() : std::string();
    live first(where, deflate, {}, store, store.empty());
    second_server second(where, store, deflate);
    const auto first_url = "http://" + first.srv->listen_address();
    noi::system_clock wall;
    json out;
    for (const auto* through : {"one_process", "two_processes"}) {
        auto a =
            noi::tablet::create((where / (std::string("a-") + through + ".db")).string(), wall);
        auto b =
            noi::tablet::create((where / (std::string("b-") + through + ".db")).string(), wall);
        const auto token_a = first.enrol("01849"), token_b = first.enrol("01849");
        const auto b_url = std::string(through) == "one_process" ? first_url : second.url();
        (void)sync(*a, first_url, token_a, deflate);
        (void)sync(*b, b_url, token_b, deflate);
        std::mutex mu;
        std::condition_variable arrived;
        std::string awaited;
        bool seen = false;
        std::atomic<bool> stop{false};
        std::thread watcher([&] {
            auto rep = replicator_for(*b, b_url, token_b, deflate);
            auto has = b->rep().db().prepare("SELECT 1 FROM militia_member WHERE id = ?1");
            rep.watch(stop, [&](const noi::client::sync_result&) {
                std::lock_guard lock(mu);
                if (awaited.empty()) return;
                has.bind(1, awaited);
                seen = has.step();
                has.reset();
                if (seen) arrived.notify_all();
            });
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(500)); // B is watching
        std::vector<double> ms;
        for (int i = 0; i < writes; ++i) {
            const auto prefix = std::string("n-") + through + "-" + std::to_string(i) + "-";
            fill(*a, 1, prefix);
            const auto id = prefix + "0";
            {
                std::lock_guard lock(mu);
                awaited = id;
                seen = false;
            }
            const auto started = clock_type::now();
            (void)sync(*a, first_url, token_a, deflate);
            std::unique_lock lock(mu);
            if (arrived.wait_for(lock, std::chrono::seconds(5), [&] { return seen; }))
                ms.push_back(seconds_since(started) * 1000);
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        stop = true;
        watcher.join();
        const auto at = [&](double q) {
            return ms.empty() ? json(nullptr) : json(percentile(ms, q));
        };
        out[through] = {
            {"writes", writes}, {"seen", ms.size()}, {"p50_ms", at(0.5)}, {"p99_ms", at(0.99)}};
    }
    return out;
}

// After an outage, `tablets` tablets (spread over the province's communes) each holding `rows`
// rows it wrote offline all sync at once: the seconds until every one has pushed and pulled,
// through one server process or two (every other tablet on the second). From loopback every
// tablet is one address, which the server admits 64 handshakes at a time: 48 workers sync.
json bench_storm(const fs::path& dir, int tablets, std::size_t rows, const std::string& pg,
                 bool two, const noi::proto::deflate_settings& deflate) {
    const auto scratch = scratch_for(pg, two ? "storm2" : "storm");
    const auto where =
        dir / ((scratch ? "storm-postgresql" : "storm") + std::string(two ? "-2" : ""));
    const auto store = scratch ? scratch->conninfo() : std::string();
    live first(where, deflate, {}, store, store.empty());
    std::optional<second_server> second;
    if (two) second.emplace(where, store, deflate);
    const auto first_url = "http://" + first.srv->listen_address();
    const auto communes = todays_communes();
    noi::system_clock wall;
    std::vector<std::unique_ptr<noi::tablet>> ts(static_cast<std::size_t>(tablets));
    std::vector<std::string> tokens(ts.size()), urls(ts.size());
    constexpr int workers = 48;
    auto in_parallel = [&](const std::function<void(std::size_t)>& job) {
        std::atomic<std::size_t> next{0};
        std::vector<std::thread> pool;
        for (int w = 0; w < workers; ++w)
            pool.emplace_back([&] {
                for (auto i = next++; i < ts.size(); i = next++)
                    job(i);
            });
        for (auto& t : pool)
            t.join();
    };
    // Before the outage: every tablet enrolled and synced once.
    for (std::size_t i = 0; i < ts.size(); ++i)
        tokens[i] = first.enrol(communes[i % communes.size()]);
    in_parallel([&](std::size_t i) {
        ts[i] = noi::tablet::create((where / ("t" + std::to_string(i) + ".db")).string(), wall);
        urls[i] = two && i % 2 ? second->url() : first_url;
        (void)sync(*ts[i], urls[i], tokens[i], deflate);
        fill(*ts[i], rows, "s" + std::to_string(i) + "-", communes[i % communes.size()]);
    });
    std::atomic<int> unfinished{0};
    const auto started = clock_type::now();
    in_parallel([&](std::size_t i) {
        if (sync(*ts[i], urls[i], tokens[i], deflate).outcome != noi::client::sync_outcome::done)
            ++unfinished;
    });
    const double secs = seconds_since(started);
    return {{"tablets", tablets},
            {"rows_per_tablet", rows},
            {"processes", two ? 2 : 1},
            {"seconds", secs},
            {"rows_per_s", static_cast<double>(tablets) * static_cast<double>(rows) / secs},
            {"unfinished", unfinished.load()}};
}

// Three communes of `k` rows each merge into one (docs/design.md §11): the seconds the server
// takes to commit the change, and what a tablet of one of them then downloads against the
// size of the rows it lacked (its own rows stay as they are and cost nothing).
json bench_map_change(const fs::path& dir, std::size_t k,
                      const noi::proto::deflate_settings& deflate) {
    live server(dir / "map", deflate, noi::map_choice{"06", "2025-06-30"});
    noi::system_clock wall;
    const std::string direct = "http://" + server.srv->listen_address();
    const std::array<std::string, 3> communes{"01834", "01840", "01846"};
    std::vector<std::unique_ptr<noi::tablet>> ts;
    std::vector<std::string> tokens;
    for (std::size_t i = 0; i < communes.size(); ++i) {
        ts.push_back(noi::tablet::create((dir / ("map-" + communes[i] + ".db")).string(), wall));
        tokens.push_back(server.enrol(communes[i]));
        fill(*ts.back(), k, "m" + std::to_string(i) + "-", communes[i]);
        if (sync(*ts.back(), direct, tokens.back(), deflate).outcome !=
            noi::client::sync_outcome::done)
            throw std::runtime_error("map: a commune's first sync did not finish");
    }
    const json change{{"kind", "merge"},
                      {"effective", "2025-07-01"},
                      {"groups", json::array({{{"from", communes}, {"code", "01840"}}})}};
    auto started = clock_type::now();
    auto r = noi::admin::request(direct, "POST", "/admin/v1/map/changes", server.admin_token,
                                 change.dump());
    const double commit_s = seconds_since(started);
    if (r.status != 201) throw std::runtime_error("map: the merge failed: " + r.body);
    const auto before = server.proxy->bytes();
    auto done = sync(*ts[0], server.via, tokens[0], deflate);
    const auto downloaded = server.proxy->bytes() - before;
    auto held = ts[0]->rep().db().prepare("SELECT count(*) FROM militia_member");
    held.step();
    if (done.outcome != noi::client::sync_outcome::done ||
        held.column_int(0) != static_cast<std::int64_t>(3 * k))
        throw std::runtime_error("map: the merged tablet holds " +
                                 std::to_string(held.column_int(0)) + " rows, not " +
                                 std::to_string(3 * k));
    const auto lacked = raw_bytes(k, "m1-") + raw_bytes(k, "m2-");
    return {{"rows_per_commune", k},
            {"commit_s", commit_s},
            {"download_bytes", downloaded},
            {"lacked_raw_bytes", lacked},
            {"download_vs_lacked", static_cast<double>(downloaded) / static_cast<double>(lacked)}};
}

std::int64_t rss_bytes(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            std::int64_t kib = 0;
            in >> kib;
            return kib * 1024;
        }
        in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    throw std::runtime_error("cannot read the memory of process " + std::to_string(pid));
}

// Each connection takes a descriptor here and one in the server, which inherits the limit.
void raise_file_limit(std::size_t wanted) {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur >= wanted) return;
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, wanted);
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < wanted)
        throw std::runtime_error("the file limit (" + std::to_string(rl.rlim_max) +
                                 ") is below the " + std::to_string(wanted) +
                                 " this many connections need; raise it (ulimit -Hn) or use fewer");
}

// A real noi-server process (its memory is measured alone) holding `connections` sessions
// that said HELLO and went quiet, while `active` tablets among them do rounds.
json bench_connections(const fs::path& dir, const fs::path& server_bin, std::size_t connections,
                       std::size_t active, int rounds, int think_ms,
                       const noi::proto::deflate_settings& deflate) {
    active = std::min(active, connections);
    raise_file_limit(connections + 1024);
    auto data = (dir / "conn-server").string();
    auto init =
        noi::process::run({server_bin.string(), "init", "--data", data}, std::chrono::seconds(60));
    if (init.exit_code != 0) throw std::runtime_error("noi-server init failed: " + init.err);
    auto admin_token = init.out.substr(0, init.out.find_first_of("\r\n"));
    noi::process::child_process srv({server_bin.string(), "serve", "--data", data, "--listen",
                                     "127.0.0.1:0", "--deflate-window-bits",
                                     std::to_string(deflate.window_bits), "--deflate-mem-level",
                                     std::to_string(deflate.mem_level)},
                                    dir.string());
    auto line = srv.wait_for_stderr("listening on", std::chrono::seconds(30));
    if (!line) throw std::runtime_error("noi-server did not start: " + srv.stderr_text());
    auto port = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
    const std::string url = "http://127.0.0.1:" + std::to_string(port);

    // Tablets spread over the province's communes, as in the field (every push NOTIFYs the
    // tablets of its commune). Each is a device of its own, as the server's per-device session
    // limit wants, with its own replica (site).
    const auto communes = todays_communes();
    auto commune_of = [&](std::size_t i) { return communes[i % communes.size()]; };
    std::vector<std::string> idle_tokens, active_tokens;
    for (std::size_t i = 0; i < connections - active; ++i)
        idle_tokens.push_back(enrol_device(url, admin_token, commune_of(i)));
    for (std::size_t i = 0; i < active; ++i)
        active_tokens.push_back(enrol_device(url, admin_token, commune_of(i)));

    noi::system_clock wall;
    std::vector<std::unique_ptr<noi::tablet>> tablets;
    for (std::size_t i = 0; i < active; ++i) {
        tablets.push_back(
            noi::tablet::create((dir / ("active-" + std::to_string(i) + ".db")).string(), wall));
        (void)sync(*tablets.back(), url, active_tokens[i],
                   deflate); // the reference data, not measured
    }

    const auto rss_before = rss_bytes(srv.pid());
    noi::bench::idle_fleet_options fo;
    fo.port = port;
    fo.tokens = idle_tokens;
    fo.connections = connections - active;
    fo.deflate = deflate;
    noi::bench::idle_fleet fleet(fo);
    auto opened = idle_tokens.empty() ? 0 : fleet.open();
    if (opened < fo.connections)
        throw std::runtime_error("only " + std::to_string(opened) + " of " +
                                 std::to_string(fo.connections) +
                                 " idle connections opened: " + fleet.first_error());
    const auto rss_idle = rss_bytes(srv.pid());

    // Each round: one new row, then a whole sync (connect, HELLO, PUSH, PULL) timed end to end.
    // Tablets in the field do not sync in step: each waits a random think time up to
    // think_ms before every round (0 makes them all start at once).
    std::vector<std::vector<double>> ms(active);
    std::vector<std::thread> workers;
    std::atomic<int> failed{0};
    for (std::size_t i = 0; i < active; ++i)
        workers.emplace_back([&, i] {
            std::mt19937 rng(static_cast<unsigned>(i));
            std::uniform_int_distribution<int> think(0, std::max(0, think_ms));
            for (int r = 0; r < rounds; ++r) {
                std::this_thread::sleep_for(std::chrono::milliseconds(think(rng)));
                tablets[i]->exec("INSERT INTO household(id, commune_code, village, members) VALUES "
                                 "(noi_uuid(), '" +
                                 commune_of(i) + "', 'Nà Pài', 4)");
                auto started = clock_type::now();
                auto res = sync(*tablets[i], url, active_tokens[i], deflate);
                ms[i].push_back(seconds_since(started) * 1000);
                if (res.outcome != noi::client::sync_outcome::done) ++failed;
            }
        });
    for (auto& w : workers)
        w.join();
    const auto rss_active = rss_bytes(srv.pid());
    std::vector<double> all;
    for (const auto& v : ms)
        all.insert(all.end(), v.begin(), v.end());
    srv.signal(SIGTERM);
    srv.wait(std::chrono::seconds(30));
    return {
        {"connections", opened + active},
        {"idle", opened},
        {"active_tablets", active},
        {"think_ms_max", think_ms},
        {"rounds", all.size()},
        {"failed_rounds", failed.load()},
        {"server_rss_bytes_before", rss_before},
        {"server_rss_bytes_idle", rss_idle},
        {"server_rss_bytes_after_rounds", rss_active},
        {"rss_bytes_per_connection",
         opened ? static_cast<double>(rss_idle - rss_before) / static_cast<double>(opened) : 0.0},
        {"p50_ms", percentile(all, 0.50)},
        {"p99_ms", percentile(all, 0.99)},
        {"compression",
         {{"permessage_deflate", true},
          {"window_bits", deflate.window_bits},
          {"mem_level", deflate.mem_level},
          {"comp_level", deflate.comp_level}}}};
}

// The same records through another system, run beside ours (bench/peers/NAME/bench.js).
json bench_peer(const fs::path& dir, const fs::path& peer_dir, int tablets, std::size_t rows,
                std::size_t bootstrap_rows) {
    if (!fs::exists(peer_dir / "bench.js"))
        throw std::runtime_error("no peer benchmark at " + peer_dir.string());
    if (!fs::exists(peer_dir / "node_modules")) {
        std::cerr << "installing the peer's packages (npm ci in " << peer_dir.string() << ")\n";
        auto r = noi::process::run(
            {"/usr/bin/env", "npm", "ci", "--no-audit", "--no-fund", "--prefix", peer_dir.string()},
            std::chrono::minutes(10));
        if (r.exit_code != 0)
            throw std::runtime_error(
                "npm ci failed (Node.js 20 and the npm registry are needed): " + r.err);
    }
    auto r = noi::process::run({"/usr/bin/env", "node", (peer_dir / "bench.js").string(),
                                "--tablets", std::to_string(tablets), "--rows",
                                std::to_string(rows), "--bootstrap-rows",
                                std::to_string(bootstrap_rows), "--dir", (dir / "peer").string()},
                               std::chrono::minutes(30));
    if (r.exit_code != 0) throw std::runtime_error("the peer benchmark failed: " + r.err);
    return json::parse(r.out);
}

} // namespace

int main(int argc, char** argv) {
    // Logs go to stderr: with --json, stdout holds one JSON document and nothing else.
    spdlog::set_default_logger(spdlog::stderr_color_mt("noi"));
    CLI::App app{
        "noi-bench: measure Nối against baselines run beside it; prints one JSON document"};
    app.set_version_flag("--version", std::string("noi-bench ") + NOI_VERSION);
    std::size_t capture_rows = 100'000, merge_rows = 100'000, push_rows = 10'000,
                bootstrap_rows = 50'000, map_rows = 20'000;
    int tablets = 8, sites = 4;
    std::vector<std::string> only;
    app.add_option("--capture-rows", capture_rows, "Rows inserted and updated for capture")
        ->capture_default_str();
    app.add_option("--merge-rows", merge_rows, "Rows merged by the server")->capture_default_str();
    app.add_option("--sites", sites, "Sites pushing in the merge figure")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    app.add_option("--tablets", tablets, "Tablets pushing at once")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    app.add_option("--push-rows", push_rows, "Rows each tablet pushes")->capture_default_str();
    app.add_option("--bootstrap-rows", bootstrap_rows, "Rows a new tablet pulls")
        ->capture_default_str();
    app.add_option("--map-rows", map_rows, "Rows of each of the three communes merged")
        ->capture_default_str();
    std::size_t connections = 5'000, active = 100;
    int rounds = 5, think_ms = 2'000;
    app.add_option("--connections", connections, "Idle WebSocket connections held by the server")
        ->capture_default_str();
    app.add_option("--active", active, "Tablets among them doing rounds")->capture_default_str();
    app.add_option("--rounds", rounds, "Rounds each active tablet does")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    app.add_option("--think-ms", think_ms,
                   "Longest random pause of an active tablet before each round")
        ->capture_default_str();
    noi::proto::deflate_settings deflate;
    app.add_option("--window-bits", deflate.window_bits,
                   "permessage-deflate window bits, both ends")
        ->capture_default_str()
        ->check(CLI::Range(9, 15));
    app.add_option("--mem-level", deflate.mem_level, "permessage-deflate memory level, both ends")
        ->capture_default_str()
        ->check(CLI::Range(1, 9));
    std::string server_bin;
    app.add_option("--server-bin", server_bin,
                   "The noi-server program for the connections figure (default: beside noi-bench)");
    std::size_t tablet_rows = 50'000;
    app.add_option("--tablet-rows", tablet_rows,
                   "Rows a noi-client process pushes, and another pulls, in the tablet figure")
        ->capture_default_str();
    std::string client_bin;
    app.add_option("--client-bin", client_bin,
                   "The noi-client program for the tablet figure (default: beside noi-bench)");
    std::string peer;
    app.add_option("--peer", peer,
                   "Run a peer system on the same records and add the *_vs_peer ratios")
        ->check(CLI::IsMember({"pouchdb"}));
    std::string peers_dir = NOI_PEERS_DIR;
    app.add_option("--peers-dir", peers_dir, "Where the peers' benchmarks are")
        ->capture_default_str();
    bool quick = false, keep = false;
    app.add_flag("--keep", keep,
                 "Keep the databases of the run (for sqlite3's dbstat) and print where they are");
    app.add_flag("--quick", quick,
                 "Small sizes: checks that every figure runs, not the speed (CI's smoke test)");
    std::size_t console_devices = 1'000, console_conflicts = 10'000;
    app.add_option("--console-devices", console_devices, "Devices the console's pages list")
        ->capture_default_str();
    app.add_option("--console-conflicts", console_conflicts,
                   "Open conflicts the console's pages list")
        ->capture_default_str();
    int storm_tablets = 1000;
    std::size_t storm_rows = 50;
    app.add_option("--storm-tablets", storm_tablets, "Tablets syncing at once after an outage")
        ->capture_default_str();
    app.add_option("--storm-rows", storm_rows, "Rows each of them wrote offline")
        ->capture_default_str();
    int notify_writes = 100;
    app.add_option("--notify-writes", notify_writes,
                   "Rows written on one tablet for another watching one to see")
        ->capture_default_str();
    std::string store;
    app.add_option(
        "--store", store,
        "Also measure merge, push and notify on PostgreSQL: a connection string to a server "
        "where noi-bench may make and drop databases (noi_bench_*), e.g. "
        "'host=/run/postgresql dbname=postgres'");
    app.add_option("--only", only,
                   "Run only these figures (capture, merge, push, bootstrap, notify, storm, "
                   "map, tablet, connections, console)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (quick) {
        capture_rows = merge_rows = 2'000;
        push_rows = 300;
        tablets = 2;
        bootstrap_rows = 1'000;
        tablet_rows = 1'000;
        map_rows = 300;
        connections = 200;
        active = 10;
        rounds = 2;
        think_ms = 100;
        console_devices = 50;
        console_conflicts = 200;
        notify_writes = 10;
        storm_tablets = 20;
        storm_rows = 10;
    }
    const auto beside = fs::canonical("/proc/self/exe").parent_path();
    if (server_bin.empty()) server_bin = (beside / "noi-server").string();
    if (client_bin.empty()) client_bin = (beside / "noi-client").string();
    auto want = [&](const char* f) {
        return only.empty() || std::find(only.begin(), only.end(), f) != only.end();
    };
    // Durable storage for the figures that fsync: tmpfs would flatter them.
    fs::path dir = fs::temp_directory_path() / ("noi-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    json out;
    try {
        out["machine"] = {{"cores", std::thread::hardware_concurrency()},
                          {"sqlite", sqlite3_libversion()},
                          {"boost", std::to_string(BOOST_VERSION / 100000) + "." +
                                        std::to_string(BOOST_VERSION / 100 % 1000)},
                          {"storage", dir.string()}};
        if (want("capture")) out["capture"] = bench_capture(dir, capture_rows);
        if (want("merge")) out["merge"] = bench_merge(dir, merge_rows, sites, {});
        if (want("merge") && !store.empty())
            out["merge_postgresql"] = bench_merge(dir, merge_rows, sites, store);
        if (want("push")) out["push"] = bench_push(dir, tablets, push_rows, deflate);
        if (want("push") && !store.empty())
            out["push_postgresql"] = bench_push(dir, tablets, push_rows, deflate, store);
        if (want("bootstrap")) out["bootstrap"] = bench_bootstrap(dir, bootstrap_rows, deflate);
        if (want("storm"))
            for (bool two : {false, true}) {
                const auto name = std::string(two ? "storm_two_processes" : "storm");
                out[name] = bench_storm(dir, storm_tablets, storm_rows, {}, two, deflate);
                if (!store.empty())
                    out[name + "_postgresql"] =
                        bench_storm(dir, storm_tablets, storm_rows, store, two, deflate);
            }
        if (want("notify")) out["notify"] = bench_notify(dir, notify_writes, {}, deflate);
        if (want("notify") && !store.empty())
            out["notify_postgresql"] = bench_notify(dir, notify_writes, store, deflate);
        if (want("map")) out["map"] = bench_map_change(dir, map_rows, deflate);
        if (want("tablet"))
            out["tablet"] =
                bench_tablet(dir, client_bin, beside / "noi-peak-rss", tablet_rows, deflate);
        if (want("connections"))
            out["connections"] =
                bench_connections(dir, server_bin, connections, active, rounds, think_ms, deflate);
        if (want("console"))
            out["console"] =
                noi::bench::bench_console(dir, console_devices, console_conflicts, quick ? 3 : 15);
        if (!peer.empty()) {
            auto p =
                bench_peer(dir, fs::path(peers_dir) / peer, tablets, push_rows, bootstrap_rows);
            out["peer"] = p;
            auto ratio = [&](const char* fig, const char* field) {
                return out.contains(fig)
                           ? json(out[fig][field].get<double>() / p[fig][field].get<double>())
                           : json(nullptr);
            };
            out["push_vs_peer"] = ratio("push", "rows_per_s");
            if (out.contains("push_postgresql"))
                out["push_postgresql_vs_peer"] =
                    out["push_postgresql"]["rows_per_s"].get<double>() /
                    p["push"]["rows_per_s"].get<double>();
            out["bytes_vs_peer"] = ratio("push", "wire_bytes_per_row");
            out["bootstrap_vs_peer"] = ratio("bootstrap", "rows_per_s");
        }
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        if (!keep) fs::remove_all(dir);
        return 1;
    }
    if (keep)
        std::cerr << "the run's databases are kept in " << dir.string() << "\n";
    else
        fs::remove_all(dir);
    std::cout << out.dump(2) << "\n";
    return 0;
}
