#include "database_copy.hpp"

#include <noi/sync/database.hpp>

#include <sqlite3.h>

namespace noi::server {

void copy_database(const std::string& from, const std::string& to) {
    database src(from, false);
    database dst(to);
    auto* b = sqlite3_backup_init(dst.handle(), "main", src.handle(), "main");
    if (!b) throw_sqlite(dst.handle(), "cannot start the copy");
    int rc;
    while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY ||
           rc == SQLITE_LOCKED)
        sqlite3_sleep(5);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) throw_sqlite(dst.handle(), "the copy failed");
}

} // namespace noi::server
