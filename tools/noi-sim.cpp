// noi-sim: for now, the deterministic in-process simulation of the sync core (DESIGN.md §7):
// a server replica and commune tablets with cuts, crashes, replays and wrong clocks, checked
// for convergence, no lost write and scope isolation. The network simulation over real
// WebSockets (issue "noi-sim") builds on the server and client libraries.
#include <deterministic_sim.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <unistd.h>

int main(int argc, char** argv) {
    CLI::App app{"noi-sim: simulate commune tablets syncing with a provincial server, then check "
                 "that every replica converged and nothing was lost"};
    std::uint64_t seed = 1, seeds = 200;
    int steps = 160, per_commune = 3;
    double cut_rate = 0.08, crash_rate = 0.01;
    bool json = false;
    app.add_option("--seed", seed, "First seed; the same seed replays the same run")->capture_default_str();
    app.add_option("--seeds", seeds, "How many seeds to run")->capture_default_str()->check(CLI::Range(1, 100000000));
    app.add_option("--steps", steps, "Writes, rounds and faults per seed")->capture_default_str()->check(CLI::Range(1, 100000000));
    app.add_option("--tablets-per-commune", per_commune, "Tablets in each of the two communes")
        ->capture_default_str()->check(CLI::Range(1, 20));
    app.add_option("--loss", cut_rate, "Chance that the link is cut at each message")->capture_default_str()->check(CLI::Range(0.0, 0.9));
    app.add_option("--crash", crash_rate, "Chance of a crash at each fault point")->capture_default_str()->check(CLI::Range(0.0, 0.5));
    app.add_flag("--json", json, "Print the summary as one JSON document");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }

    namespace fs = std::filesystem;
    fs::path base = fs::is_directory("/dev/shm") ? "/dev/shm" : fs::temp_directory_path();
    auto dir = base / ("noi-sim-" + std::to_string(::getpid()));
    const bool tty = !json && ::isatty(2);
    auto started = std::chrono::steady_clock::now();
    noi::sim::sim_summary total;
    std::uint64_t failed = 0;
    for (std::uint64_t s = seed; s < seed + seeds; ++s) {
        noi::sim::sim_options opt;
        opt.seed = s;
        opt.steps = steps;
        opt.tablets_per_commune = per_commune;
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
        if (!r.problems.empty()) {
            ++failed;
            std::cerr << "seed " << s << " FAILED (replay: noi-sim --seed " << s << " --seeds 1)\n";
            for (const auto& p : r.problems) std::cerr << "  " << p << "\n";
        }
        if (tty) std::fprintf(stderr, "\rseed %llu/%llu  failed %llu", static_cast<unsigned long long>(s - seed + 1),
                              static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(failed));
    }
    fs::remove_all(dir);
    if (tty) std::fprintf(stderr, "\n");
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (json) {
        std::printf("{\"converged\": %s, \"seeds\": %llu, \"failed\": %llu, \"tablets\": %d, \"rows\": %llu, "
                    "\"conflicts\": %llu, \"quarantined\": %llu, \"rounds\": %llu, \"cuts\": %llu, "
                    "\"crashes\": %llu, \"bytes\": %llu, \"seconds\": %.2f}\n",
                    failed ? "false" : "true", static_cast<unsigned long long>(seeds),
                    static_cast<unsigned long long>(failed), total.tablets,
                    static_cast<unsigned long long>(total.writes), static_cast<unsigned long long>(total.conflicts),
                    static_cast<unsigned long long>(total.quarantined), static_cast<unsigned long long>(total.rounds),
                    static_cast<unsigned long long>(total.cuts),
                    static_cast<unsigned long long>(total.tablet_crashes + total.server_crashes),
                    static_cast<unsigned long long>(total.bytes), secs);
    } else {
        std::printf("Nối sync-core simulation: %llu seeds from %llu, %.1f s\n", static_cast<unsigned long long>(seeds),
                    static_cast<unsigned long long>(seed), secs);
        std::printf("  tablet runs        %d (2 communes + the province office per seed)\n", total.tablets);
        std::printf("  writes             %llu\n", static_cast<unsigned long long>(total.writes));
        std::printf("  sync rounds        %llu (%llu finished, %llu cut)\n", static_cast<unsigned long long>(total.rounds),
                    static_cast<unsigned long long>(total.completed_rounds), static_cast<unsigned long long>(total.cuts));
        std::printf("  replayed rounds    %llu\n", static_cast<unsigned long long>(total.replays));
        std::printf("  crashes            %llu tablet, %llu server\n", static_cast<unsigned long long>(total.tablet_crashes),
                    static_cast<unsigned long long>(total.server_crashes));
        std::printf("  conflicts recorded %llu\n", static_cast<unsigned long long>(total.conflicts));
        std::printf("  rows quarantined   %llu\n", static_cast<unsigned long long>(total.quarantined));
        std::printf("  bytes on the wire  %llu\n", static_cast<unsigned long long>(total.bytes));
        std::printf("  result             %s\n", failed ? "DIVERGED (see above)" : "every replica converged; nothing lost; no row outside its scope");
    }
    return failed ? 1 : 0;
}
