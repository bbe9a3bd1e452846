// The server's published schema versions (noi-admin schema apply) and what tablets behind
// them are told.
#include <noi/sync/error.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/sqlite_store.hpp>

namespace noi {
namespace {

// What `next` adds to `current`, in words, for the history.
std::string additions(const schema& current, const schema& next) {
    std::string out;
    auto add = [&](const std::string& what) { out += (out.empty() ? "" : "; ") + what; };
    for (const auto& t : next.tables) {
        const auto* held = current.find(t.name);
        if (!held) {
            add("table " + t.name + (t.scope ? "" : " (global)"));
            continue;
        }
        for (const auto& c : t.columns)
            if (!held->column_index(c.name))
                add("column " + t.name + "." + c.name + " " + type_name(c.type));
    }
    return out.empty() ? "nothing" : out;
}

} // namespace

schema_version_record sqlite_store::apply_schema(const schema& next, const std::string& by) {
    schema_adoption adopting(*rep_);
    // Checked against the schema of this transaction: another process may have published one.
    transaction tx(rep_->db());
    const auto& current = rep_->tables();
    if (next.version != current.version + 1)
        throw sync_error(errc::schema, "the schema is at version " +
                                           std::to_string(current.version) +
                                           "; the new one must "
                                           "be version " +
                                           std::to_string(current.version + 1) + ", not " +
                                           std::to_string(next.version));
    check_additive(current, next);
    schema_version_record rec{next.version, now_ms(), by, committed_head(),
                              additions(current, next)};
    rep_->adopt_schema(next);
    auto& st = rep_->db().cached("INSERT INTO noi_schema_history(version, applied_at, applied_by, "
                                 "feed_head, changes) VALUES (?1, ?2, ?3, ?4, ?5)");
    st.bind(1, static_cast<std::int64_t>(rec.version))
        .bind(2, rec.applied_at_ms)
        .bind(3, rec.applied_by)
        .bind(4, static_cast<std::int64_t>(rec.feed_head))
        .bind(5, rec.changes);
    st.run();
    tx.commit();
    adopting.committed();
    return rec;
}

std::vector<schema_version_record> sqlite_store::schema_history() {
    std::vector<schema_version_record> out;
    auto st = rep_->db().prepare("SELECT version, applied_at, applied_by, feed_head, changes FROM "
                                 "noi_schema_history ORDER BY version");
    while (st.step())
        out.push_back({static_cast<std::uint32_t>(st.column_int(0)), st.column_int(1),
                       st.column_text(2), static_cast<std::uint64_t>(st.column_int(3)),
                       st.column_text(4)});
    return out;
}

std::uint64_t sqlite_store::schema_since(std::uint32_t version) {
    // The first version's tables have rows from the start of the feed.
    if (version < default_schema_version) return 0;
    auto& st = rep_->db().cached(
        "SELECT feed_head FROM noi_schema_history WHERE version > ?1 ORDER BY version LIMIT 1");
    st.bind(1, static_cast<std::int64_t>(version));
    std::uint64_t since = 0;
    if (st.step()) since = static_cast<std::uint64_t>(st.column_int(0));
    st.reset();
    return since;
}

} // namespace noi
