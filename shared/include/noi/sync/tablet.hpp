// The client role of a replica (docs/design.md §3–6): folding the capture log into per-cell
// versions, building PUSH batches of what is pending, applying pulled changes without ever
// overwriting a pending cell, recording rejections, and following the server's epoch.
// Every method that writes runs in one BEGIN IMMEDIATE transaction with the cursors it moves.
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/replica.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema_labels.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace noi {

struct migration;
struct tablet_checkpoint;

struct tablet_status {
    std::uint64_t pending = 0;  // captured row changes not yet acknowledged
    std::uint64_t rejected = 0; // rows the server rejected, kept in noi_rejected
    std::optional<std::int64_t> last_sync_at_ms;
    std::uint64_t server_seq = 0; // the pull cursor
    std::optional<std::int64_t> oldest_pending_ms;
    std::string scope;
};

struct rejected_row {
    std::uint64_t quarantine_id = 0;
    std::string table, row_id, reason, message;
    std::vector<value> values; // the rejected version, as the tablet held it
    std::int64_t recorded_at_ms = 0;
    // What the officer did with it ("dropped", "resent"), kept until the server has heard it;
    // none while it waits for an answer.
    std::optional<std::string> answer = std::nullopt;
};

// A conflict one of the tablet's writes is part of, as the server told it (WELCOME).
struct conflict_row {
    std::uint64_t conflict_id = 0;
    std::string table, row_id;
    std::optional<std::string> column = std::nullopt; // none: the row's existence
    bool decided = false; // an admin decided it; else it waits for review
    value kept = {}; // the server's value when last told; for the row, 1 standing, null deleted
    std::int64_t noticed_at_ms = 0;
    std::optional<std::int64_t> decided_at_ms = std::nullopt;
};

class tablet {
public:
    // Creates a tablet replica with the default schema (empty tables).
    static std::unique_ptr<tablet> create(const std::string& path, const wall_clock& wall,
                                          replica_options opt = {});
    static std::unique_ptr<tablet> open(const std::string& path, const wall_clock& wall,
                                        replica_options opt = {});
    explicit tablet(std::unique_ptr<replica> r) : rep_(std::move(r)) {}

    replica& rep() { return *rep_; }
    // Runs app SQL on the replica's connection; writes to synced tables are captured.
    void exec(const std::string& sql) { rep_->db().exec(sql); }

    // Folds the capture log and builds the round's HELLO.
    proto::hello begin_round(const std::string& app_version);
    void on_welcome(const proto::welcome& w);
    // The next batch of pending rows after local sequence `from`, or none when all is sent.
    // Folds the capture log first: writes made since the round began go in this round.
    std::optional<proto::push> next_push(std::uint64_t from, std::size_t max_rows);
    void on_push_ack(const proto::push_ack& a);
    // Once everything it wrote is acknowledged, a tablet moved to another commune lets the old
    // commune's rows go and pulls its new commune's from the start, and rows moved to another
    // unit leave it (docs/design.md §11). Called before the round's first PULL; does nothing
    // when there is nothing to let go.
    void finish_move();
    void apply_changes(const proto::changes& c);
    void finish_round();
    // The province office revoked this tablet and ordered its synced data deleted (a lost or
    // stolen tablet: noi-admin device revoke --wipe): every synced table's rows and all the
    // sync kept about them go, their pages overwritten. The replica stays, marked wiped, and
    // never syncs again.
    void wipe();
    // Truncates the WAL, where a wipe's deleted rows stay until a checkpoint; false while
    // another connection's read holds it back.
    bool empty_wal();
    // When wipe() ran; nullopt when it never did.
    std::optional<std::int64_t> wiped_at_ms();
    // Whether the server has recorded the wipe (the tablet's report reached it).
    bool wipe_reported();
    void set_wipe_reported();
    // The server refused our clock (docs/design.md §5): lower the floor to what others sent us and
    // re-stamp the cells it never accepted.
    void on_clock_refused();

    std::uint64_t cursor();
    // Whether this round's pulls must bring the tablet's own writes too: only after a restore
    // from a backup, which may have lost some the server holds, until a round finishes.
    bool pulls_own();
    tablet_status status();
    // A number that changes whenever another connection (the app) commits to the replica: a
    // replicator waiting for local writes polls it, without reading any table.
    std::int64_t others_commits();
    std::vector<rejected_row> rejected();
    // The conflicts the tablet was told of, those waiting for review first; one decided is kept
    // for 30 days after the tablet heard of the decision.
    std::vector<conflict_row> conflicts();
    // The officer lets a rejected row go: it is not entered again, and the next HELLO tells the
    // server, which closes its quarantine entry on the record. Throws sync_error(refused) for
    // an id the tablet does not keep or one already answered.
    void drop_rejected(std::uint64_t quarantine_id);
    // The officer corrects a rejected row and writes it again: its values as the tablet kept
    // them, with `corrections` (column, value) over them, go into its table as a local change
    // (pushed like any other, refused again if still wrong), and the next HELLO tells the server,
    // which closes the old entry on the record. Throws sync_error(refused) as drop_rejected does,
    // for a table or column the replica does not hold, and when the triggers refuse the row
    // (another commune's, say): nothing is written then.
    void resend_rejected(std::uint64_t quarantine_id,
                         const std::vector<std::pair<std::string, value>>& corrections);
    // The application schema version the replica holds (0: its tables were registered by the
    // app, not published by a server).
    std::uint32_t schema_version();
    // What the officer reads for each table, column and enumeration value, in Vietnamese and
    // English: the library's labels of the default tables, under those of the schema the
    // server published last (schema_labels.hpp). Read again after the schema listener fires.
    schema_labels labels();
    // Called after a WELCOME's schema was adopted and committed, with the versions before and
    // after: the app shows the new forms.
    using schema_listener = std::function<void(std::uint32_t from, std::uint32_t to)>;
    void set_schema_listener(schema_listener l) { schema_listener_ = std::move(l); }
    // Called after each pulled batch is committed, with the rows it changed in the replica's
    // tables (written or removed), and after rows left for a unit the tablet no longer reads
    // (a device moved), by table: the app refreshes the screens that show them.
    using row_changes = std::map<std::string, std::vector<std::string>>; // ids by table
    using changes_listener = std::function<void(const row_changes& by_table)>;
    void set_changes_listener(changes_listener l) { changes_listener_ = std::move(l); }
    // Told once wipe() has deleted the synced data.
    using wipe_listener = std::function<void(std::int64_t wiped_at_ms)>;
    void set_wipe_listener(wipe_listener l) { wipe_listener_ = std::move(l); }

private:
    // How far ahead of a sane server's clock a version may be: further, and it came from a
    // server a hostile device had poisoned before stamps were bounded.
    static constexpr std::int64_t trusted_ahead_ms = 24LL * 3600 * 1000;

    // The tablet's format history (migrations.hpp).
    std::vector<migration> migrations();
    // Brings a tablet from before capture format 2 to it (docs/capture.md).
    void upgrade_capture();
    // Fold and the steps below work on the caller's checkpoint, which it writes back.
    void fold(tablet_checkpoint& cp);
    // The rejected row leaves its table: noted in `changed`, for the app's screens.
    void record_rejection(tablet_checkpoint& cp, const proto::rejection& r, row_changes& changed);
    // What the HELLO says of the conflicts the tablet holds, and what a WELCOME told of them.
    void conflicts_held(proto::hello& h);
    void record_conflicts(const proto::welcome& w);
    // The officer's answers still to tell the server (HELLO's `answered`).
    std::vector<proto::answered_rejection> answers();
    // A kept rejected row not yet answered, or a refusal saying why not.
    rejected_row unanswered(std::uint64_t quarantine_id);
    void set_answer(std::uint64_t quarantine_id, proto::rejection_answer a);
    // Lowers the clock's floor to the greatest HLC received or accepted, at most `ceiling`, and
    // re-stamps the cells the server has not accepted (inside the caller's transaction).
    void restamp_unacked(const tablet_checkpoint& cp, std::uint64_t ceiling);
    // After a poisoned server's repair (noi-server repair-clock): forgets every accepted
    // version beyond `limit`, so the server's re-stamped ones apply, pulls all again and
    // re-stamps what is still to push. Changes nothing when no accepted version is beyond.
    void forget_stamps_beyond(tablet_checkpoint& cp, std::uint64_t limit);
    void mark_all_pending(tablet_checkpoint& cp);
    // Takes a WELCOME's scope: after a merge it pulls again from the start, for the rows of the
    // units merged with its own; after a move it keeps the old commune's rows until
    // finish_move.
    void adopt_scope(tablet_checkpoint& cp, const proto::welcome& w);
    // Pulls from the start for rows of `units` it lacks; its own pushes too when it let some of
    // those units' rows go in an earlier move.
    void pull_again(tablet_checkpoint& cp, const std::vector<std::string>& units);
    // Whether rows of `unit` are those of a tablet of `units` (any, while it knows no scope).
    static bool reads(const std::vector<std::string>& units, const std::string& unit);
    // Remembers that it let go of rows of `unit` (a move, a record moved away), whose own
    // pushes its pulls would otherwise leave out if it comes to read the unit again.
    void let_go_of(const std::string& unit);
    void prune_pending(std::uint64_t acked);

    std::unique_ptr<replica> rep_;
    schema_listener schema_listener_;
    changes_listener changes_listener_;
    wipe_listener wipe_listener_;
    // Rows are noted only for a listener: a pull with none pays nothing for it.
    void note_change(row_changes& c, const std::string& table, const std::string& id) const {
        if (changes_listener_) c[table].push_back(id);
    }
};

} // namespace noi
