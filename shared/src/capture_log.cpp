#include "capture_log.hpp"

#include <noi/sync/replica.hpp>

namespace noi {

// Append-only with an integer key (docs/design.md §3); folding empties it.
std::string capture_log_schema(const std::string& table) {
    return "CREATE TABLE " + table +
           " (seq INTEGER PRIMARY KEY, tbl TEXT, id TEXT, op INTEGER, cols INTEGER, hlc INTEGER, "
           "old BLOB)";
}

void replica::upgrade_capture_log() {
    // Renaming first points the old triggers at the old log until they are replaced below.
    db_->exec("ALTER TABLE noi_capture RENAME TO noi_capture_format1");
    db_->exec(capture_log_schema("noi_capture"));
    db_->exec("INSERT INTO noi_capture(seq, tbl, id, op, cols, hlc, old) "
              "SELECT seq, tbl, id, op, cols, hlc, old FROM noi_capture_format1");
    db_->exec("DROP TABLE noi_capture_format1");
    reinstall_triggers();
}

} // namespace noi
