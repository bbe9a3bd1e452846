// The sync protocol's messages (docs/protocol.md is their reference, tests pin their bytes).
// Message type numbers and error codes are fixed forever: a retired number is never reused.
#pragma once

#include <noi/protocol/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace noi::proto {

inline constexpr std::uint32_t protocol_version = 1;
inline constexpr std::uint32_t oldest_supported_version = 1;

// The wire numbers (docs/protocol.md, Framing). Each message struct names its own, so a
// retired number leaves a hole instead of renumbering the messages after it.
enum class msg_type : std::uint8_t {
    hello = 1,
    welcome = 2,
    push = 3,
    push_ack = 4,
    pull = 5,
    changes = 6,
    notify = 7,
    error = 8,
};

// One changed cell of a row: its column, value, version and (on a push) its base.
struct cell_change {
    std::string column;
    value val;
    version ver;
    std::optional<version> base; // what the writer held; absent on a pull or for a new cell
    friend bool operator==(const cell_change&, const cell_change&) = default;
};

// The row-existence cell: alive or deleted, with its version and base.
struct existence_change {
    bool alive = true;
    version ver;
    std::optional<version> base;
    friend bool operator==(const existence_change&, const existence_change&) = default;
};

// One row of a PUSH or CHANGES message.
struct row_change {
    std::string table;
    std::string id;
    value scope;           // the scope column's value; null for a global table
    std::uint64_t seq = 0; // PUSH: the writer's local sequence; CHANGES: the server sequence
    std::optional<existence_change> exists;
    std::vector<version> seen; // a delete's base: the versions of the row's cells it held
    std::optional<version> existence_base; // an update's view of the row's existence cell
    std::vector<cell_change> cells;
    friend bool operator==(const row_change&, const row_change&) = default;
};

// Why a pushed row was rejected. Numbers are fixed.
enum class reject_reason : std::uint16_t {
    unknown_table = 1,
    unknown_column = 2,
    out_of_scope = 3,
    global_table = 4,
    scope_changed = 5,
    wrong_type = 6,
    missing_scope = 7,
    foreign_version = 8, // a version names another replica's site
    unknown_row = 9,     // an update of a row the server does not hold
    too_large = 10,      // the row would grow past what a replica can receive (row_size.hpp)
};
inline constexpr reject_reason last_reject_reason = reject_reason::too_large;

const char* to_string(reject_reason r);

struct rejection {
    std::uint64_t quarantine_id = 0;
    std::string table;
    std::string id;
    std::uint64_t seq = 0; // the local sequence of the rejected row change
    reject_reason reason = reject_reason::unknown_table;
    std::string message;
    friend bool operator==(const rejection&, const rejection&) = default;
};

// What the tablet's officer did with a rejected row (HELLO's `answered`). Numbers are fixed; a
// server ignores one it does not know.
enum class rejection_answer : std::uint8_t {
    dropped = 1, // let go: the row is not entered again
    resent = 2,  // corrected and written again, as a new change the tablet pushes
};

struct answered_rejection {
    std::uint64_t quarantine_id = 0;
    rejection_answer answer = rejection_answer::dropped;
    friend bool operator==(const answered_rejection&, const answered_rejection&) = default;
};

// The most rejected rows a HELLO lists, newest first: the newest are those an admin is working
// through, and ids from before a restore onto a new disk can never be settled anyway.
inline constexpr std::size_t max_rejected_listed = 1000;

struct hello {
    static constexpr msg_type type = msg_type::hello;
    std::uint32_t version = protocol_version;
    site_id site{};
    std::uint32_t schema_version = 0;
    std::string app_version;
    std::uint64_t clock_ms = 0;
    std::uint64_t pending = 0;
    std::optional<std::uint64_t> oldest_pending_ms;
    std::uint64_t confirmed_rejection = 0; // highest quarantine id the tablet has recorded
    // Quarantine ids of the rejected rows the tablet still keeps (at most max_rejected_listed,
    // newest first), so the server can say which an admin has settled.
    std::vector<std::uint64_t> rejected;
    // The scope the tablet holds (the last WELCOME's it acted on); empty from a tablet that
    // holds none yet, or from a release before scopes could change (docs/protocol.md).
    std::string scope;
    // The WELCOME's `scope_version` that gave it that scope: a HELLO replayed from before a
    // move names an older one, and is not taken as the tablet holding the scope alone.
    std::uint64_t scope_version = 0;
    // Rejected rows of `rejected` that the officer dropped or resent (at most
    // max_rejected_listed): the server closes each, on the record, and settles it.
    std::vector<answered_rejection> answered;
    // The WELCOME's `conflict_head` the tablet last recorded (0 before the first): conflicts
    // above it are new to it. None from a release before conflict notices, which is sent none.
    std::optional<std::uint64_t> confirmed_conflict;
    // Conflicts the tablet holds as still under review (at most max_rejected_listed, newest
    // first), so the server can say which an admin has decided.
    std::vector<std::uint64_t> conflicts_open;
    friend bool operator==(const hello&, const hello&) = default;
};

// A synced table as the server's application schema describes it (WELCOME's `schema`).
struct column_spec {
    std::string name;
    std::string type; // TEXT, INTEGER, REAL, BLOB or ANY
    friend bool operator==(const column_spec&, const column_spec&) = default;
};

struct table_spec {
    std::string name;
    std::string scope;                // the scope column (commune_code); empty for a global table
    std::vector<column_spec> columns; // every column but `id`, in table order
    friend bool operator==(const table_spec&, const table_spec&) = default;
};

