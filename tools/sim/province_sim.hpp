// The province's main job on one machine (issue "noi-sim"): a real server, a tablet for each
// commune (two officers in some), and the province office, syncing over real WebSockets
// through a proxy that cuts and delays; offline days, wrong clocks, concurrent edits, an admin
// resolving conflicts; Bắc Kạn taken across the 2025 reform mid-run while every tablet holds
// offline writes; then every tablet's data is checked against the server's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace noi::sim {

struct province_options {
    std::uint64_t seed = 1;
    int tablets = 0;      // commune tablets (0: one per commune of kind xa, 95)
    int days = 4;         // days of offline work
    double loss = 0.3;    // share of connections cut in the middle
    double offline = 0.3; // chance a tablet stays offline on a day
    int threads = 4;      // tablets syncing at once
    std::string data_dir; // server data and tablet files; made if missing
    std::function<void(const std::string&)> progress;
};

struct province_summary {
    bool converged = false;
    int tablets = 0;
    std::uint64_t rows = 0, cells_pushed = 0, cells_pulled = 0, conflicts = 0, resolved = 0,
                  quarantined = 0, bytes = 0, rounds = 0, failed_rounds = 0, cuts = 0;
    int schema_version = 1;            // the server's at the end (2 once published mid-run)
    int apps_upgraded = 0;             // tablets whose officer installed the app of version 2
    std::uint64_t new_schema_rows = 0; // border-patrol rows written in the new forms
    double seconds = 0;
    std::string report_json;       // the criterion-19 report of 2022, on the map of that year
    std::string report_after_json; // of 2026, on the map after the reform
    // The reform applied mid-run (noi-admin scope reorganise): Bắc Kạn's units before and the
    // new units after, the devices it moved, and the assessments of 2026 written under a new
    // unit (the others under an old code, by tablets that had not synced since).
    int units_before = 0, units_after = 0, devices_moved = 0;
    std::uint64_t assessments_under_new_unit = 0;
    std::string admin_token;          // for noi-admin on the kept data
    std::uint64_t records_digest = 0; // of every write attempted: the same seed gives the same
    std::vector<std::string> problems;
};

province_summary run_province(const province_options& opt);

} // namespace noi::sim
