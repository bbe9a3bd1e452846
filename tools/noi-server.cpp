// noi-server: init, serve, back up and repair a provincial server (CLI.md).
#include <noi/server/server.hpp>
#include <noi/sync/error.hpp>

#include "local_time.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace {

// A snapshot's file in directory `dir`, named for now; two in the same second get -2, -3…
std::string snapshot_name_in(const std::string& dir) {
    const auto stem =
        (std::filesystem::path(dir) / ("noi-" + noi::tools::vietnam_file_time(std::time(nullptr))))
            .string();
    auto name = stem + ".db";
    for (int n = 2; std::filesystem::exists(name); ++n)
        name = stem + "-" + std::to_string(n) + ".db";
    return name;
}

bool split_host_port(const std::string& s, std::string& host, std::uint16_t& port) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = s.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    try {
        auto p = std::stoul(s.substr(colon + 1));
        if (p > 65535) return false;
        port = static_cast<std::uint16_t>(p);
    } catch (...) {
        return false;
    }
    return true;
}

std::string iso_time(std::int64_t ms) {
    auto t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

void print_restore(const noi::server::restore_report& r, const std::string& dir, bool json) {
    if (json) {
        nlohmann::json j{{"snapshot_at", r.snapshot_at_ms
                                             ? nlohmann::json(iso_time(r.snapshot_at_ms))
                                             : nlohmann::json(nullptr)},
                         {"carried_over", r.carried},
                         {"devices_enrolled_since", r.devices_enrolled_since},
                         {"devices_revoked_since", r.devices_revoked_since},
                         {"conflicts_carried", r.conflicts_carried},
                         {"quarantine_carried", r.quarantine_carried},
                         {"server_writes_carried", r.server_writes_carried},
                         {"replaced_kept_as", r.replaced_kept_as}};
        if (!r.carry_failure.empty()) j["carry_failure"] = r.carry_failure;
        std::cout << j.dump() << std::endl;
        return;
    }
    std::cerr << "restored " << dir << " from the snapshot"
              << (r.snapshot_at_ms ? " taken " + iso_time(r.snapshot_at_ms) : std::string())
              << "; the server has a new epoch: at their next sync, tablets send again what "
                 "they wrote since and pull everything\n";
    if (r.carried)
        std::cerr << "carried over from the replaced database: " << r.devices_enrolled_since
                  << " devices enrolled and " << r.devices_revoked_since
                  << " revoked since, every token and account, " << r.conflicts_carried
                  << " conflicts and " << r.quarantine_carried
                  << " quarantine entries new or decided since, and " << r.server_writes_carried
                  << " rows the server itself wrote since\n";
    else if (!r.carry_failure.empty())
        std::cerr << "warning: the replaced database could not be read (" << r.carry_failure
                  << "): enrolments, revocations and admin decisions made after the snapshot "
                     "are not in it. Revoke lost tablets again (noi-admin device list), and give "
                     "tablets enrolled since a new token (noi-client set-token)\n";
    else
        std::cerr << "nothing was carried over (no database in " << dir
                  << ", or --without-carry): enrolments, revocations and admin decisions made "
                     "after the snapshot are not in it. Revoke lost tablets again (noi-admin "
                     "device list), and give tablets enrolled since a new token (noi-client "
                     "set-token)\n";
    if (!r.replaced_kept_as.empty())
        std::cerr << "the replaced database is kept as " << r.replaced_kept_as
                  << "; remove it once the tablets have synced\n";
}

} // namespace