// What a person reads for a table, a column or one value of a column (an enumeration), in
// Vietnamese and English (schema_offer's `labels`). A value is named by its text as the column
// holds it: an INTEGER column's 1 is "1".
struct schema_label {
    std::string table;
    std::optional<std::string> column = std::nullopt; // none: the table's own label
    std::optional<std::string> value = std::nullopt;  // a value of the column; none: the column's
    std::string vi = {}, en = {};
    std::string description_vi = {}, description_en = {}; // empty: none
    friend bool operator==(const schema_label&, const schema_label&) = default;
};

// The server's whole schema, sent to a tablet whose HELLO named an older version.
struct schema_offer {
    // The server sequence from which rows of the tables and columns the tablet lacks can appear:
    // a tablet that adopts the schema pulls again from here if its cursor is beyond.
    std::uint64_t since = 0;
    std::vector<table_spec> tables;
    // Every label of the schema (appended: absent from a server before labels, which means none
    // but the library's own for the default tables).
    std::vector<schema_label> labels = {};
    friend bool operator==(const schema_offer&, const schema_offer&) = default;
};

// A conflict one of the device's writes is part of (WELCOME's `conflicts`): its value went to
// the province for review, or an admin decided it.
struct conflict_notice {
    std::uint64_t conflict_id = 0;
    std::string table, id;
    std::optional<std::string> column = std::nullopt; // none: the row's existence
    bool decided = false;
    // What the server holds for the cell now; for the row, 1 while it stands, null once deleted.
    value kept = {};
    friend bool operator==(const conflict_notice&, const conflict_notice&) = default;
};

struct welcome {
    static constexpr msg_type type = msg_type::welcome;
    std::uint32_t version = protocol_version;
    std::uint64_t clock_ms = 0;
    std::string scope; // a commune code, or "*" for province-wide
    site_id epoch{};
    std::uint64_t acked_seq = 0;       // the highest local sequence the server holds from this site
    std::vector<rejection> rejections; // not yet confirmed by the tablet
    std::vector<std::uint64_t> settled; // of HELLO's `rejected`: discarded or released since
    std::uint32_t schema_version = 0;   // the server's; 0 from a server before schema versions
    std::optional<schema_offer> schema; // when HELLO's schema_version is older than the server's
    // The units whose rows the device reads: `scope` first, then each unit merged into it
    // (docs/design.md §11); empty for "*" and from servers before the map could change.
    std::vector<std::string> units;
    // Counts the device's moves and merges: the tablet echoes it in HELLO with its scope.
    std::uint64_t scope_version = 0;
    // The device's conflicts recorded above HELLO's `confirmed_conflict` (at most
    // max_rejected_listed, oldest first), and those of HELLO's `conflicts_open` decided since.
    std::vector<conflict_notice> conflicts;
    // The newest conflict the server looked at for this list: the tablet's next
    // `confirmed_conflict`. 0 from a server before conflict notices.
    std::uint64_t conflict_head = 0;
    friend bool operator==(const welcome&, const welcome&) = default;
};

// Rows whose local sequences lie in (from_seq, to_seq]; applied only when from_seq does not
// leave a gap after what the server holds.
struct push {
    static constexpr msg_type type = msg_type::push;
    std::uint64_t from_seq = 0;
    std::uint64_t to_seq = 0;
    std::vector<row_change> rows;
    friend bool operator==(const push&, const push&) = default;
};

struct push_ack {
    static constexpr msg_type type = msg_type::push_ack;
    std::uint64_t acked_seq = 0;
    std::vector<rejection> rejections;
    friend bool operator==(const push_ack&, const push_ack&) = default;
};

struct pull {
    static constexpr msg_type type = msg_type::pull;
    std::uint64_t cursor = 0;
    std::uint32_t max_rows = 0;
    // Also the cells this site wrote itself. A tablet holds its own writes, so it asks for them
    // only after a restore from a backup; a PULL without the field (older tablets) gets them.
    bool own = true;
    friend bool operator==(const pull&, const pull&) = default;
};

struct changes {
    static constexpr msg_type type = msg_type::changes;
    std::vector<row_change> rows;
    std::uint64_t cursor = 0;
    bool more = false;
    friend bool operator==(const changes&, const changes&) = default;
};

struct notify {
    static constexpr msg_type type = msg_type::notify;
    std::uint64_t server_seq = 0;
    friend bool operator==(const notify&, const notify&) = default;
};

// Whether the peer should retry. Numbers are fixed.
enum class condition : std::uint8_t { transient = 1, permanent = 2, protocol = 3 };

enum class error_code : std::uint16_t {
    unsupported_version = 1,
    malformed = 2,
    unexpected_message = 3,
    sequence_gap = 4,
    clock_ahead = 5,
    site_bound_elsewhere = 6,
    site_busy = 7,
    internal = 8,
    too_large = 9,
    unknown_device = 10,
    quota_exceeded = 11, // the device's rejected rows on the server are at their limit
    bad_cursor = 12,     // a PULL's cursor beyond the server's newest sequence
    schema_ahead = 13,   // the tablet's schema is newer than the server's
};

struct error {
    static constexpr msg_type type = msg_type::error;
    error_code code = error_code::internal;
    condition cond = condition::permanent;
    std::string message;
    std::vector<std::uint32_t> supported_versions;
    friend bool operator==(const error&, const error&) = default;
};

using message = std::variant<hello, welcome, push, push_ack, pull, changes, notify, error>;

msg_type type_of(const message& m);

} // namespace noi::proto
