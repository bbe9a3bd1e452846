#include "migrations.hpp"

#include <noi/sync/error.hpp>

#include <string>

namespace noi {
namespace {

std::int64_t stored_format(database& db) {
    auto& st = db.cached("SELECT value FROM noi_meta WHERE key = 'format'");
    const std::int64_t format = st.step() ? st.column_int(0) : 1;
    st.reset();
    return format;
}

} // namespace

bool migrate(database& db, const std::vector<migration>& steps) {
    const auto latest = steps.empty() ? std::int64_t{1} : steps.back().version;
    const auto at = stored_format(db);
    if (at > latest)
        throw sync_error(errc::schema, "this database is of format " + std::to_string(at) +
                                           ", made by a newer release of Nối (this one reads up "
                                           "to " +
                                           std::to_string(latest) +
                                           "); open it with that release or a later one");
    if (at == latest) return false;
    transaction tx(db);
    for (const auto& step : steps)
        if (step.version > at) step.apply(db);
    auto& set = db.cached("INSERT OR REPLACE INTO noi_meta(key, value) VALUES ('format', ?1)");
    set.bind(1, latest);
    set.run();
    tx.commit();
    return true;
}

bool has_column(database& db, std::string_view table, std::string_view column) {
    auto st = db.prepare("SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2");
    st.bind(1, table).bind(2, column);
    return st.step() && st.column_int(0) > 0;
}

void add_column_if_missing(database& db, std::string_view table, std::string_view column,
                           std::string_view declaration) {
    if (has_column(db, table, column)) return;
    db.exec("ALTER TABLE " + std::string(table) + " ADD COLUMN " + std::string(column) + " " +
            std::string(declaration));
}

} // namespace noi
