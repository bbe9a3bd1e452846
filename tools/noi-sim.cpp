// noi-sim: the province's main job on one machine (a real server, commune tablets over real
// WebSockets through a flaky link, conflicts settled by an admin, then a convergence check),
// and `noi-sim core`, the deterministic simulation of the sync core over many seeds.
#include <deterministic_sim.hpp>
#include <province_sim.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

fs::path scratch_dir(const char* what) {
    fs::path base = fs::is_directory("/dev/shm") ? "/dev/shm" : fs::temp_directory_path();
    return base / (std::string(what) + "-" + std::to_string(::getpid()));
}

int run_core(std::uint64_t seed, std::uint64_t seeds, int steps, int per_commune, double cut_rate,
             double crash_rate, bool hostile, bool as_json) {
    auto dir = scratch_dir("noi-sim-core");
    const bool tty = !as_json && ::isatty(2);
    auto started = std::chrono::steady_clock::now();
    noi::sim::sim_summary total;
    std::uint64_t failed = 0, schema_runs = 0; // runs whose server published version 2
    for (std::uint64_t s = seed; s < seed + seeds; ++s) {
        noi::sim::sim_options opt;
        opt.seed = s;
        opt.steps = steps;
        opt.tablets_per_commune = per_commune;
        opt.hostile = hostile;
        opt.cut_rate = cut_rate;
        opt.crash_rate = crash_rate;
        opt.dir = (dir / std::to_string(s)).string();
        auto r = noi::sim::run(opt);
        fs::remove_all(opt.dir);
        total.tablets += r.tablets;
        total.writes += r.writes;
        total.rounds += r.rounds;
        total.completed_rounds += r.completed_rounds;
        total.cuts += r.cuts;
        total.replays += r.replays;
        total.tablet_crashes += r.tablet_crashes;
        total.server_crashes += r.server_crashes;
        total.conflicts += r.conflicts;
        total.quarantined += r.quarantined;
        total.bytes += r.bytes;
        schema_runs += r.schema_published_at >= 0;
        total.apps_upgraded += r.apps_upgraded;
        total.new_schema_writes += r.new_schema_writes;
        total.map_changes += r.map_changes;
        total.device_moves += r.device_moves;
        total.row_moves += r.row_moves;
        total.reference_edits += r.reference_edits;
        total.wiped += r.wiped;
        total.answers += r.answers;
        total.decisions += r.decisions;
        total.notices += r.notices;
        if (!r.problems.empty()) {
            ++failed;
            std::cerr << "seed " << s << " FAILED (replay: noi-sim core --seed " << s
                      << " --seeds 1)\n";
            for (const auto& p : r.problems)
                std::cerr << "  " << p << "\n";
        }
        if (tty)
            std::fprintf(stderr, "\rseed %llu/%llu  failed %llu",
                         static_cast<unsigned long long>(s - seed + 1),
                         static_cast<unsigned long long>(seeds),
                         static_cast<unsigned long long>(failed));
    }
    fs::remove_all(dir);
    if (tty) std::fprintf(stderr, "\n");
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (as_json) {
        std::cout << json{{"converged", failed == 0},
                          {"seeds", seeds},
                          {"failed", failed},
                          {"tablets", total.tablets},
                          {"rows", total.writes},
                          {"conflicts", total.conflicts},
                          {"quarantined", total.quarantined},
                          {"rounds", total.rounds},
                          {"cuts", total.cuts},
                          {"crashes", total.tablet_crashes + total.server_crashes},
                          {"bytes", total.bytes},
                          {"schema_changes", schema_runs},
                          {"apps_upgraded", total.apps_upgraded},
                          {"new_schema_writes", total.new_schema_writes},
                          {"reference_edits", total.reference_edits},
                          {"map_changes", total.map_changes},
                          {"device_moves", total.device_moves},
                          {"row_moves", total.row_moves},
                          {"wiped", total.wiped},
                          {"answers", total.answers},
                          {"decisions", total.decisions},
                          {"conflict_notices", total.notices},
                          {"seconds", secs}}
                         .dump()
                  << "\n";
    } else {
        std::printf("Nối sync-core simulation: %llu seeds from %llu, %.1f s\n",
                    static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(seed),
                    secs);
        std::printf("  tablet runs        %d\n  writes             %llu\n", total.tablets,
                    static_cast<unsigned long long>(total.writes));
        std::printf("  sync rounds        %llu (%llu finished, %llu cut)\n",
                    static_cast<unsigned long long>(total.rounds),
                    static_cast<unsigned long long>(total.completed_rounds),
                    static_cast<unsigned long long>(total.cuts));
        std::printf("  replayed rounds    %llu\n  crashes            %llu tablet, %llu server\n",
                    static_cast<unsigned long long>(total.replays),
                    static_cast<unsigned long long>(total.tablet_crashes),
                    static_cast<unsigned long long>(total.server_crashes));
        std::printf(
            "  conflicts recorded %llu\n  rows quarantined   %llu\n  bytes              %llu\n",
            static_cast<unsigned long long>(total.conflicts),
            static_cast<unsigned long long>(total.quarantined),
            static_cast<unsigned long long>(total.bytes));
        std::printf("  schema changes     %llu runs published version 2 mid-run; %d apps "
                    "upgraded, %llu writes to the new table and column\n",
                    static_cast<unsigned long long>(schema_runs), total.apps_upgraded,
                    static_cast<unsigned long long>(total.new_schema_writes));
        std::printf("  reference edits    %llu by an admin, taken by every tablet\n",
                    static_cast<unsigned long long>(total.reference_edits));
        std::printf("  map changes        %llu merges, %llu device moves, %llu record moves, "
                    "tablets offline\n",
                    static_cast<unsigned long long>(total.map_changes),
                    static_cast<unsigned long long>(total.device_moves),
                    static_cast<unsigned long long>(total.row_moves));
        std::printf("  lost tablets       %d revoked with a wipe, their synced data deleted\n",
                    total.wiped);
        std::printf("  officers' answers  %llu rejected rows dropped or corrected and sent "
                    "again\n  admin decisions    %llu conflicts; %llu notices on the tablets, "
                    "each as the server has it\n",
                    static_cast<unsigned long long>(total.answers),
                    static_cast<unsigned long long>(total.decisions),
                    static_cast<unsigned long long>(total.notices));
        std::printf("  result             %s\n",
                    failed ? "DIVERGED (see above)"
                           : "every replica converged; nothing lost; no row outside its scope");
    }
    return failed ? 1 : 0;
}