int main(int argc, char** argv) {
    // The log goes to stderr with "listening on", so stdout holds only what a command prints.
    spdlog::set_default_logger(spdlog::stderr_color_mt("noi"));
    // Local time with its offset: a line read beside a tablet's or a console's times (Vietnam's)
    // says which zone it is in (TZ=Asia/Ho_Chi_Minh in the environment file).
    spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e %z] [%^%l%$] %v");
    CLI::App app{"noi-server: the provincial Nối server"};
    app.set_version_flag("--version", std::string("noi-server ") + NOI_VERSION);
    app.require_subcommand(1);
    std::string dir, listen, cert, key, to;
    bool behind_proxy = false;
    int threads = 2;

    auto* init =
        app.add_subcommand("init", "Create a server in DIR and print the first admin token");
    init->add_option("--data", dir, "Data directory (made if missing)")->required();
    noi::map_choice map;
    init->add_option("--province", map.province,
                     "The province served, by its 2-digit code on the map of --as-of")
        ->default_val(map.province);
    init->add_option("--as-of", map.as_of,
                     "The day whose map is used, YYYY-MM-DD (default: today; before 2025-07-01 "
                     "the units before the reform, with their districts)");
    std::string store;
    init->add_option("--store", store,
                     "Keep the data in this PostgreSQL database (postgresql://USER@HOST/DB, no "
                     "password: put it in ~/.pgpass) instead of SQLite in DIR; a database that "
                     "holds a province already is joined (one more server process of it)");

    auto* serve = app.add_subcommand("serve", "Serve /sync, /admin/v1, /healthz and /metrics");
    serve->add_option("--data", dir, "Data directory made by init")->required();
    serve->add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks a free one)")
        ->required();
    serve->add_option("--tls-cert", cert, "PEM certificate chain for wss:// and https://");
    serve->add_option("--tls-key", key, "PEM private key of the certificate");
    serve->add_flag("--behind-tls-proxy", behind_proxy,
                    "A proxy in front terminates TLS: allow plain listening beyond loopback");
    bool shared = false;
    serve->add_flag("--shared", shared,
                    "Let other noi-server processes started with --shared serve the same data "
                    "directory at once (on this machine): a tablet may sync through any of them");
    serve->add_option("--threads", threads, "Network threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    int auth_failures = 30;
    serve
        ->add_option("--auth-failures-per-minute", auth_failures,
                     "Failed authentications an address may make (sync and admin tokens apart) "
                     "before its failures are answered late with 429; a right token is always "
                     "served, but a console sign-in past it is refused until the budget refills "
                     "(0: no limit)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    std::vector<std::string> trusted_proxies;
    serve
        ->add_option("--trusted-proxy", trusted_proxies,
                     "Address of a proxy in front (repeatable): its X-Forwarded-For names the "
                     "client, whose address the authentication budget then counts")
        ->check(CLI::Validator(
            [](std::string& a) -> std::string {
                unsigned char buf[16];
                return inet_pton(AF_INET, a.c_str(), buf) == 1 ||
                               inet_pton(AF_INET6, a.c_str(), buf) == 1
                           ? ""
                           : "give the proxy's IP address, for example 10.0.0.5";
            },
            "IP"));
    std::string metrics_token_file;
    serve
        ->add_option("--metrics-token-file", metrics_token_file,
                     "A file holding a token that /metrics then requires (Authorization: Bearer); "
                     "without it /metrics is open to anyone who reaches the port")
        ->check(CLI::ExistingFile);
    std::size_t max_db_mib = 0;
    serve
        ->add_option("--max-db-mib", max_db_mib,
                     "Refuse pushes once the database would grow past this many MiB (0: only the "
                     "disk limits it)")
        ->capture_default_str();
    std::size_t max_open_conflicts = 1000;
    serve
        ->add_option("--max-open-conflicts", max_open_conflicts,
                     "Open conflicts one device's pushes may have made before its pushes wait "
                     "for the province office to resolve some")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
    noi::proto::deflate_settings deflate;
    serve
        ->add_option("--deflate-window-bits", deflate.window_bits,
                     "permessage-deflate window (both directions): memory per connection against "
                     "bytes on the wire")
        ->capture_default_str()
        ->check(CLI::Range(9, 15));
    serve->add_option("--deflate-mem-level", deflate.mem_level, "permessage-deflate memory level")
        ->capture_default_str()
        ->check(CLI::Range(1, 9));

    auto* bak = app.add_subcommand(
        "backup", "Copy a consistent snapshot of the server's database, even while it runs");
    bak->add_option("--data", dir, "Data directory")->required();
    bak->add_option("--to", to,
                    "The snapshot file to write (must not exist), or a directory: the file is "
                    "then named for the time, noi-YYYY-MM-DD-HHMMSS.db in Vietnam's time, so a "
                    "nightly cron line and a backup made by hand never take the same name")
        ->required();

    bool json = false;
    auto* restore = app.add_subcommand(
        "restore",
        "Put a snapshot back in place of DIR's database, carrying over what was enrolled, revoked "
        "and decided since; stop the server first");
    restore->add_option("--data", dir, "Data directory (made if missing: a new disk)")->required();
    std::string from;
    restore->add_option("--from", from, "The snapshot noi-server backup wrote")->required();
    restore->add_flag("--json", json, "Print what was restored and carried over as JSON");
    bool without_carry = false;
    restore->add_flag("--without-carry", without_carry,
                      "Install the snapshot alone, losing what was enrolled, revoked and decided "
                      "since (when the database in DIR opens but cannot be carried over)");

    auto* migrate = app.add_subcommand(
        "migrate-store",
        "Move a stopped server's data from its SQLite file into an empty PostgreSQL database; "
        "serve then uses PostgreSQL, and tablets go on syncing");
    migrate->add_option("--from", dir, "Data directory of the server (stopped)")->required();
    migrate
        ->add_option("--to", store,
                     "The PostgreSQL database (postgresql://USER@HOST/DB, no "
                     "password: put it in ~/.pgpass)")
        ->required();
    migrate->add_flag("--json", json, "Print the rows copied per table as JSON");

    auto* epoch = app.add_subcommand(
        "new-epoch",
        "Make every tablet send again all it wrote and pull everything at its next sync: after "
        "a PostgreSQL store was restored to an earlier point (docs/operations.md)");
    epoch->add_option("--data", dir, "Data directory")->required();

    auto* repair = app.add_subcommand(
        "repair-clock",
        "Give every stamp beyond the server's clock a fresh one (a database a hostile device "
        "poisoned under an earlier release); stop the server first");
    repair->add_option("--data", dir, "Data directory")->required();
    repair->add_flag("--json", json, "Print what was repaired as JSON");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    try {
        if (*init) {
            if (store.empty()) {
                std::cout << noi::server::init_data_dir(dir, map) << std::endl;
                return 0;
            }
            if (auto token = noi::server::init_data_dir_on_postgresql(dir, store, map))
                std::cout << *token << std::endl;
            else
                std::cout << "joined" << std::endl;
            return 0;
        }
        if (*migrate) {
            const auto report =
                noi::server::migrate_store(dir, store, [](const std::string& table, auto rows) {
                    std::cerr << "copied " << rows << " rows of " << table << "\n";
                });
            if (json) {
                nlohmann::json tables = nlohmann::json::object();
                for (const auto& [table, rows] : report)
                    tables[table] = rows;
                std::cout << nlohmann::json{{"tables", tables}}.dump() << std::endl;
            }
            std::cerr << "moved " << dir
                      << " to PostgreSQL: serve it as before; its tablets go on syncing. " << dir
                      << "/noi.db is left as it was: remove it once you are satisfied\n";
            return 0;
        }
        if (*epoch) {
            noi::server::new_epoch(dir);
            std::cerr << "took a new epoch in " << dir
                      << ": at their next sync, tablets send again what they wrote and pull "
                         "everything\n";
            return 0;
        }
        if (*repair) {
            auto r = noi::server::repair_clock(dir);
            if (json)
                std::cout << nlohmann::json{{"versions", r.versions},
                                            {"rows", r.rows},
                                            {"conflicts", r.conflicts},
                                            {"floor_before", std::to_string(r.floor_before)},
                                            {"floor_after", std::to_string(r.floor_after)}}
                                 .dump()
                          << std::endl;
            else if (r.versions == 0)
                std::cerr << "the clock of " << dir << " is sound: nothing to repair\n";
            else
                std::cerr << "re-stamped " << r.versions << " stamps beyond the clock in " << r.rows
                          << " rows and " << r.conflicts
                          << " conflict sides; the server has a new epoch, so every tablet "
                             "pulls all again at its next sync\n";
            return 0;
        }
        if (*restore) {
            print_restore(noi::server::restore(dir, from, without_carry), dir, json);
            return 0;
        }
        if (*bak) {
            if (std::filesystem::is_directory(to)) to = snapshot_name_in(to);
            noi::server::backup(dir, to);
            std::cerr << "wrote a snapshot of " << dir << " to " << to << "\n";
            return 0;
        }
        noi::server::server_config cfg;
        cfg.data_dir = dir;
        if (!split_host_port(listen, cfg.host, cfg.port)) {
            std::cerr << "error: --listen wants HOST:PORT, for example 127.0.0.1:8080\n";
            return 2;
        }
        if (cert.empty() != key.empty()) {
            std::cerr << "error: give both --tls-cert and --tls-key, or neither\n";
            return 2;
        }
        cfg.tls_cert = cert;
        cfg.tls_key = key;
        cfg.behind_tls_proxy = behind_proxy;
        cfg.shared_data = shared;
        cfg.threads = threads;
        cfg.deflate = deflate;
        cfg.auth_failures_per_minute = auth_failures;
        cfg.max_db_mib = max_db_mib;
        cfg.max_open_conflicts_per_device = max_open_conflicts;
        cfg.trusted_proxies = trusted_proxies;
        if (!metrics_token_file.empty()) {
            // Refused, not served without the token: /metrics would be open to anyone.
            // A regular file only: opening a FIFO would wait for a writer.
            std::error_code ec;
            const bool regular = std::filesystem::is_regular_file(metrics_token_file, ec);
            std::ifstream in;
            if (regular) in.open(metrics_token_file);
            if (!regular || !in) {
                std::cerr << "error: cannot read the metrics token file " << metrics_token_file
                          << "; give a file the user running noi-server may read (chmod 640, "
                             "group noi), or leave out --metrics-token-file\n";
                return 1;
            }
            std::getline(in, cfg.metrics_token);
            while (!cfg.metrics_token.empty() &&
                   (cfg.metrics_token.back() == '\r' || cfg.metrics_token.back() == ' '))
                cfg.metrics_token.pop_back();
            if (cfg.metrics_token.empty()) {
                std::cerr << "error: " << metrics_token_file
                          << " holds no token; write one on its first line\n";
                return 1;
            }
        }

        // Signals are taken by one thread with sigwait, so no handler runs inside Asio.
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);

        noi::server::server srv(cfg);
        std::thread waiter([&] {
            // SIGHUP (systemctl reload) loads a renewed certificate; the others stop.
            for (int sig = SIGHUP; sig == SIGHUP;) {
                sigwait(&set, &sig);
                if (sig == SIGHUP && !srv.reload_tls())
                    spdlog::warn("SIGHUP: nothing reloaded (no --tls-cert, or it failed)");
            }
            spdlog::info("stopping");
            srv.stop();
        });
        std::cerr << "listening on " << srv.listen_address() << std::endl;
        srv.run();
        pthread_kill(waiter.native_handle(), SIGTERM);
        waiter.join();
        return 0;
    } catch (const noi::sync_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
