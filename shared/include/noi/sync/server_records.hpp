// What the server's store holds, in domain terms: devices, conflicts, quarantined rows, the
// audit history, and the figures behind the fleet status and /metrics. The store interface
// (server_store.hpp) reads and writes these; strings for the enums appear only at the edges
// (JSON, the admin tool), through to_string / parse.
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/merge.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace noi {

struct device {
    std::string id;
    std::string scope; // a unit's id (the commune table's), or "*" for province-wide
    std::string name;
    bool revoked = false;
    // The scopes its tablet may still hold rows of (comma-separated) when a move or a merge
    // changed `scope` and the tablet has not said it holds the new one alone; empty otherwise.
    std::string held_scope = {};
    // Counts its moves and merges (WELCOME's scope_version): a HELLO naming its scope confirms
    // it only with the current count, so a HELLO replayed from before a move confirms nothing.
    std::uint64_t scope_version = 0;
    // The units whose rows it reads: its scope and each unit that went into it whole
    // (docs/design.md §11); empty for "*". Filled by the store, never stored.
    std::vector<std::string> units = {};
    // The units whose rows it may still push: those of the scope its tablet holds until the
    // tablet has learned a move (a HELLO naming the new scope), then none beyond `units`.
    std::vector<std::string> held_units = {};
    // A lost or stolen tablet: when the province office revoked it ordering its synced data
    // deleted (noi-admin device revoke --wipe), and when its tablet said it had done so.
    std::optional<std::int64_t> wipe_ordered_at_ms = {};
    std::optional<std::int64_t> wiped_at_ms = {};
    bool reads(const std::string& unit) const;
    // The units it reads: `units`, or its scope alone for a device made without them.
    std::vector<std::string> read_units() const;
    bool writes(const std::string& unit) const;
};

// A device as the fleet status shows it: what its last HELLO said, and how it stands.
struct device_status {
    device dev;
    std::string commune_name; // of the reference data; empty for an unknown code or "*"
    std::int64_t created_at_ms = 0;
    std::optional<std::int64_t> last_contact_at_ms, last_sync_at_ms, oldest_pending_at_ms;
    std::optional<std::int64_t> pending, clock_skew_ms, schema_version, refused_at_ms;
    std::optional<std::string> app_version;
    std::uint64_t rejected_open = 0; // its quarantine entries neither discarded nor released
};

enum class conflict_status { open, resolved };
std::string_view to_string(conflict_status s);
std::string_view to_string(merge::conflict_kind k);

struct conflict_side {
    value val;
    site_id site{};
    std::string device_id; // empty for the server's own writes
    std::uint64_t hlc = 0;
    bool deleted = false;
};

struct conflict_record {
    std::uint64_t id = 0;
    std::string device_id; // whose push recorded it; empty for the server's own writes
    merge::conflict_kind kind = merge::conflict_kind::update;
    std::string table, row_id;
    std::optional<std::string> column;
    std::string scope;
    conflict_status status = conflict_status::open;
    conflict_side winner, loser;
    std::int64_t created_at_ms = 0;
    std::optional<std::string> resolved_by, resolution;
    std::optional<std::int64_t> resolved_at_ms;
};

// Which conflicts a list wants; an unset field matches every conflict. The filter, the order
// (oldest first) and the page are applied by the store, never in memory.
struct conflict_filter {
    std::optional<std::uint64_t> id = std::nullopt;
    std::optional<conflict_status> status = std::nullopt;
    std::optional<std::string> table = std::nullopt, row_id = std::nullopt;
    // Conflicts of these communes only (a viewer's); empty: every commune and global tables.
    std::vector<std::string> scopes = {};
    std::optional<std::string> scope = std::nullopt;     // one commune
    std::optional<std::string> device_id = std::nullopt; // made by this device's pushes
    // Made by this device's pushes, or with one of its writes on either side.
    std::optional<std::string> involving = std::nullopt;
    std::optional<std::uint64_t> after_id = std::nullopt; // ids above this one
    std::vector<std::uint64_t> ids = {};                  // these only; empty: any
    std::optional<std::int64_t> created_before_ms = std::nullopt;
    std::uint64_t offset = 0, limit = 0; // limit 0: all
};

enum class quarantine_state { open, discarded, released };
std::string_view to_string(quarantine_state s);
// The state to_string names; open for any other word.
quarantine_state quarantine_state_of(std::string_view s);

struct quarantine_record {
    std::uint64_t id = 0;
    std::string device_id, table, row_id;
    proto::reject_reason reason = proto::reject_reason::unknown_table;
    std::string message;
    quarantine_state status = quarantine_state::open;
    std::int64_t received_at_ms = 0;
    std::uint64_t repeats = 1; // rejections of the same row and reason it stands for
};

// A live row larger than a push may make one now (proto::max_row_bytes), stored by an earlier
// release or before its limit: `pulled` says whether a pull still carries it (alone in its
// CHANGES); one that is not is passed over by every pull until it shrinks.
struct oversized_row {
    std::string table, id;
    value scope;
    std::uint64_t bytes = 0; // what a CHANGES would spend on it with all its cells, at most
    bool pulled = false;
};

struct audit_cell {
    std::string column; // "*exists" for the row-existence cell
    value old_value, new_value;
    version ver;
    std::optional<version> base;
    friend bool operator==(const audit_cell&, const audit_cell&) = default;
};

struct audit_record {
    std::uint64_t id = 0;
    std::int64_t at_ms = 0;
    std::string device_id, table, row_id;
    site_id site{};
    std::vector<audit_cell> cells;
};

// A live row of a synced table as a report reads it.
struct stored_row {
    std::string id;
    std::map<std::string, value> values; // by column name
    std::uint64_t newest_hlc = 0;        // its newest cell's version: the edit made last
};

// What a restore carried over from the database it replaced (server_store::take_over).
struct carry_report {
    std::uint64_t devices_enrolled_since = 0, devices_revoked_since = 0;
    std::uint64_t conflicts_carried = 0, quarantine_carried = 0; // new or changed since
    std::uint64_t server_writes_carried = 0;                     // rows
};

// One published version of the application schema (noi-admin schema apply).
struct schema_version_record {
    std::uint32_t version = 0;
    std::int64_t applied_at_ms = 0;
    std::string applied_by;      // the admin account
    std::uint64_t feed_head = 0; // rows of what it added have server sequences above this
    std::string changes;         // what it added, in words: "table x; column t.c"
    std::string labels = {};     // the labels it carried (labels_text); empty: none
};

// A unit of the administrative map as the server holds it (docs/design.md §11). Its id is
// what rows' scope column holds: the unit's code, or, for a unit whose code an earlier unit
// of this server had, the code and the day it took effect (`01840@2025-07-01`), since the same
// five digits name a different territory before and after a change.
struct unit_record {
    std::string id, code, name, kind;
    std::string province_code, province;
    std::string district_code, district; // none after 1 July 2025
    std::string valid_from, valid_until; // ISO dates; empty: open
    std::uint64_t change_id = 0;         // the change that made it; 0 for the first map
    bool valid_on(std::string_view day) const {
        return (valid_from.empty() || valid_from <= day) &&
               (valid_until.empty() || day < valid_until);
    }
};

// One recorded change of the map: who applied it, when, from which day, on what legal basis.
struct map_change_record {
    std::uint64_t id = 0;
    std::string kind; // merge, reorganise
    std::string effective, basis, account;
    std::int64_t applied_at_ms = 0;
};

// An old unit that went into a new one, whole or in part, by a change.
struct lineage_edge {
    std::uint64_t change_id = 0;
    std::string old_unit, new_unit;
    bool whole = true;
};

// A change asked for: each group's `from` units (codes valid the day before `effective`)
// become one new unit with `code` (and `name`, `kind`: those of the unit with that code when
// not given) from `effective` on.
struct map_change_request {
    struct group {
        std::vector<std::string> from;
        std::string code, name, kind;
    };
    std::string kind = "merge";
    std::string effective, basis;
    std::vector<group> groups;
};

// What a change would do, before it is applied (a dry run) or as it was applied.
struct map_impact {
    struct unit_change {
        std::string id, code, name, kind;
        std::vector<std::string> from; // unit ids
    };
    struct device_change {
        std::string device_id, name, from_scope, to_scope;
        std::optional<std::int64_t> pending, last_contact_at_ms;
        std::optional<std::string> app_version;
        std::uint64_t rows_to_download = 0, bytes_to_download = 0; // about: rows it lacks
    };
    std::vector<unit_change> units;
    std::map<std::string, std::uint64_t> rows_per_table; // rows whose unit is merged
    std::vector<device_change> devices;
    std::vector<std::string> skipped; // lines of a reorganisation not applied, and why
    std::uint64_t change_id = 0;      // 0 for a dry run
};

// Rows moved to another unit (noi-admin rows move): the unit, and each row with the unit it
// left; rows already there or not live are left out.
struct rows_moved {
    std::string to_unit;
    std::vector<std::pair<std::string, std::string>> moved; // row id, the unit it left
};

// The counts behind /metrics.
struct store_counts {
    std::uint64_t conflicts = 0, conflicts_open = 0, quarantined_open = 0;
    // Unrevoked devices not heard from since the time asked about, by commune.
    std::map<std::string, std::uint64_t> silent_by_commune;
};

} // namespace noi
