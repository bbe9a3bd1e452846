// The deterministic simulation of docs/design.md §7: one server replica and several tablets in one
// process, a simulated network that cuts, replays and delays, crashes of any replica at fault
// points inside its transactions, and wrong clocks, all driven by one seed. After the faults
// stop and every tablet has run full rounds, check() tests the three properties of §7.
#pragma once

#include <noi/sync/sqlite_store.hpp>
#include <noi/sync/tablet.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace noi::sim {

struct sim_options {
    std::uint64_t seed = 1;
    int steps = 160;
    int tablets_per_commune = 3; // in each of two communes; plus one province-wide tablet
    double cut_rate = 0.08;      // per message crossing the link
    double crash_rate = 0.01;    // per fault point reached
    std::string dir;             // where the database files go (tmpfs keeps it fast)
    // A hostile tablet of the first commune beside the honest ones: forged sites and stamps,
    // far-future and past clocks, floods, oversized rows, other communes' rows and cursors.
    bool hostile = true;
    // The server publishes schema version 2 (militia_member.phone, the table border_patrol) at
    // a random step; tablets' apps upgrade to write them at random moments after, some never.
    bool schema_change = true;
    // The map changes while tablets are offline with pending writes (docs/design.md §11): once
    // a commune merges into a new unit, and devices and records move between communes.
    bool map_changes = true;
    // A second server instance on the same database, as a second noi-server process serving
    // the directory (serve --shared): each round goes through one of the two, chosen by seed.
    bool two_servers = true;
    // One tablet of a commune is lost near the end, seed willing: revoked with a wipe, it deletes
    // its synced data at its next contact (noi-admin device revoke --wipe).
    bool wipe = true;
};

struct sim_summary {
    int tablets = 0;
    std::uint64_t writes = 0, rounds = 0, completed_rounds = 0, cuts = 0, tablet_crashes = 0,
                  server_crashes = 0, replays = 0, conflicts = 0, quarantined = 0, bytes = 0,
                  hostile_rounds = 0, hostile_refused = 0;
    int schema_published_at = -1; // the step; -1: not during the run
    int apps_upgraded = 0;        // tablets whose app writes the new table and column
    std::uint64_t new_schema_writes = 0;
    // The province office's changes of a commune (noi-admin reference set): server writes every
    // tablet must take, since none may write reference data itself.
    std::uint64_t reference_edits = 0;
    std::uint64_t map_changes = 0, device_moves = 0, row_moves = 0;
    int wiped = 0; // tablets revoked with a wipe, their synced data deleted
    // Rejected rows officers dropped or corrected and sent again; conflicts an admin decided;
    // conflict notices the tablets were found to hold at the end, as the checks expect.
    std::uint64_t answers = 0, decisions = 0, notices = 0;
    std::vector<std::string> problems; // empty: converged, nothing lost, nothing out of scope
};

sim_summary run(const sim_options& opt);

} // namespace noi::sim