int run_province(noi::sim::province_options opt, bool keep, bool as_json) {
    const bool tty = !as_json && ::isatty(2);
    auto scratch = scratch_dir("noi-sim");
    if (opt.data_dir.empty()) opt.data_dir = scratch.string();
    if (fs::exists(opt.data_dir + "/server")) {
        std::cerr << "error: " << opt.data_dir
                  << " already holds a simulation; give an empty or new --data directory\n";
        return 1;
    }
    auto started = std::chrono::steady_clock::now();
    opt.progress = [&](const std::string& line) {
        auto secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (tty)
            std::fprintf(stderr, "\r\033[K[%5.1fs] %s", secs, line.c_str());
        else if (!as_json)
            std::fprintf(stderr, "[%5.1fs] %s\n", secs, line.c_str());
    };
    noi::sim::province_summary s;
    try {
        s = noi::sim::run_province(opt);
    } catch (const std::exception& e) {
        std::cerr << "\nerror: the simulation failed: " << e.what() << "\n";
        if (!keep) fs::remove_all(scratch);
        return 1;
    }
    if (tty) std::fprintf(stderr, "\n");
    if (keep) {
        std::ofstream token(opt.data_dir + "/admin-token");
        token << s.admin_token << "\n";
    }
    auto report = json::parse(s.report_json, nullptr, false);
    auto after = json::parse(s.report_after_json, nullptr, false);
    if (as_json) {
        std::cout << json{{"converged", s.converged},
                          {"tablets", s.tablets},
                          {"rows", s.rows},
                          {"conflicts", s.conflicts},
                          {"resolved", s.resolved},
                          {"quarantined", s.quarantined},
                          {"bytes", s.bytes},
                          {"cells_pushed", s.cells_pushed},
                          {"cells_pulled", s.cells_pulled},
                          {"rounds", s.rounds},
                          {"cuts", s.cuts},
                          {"schema_version", s.schema_version},
                          {"apps_upgraded", s.apps_upgraded},
                          {"new_schema_rows", s.new_schema_rows},
                          {"seconds", s.seconds},
                          {"problems", s.problems},
                          {"criterion19", report},
                          {"criterion19_after", after},
                          {"reform",
                           {{"units_before", s.units_before},
                            {"units_after", s.units_after},
                            {"devices_moved", s.devices_moved},
                            {"assessments_under_new_unit", s.assessments_under_new_unit}}},
                          {"records_digest", std::to_string(s.records_digest)},
                          {"data", keep ? json(opt.data_dir) : json(nullptr)}}
                         .dump()
                  << "\n";
    } else {
        std::printf("Nối province simulation (seed %llu, %d days): %.1f s\n",
                    static_cast<unsigned long long>(opt.seed), opt.days, s.seconds);
        std::printf("  tablets              %d (one per commune, two officers in some, and the "
                    "province office)\n",
                    s.tablets);
        std::printf("  rows written         %llu\n", static_cast<unsigned long long>(s.rows));
        std::printf("  cells pushed/pulled  %llu / %llu\n",
                    static_cast<unsigned long long>(s.cells_pushed),
                    static_cast<unsigned long long>(s.cells_pulled));
        std::printf("  connections          %llu (%llu cut by the flaky link)\n",
                    static_cast<unsigned long long>(s.rounds),
                    static_cast<unsigned long long>(s.cuts));
        std::printf(
            "  bytes on the link    %llu (through the flaky link; the final rounds go direct)\n",
            static_cast<unsigned long long>(s.bytes));
        std::printf("  conflicts            %llu recorded, %llu resolved by the admin\n",
                    static_cast<unsigned long long>(s.conflicts),
                    static_cast<unsigned long long>(s.resolved));
        std::printf("  rows quarantined     %llu\n",
                    static_cast<unsigned long long>(s.quarantined));
        std::printf("  schema               version %d published mid-run; %d of %d apps upgraded, "
                    "%llu border patrols written%s\n",
                    s.schema_version, s.apps_upgraded, s.tablets,
                    static_cast<unsigned long long>(s.new_schema_rows),
                    s.converged ? "; every replica holds it" : "");
        std::printf("  the 2025 reform      applied mid-run: %d units of Bắc Kạn into %d of Thái "
                    "Nguyên, %d devices moved, tablets offline; %llu assessments of 2026 written "
                    "under a new unit, the others under an old code\n",
                    s.units_before, s.units_after, s.devices_moved,
                    static_cast<unsigned long long>(s.assessments_under_new_unit));
        for (const auto* r : {&report, &after}) {
            if (!r->is_object()) continue;
            std::printf("  criterion 19, %d     %d of %d communes met (the map of %s, by %s)\n",
                        (*r)["year"].get<int>(), (*r)["province"]["met"].get<int>(),
                        (*r)["province"]["total"].get<int>(),
                        (*r)["map_of"].get<std::string>().c_str(),
                        (*r)["grouped_by"].get<std::string>().c_str());
            for (const auto& d : (*r)["districts"]) {
                auto name = d["name"].get<std::string>();
                std::size_t cols = 0;
                for (unsigned char ch : name)
                    cols += (ch & 0xC0) != 0x80; // UTF-8 code points, not bytes
                std::printf("      %s%s %d / %d\n", name.c_str(),
                            std::string(cols < 24 ? 24 - cols : 1, ' ').c_str(),
                            d["met"].get<int>(), d["total"].get<int>());
            }
        }
        std::printf(
            "  result               %s\n",
            s.converged
                ? "every tablet holds exactly the server's data for its scope; nothing pending"
                : "DIVERGED:");
        for (const auto& p : s.problems)
            std::printf("    %s\n", p.c_str());
        if (keep)
            std::printf(
                "\nThe server's data is in %s/server; look at it with\n"
                "  noi-server serve --data %s/server --listen 127.0.0.1:8080 &\n"
                "  export NOI_SERVER=http://127.0.0.1:8080 NOI_ADMIN_TOKEN=$(cat %s/admin-token)\n"
                "  noi-admin status; noi-admin conflicts list; noi-admin report criterion19\n",
                opt.data_dir.c_str(), opt.data_dir.c_str(), opt.data_dir.c_str());
    }
    if (!keep) fs::remove_all(scratch);
    return s.converged ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    // Logs go to stderr: with --json, stdout holds one JSON document and nothing else.
    spdlog::set_default_logger(spdlog::stderr_color_mt("noi"));
    CLI::App app{"noi-sim: the province's main job on one machine — a real server and commune "
                 "tablets over real "
                 "WebSockets, a flaky link, offline days, concurrent edits, conflicts settled by "
                 "an admin — then a "
                 "check that every replica converged"};
    app.set_version_flag("--version", std::string("noi-sim ") + NOI_VERSION);
    noi::sim::province_options p;
    bool as_json = false;
    app.add_option("--tablets", p.tablets,
                   "Commune tablets (default: one per commune of kind xa, 96)")
        ->check(CLI::Range(1, 96));
    app.add_option("--days", p.days, "Days of offline work")
        ->capture_default_str()
        ->check(CLI::Range(1, 365));
    app.add_option("--seed", p.seed,
                   "The same seed writes the same records and draws the same faults")
        ->capture_default_str();
    app.add_option("--loss", p.loss, "How flaky the link is: the share of connections cut mid-sync")
        ->capture_default_str()
        ->check(CLI::Range(0.05, 0.95));
    app.add_option("--offline", p.offline, "Chance that a tablet has no link on a day")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.95));
    app.add_option("--threads", p.threads, "Tablets syncing at once")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    app.add_option(
        "--data", p.data_dir,
        "Keep the server's data here, to look at afterwards with noi-server and noi-admin");
    app.add_flag("--json", as_json, "Print the summary as one JSON document");

    auto* core = app.add_subcommand(
        "core",
        "The deterministic simulation of the sync core (docs/design.md §7) over many seeds");
    std::uint64_t seed = 1, seeds = 200;
    int steps = 160, per_commune = 3;
    double cut_rate = 0.08, crash_rate = 0.01;
    bool core_json = false;
    core->add_option("--seed", seed, "First seed; the same seed replays the same run")
        ->capture_default_str();
    core->add_option("--seeds", seeds, "How many seeds")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000000));
    core->add_option("--steps", steps, "Writes, rounds and faults per seed")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    core->add_option("--tablets-per-commune", per_commune, "Tablets in each of two communes")
        ->capture_default_str()
        ->check(CLI::Range(1, 20));
    core->add_option("--loss", cut_rate, "Chance of a cut at each message")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.9));
    core->add_option("--crash", crash_rate, "Chance of a crash at each fault point")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.5));
    bool no_hostile = false;
    core->add_flag(
        "--no-hostile", no_hostile,
        "Leave out the hostile tablet (forged sites and stamps, floods, other communes' rows)");
    core->add_flag("--json", core_json, "Print the summary as one JSON document");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (*core)
        return run_core(seed, seeds, steps, per_commune, cut_rate, crash_rate, !no_hostile,
                        core_json);
    return run_province(p, !p.data_dir.empty(), as_json);
}
