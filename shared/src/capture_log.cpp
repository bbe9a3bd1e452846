#include "capture_log.hpp"

#include "cell_digest.hpp"
#include "table_io.hpp"

#include <noi/sync/replica.hpp>
#include <noi/sync/row_state.hpp>

#include <tuple>
#include <vector>

namespace noi {

// Append-only with an integer key (DESIGN.md §3); folding empties it.
std::string capture_log_schema(const std::string& table) {
    return "CREATE TABLE " + table +
           " (seq INTEGER PRIMARY KEY, tbl TEXT, id TEXT, op INTEGER, cols INTEGER, hlc INTEGER, "
           "old BLOB)";
}

// One transaction: a crash leaves the replica as it was, and the next open upgrades it again.
void replica::upgrade_capture() {
    transaction tx(*db_);
    // Renaming first points the old triggers at the old log until they are replaced below.
    db_->exec("ALTER TABLE noi_capture RENAME TO noi_capture_format1");
    db_->exec(capture_log_schema("noi_capture"));
    db_->exec("INSERT INTO noi_capture(seq, tbl, id, op, cols, hlc, old) "
              "SELECT seq, tbl, id, op, cols, hlc, old FROM noi_capture_format1");
    db_->exec("DROP TABLE noi_capture_format1");
    for (const auto& t : schema_.tables)
        install_triggers(t);
    // Every change up to now is in the log with its mask, so the rows' values as they stand
    // are what the next update will be compared with.
    std::vector<std::tuple<const table_def*, std::string, row_state>> rows;
    {
        auto all = db_->prepare("SELECT tbl, id, state FROM noi_rows");
        while (all.step())
            if (const auto* def = schema_.find(all.column_text(0)))
                rows.emplace_back(def, all.column_text(1),
                                  unpack_row_state(all.column_blob(2), def->columns.size()));
    }
    row_state_store store(*db_);
    for (auto& [def, id, st] : rows) {
        auto values = io(*def).read(id).value_or(st.tomb);
        values.resize(def->columns.size());
        st.digests = cell_digests(values);
        store.save(def->name, id, st);
    }
    set_meta_int("capture_format", capture_format);
    tx.commit();
}

} // namespace noi
