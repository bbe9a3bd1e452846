#include "sqlite_schema_log.hpp"

namespace noi {

void sqlite_schema_log::record(const schema_version_record& rec) {
    auto& st = db_.cached("INSERT INTO noi_schema_history(version, applied_at, applied_by, "
                          "feed_head, changes, labels) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    st.bind(1, static_cast<std::int64_t>(rec.version))
        .bind(2, rec.applied_at_ms)
        .bind(3, rec.applied_by)
        .bind(4, static_cast<std::int64_t>(rec.feed_head))
        .bind(5, rec.changes);
    if (rec.labels.empty())
        st.bind_null(6);
    else
        st.bind(6, rec.labels);
    st.run();
}

std::vector<schema_version_record> sqlite_schema_log::all() {
    std::vector<schema_version_record> out;
    auto st = db_.prepare("SELECT version, applied_at, applied_by, feed_head, changes, "
                          "coalesce(labels, '') FROM noi_schema_history ORDER BY version");
    while (st.step())
        out.push_back({static_cast<std::uint32_t>(st.column_int(0)), st.column_int(1),
                       st.column_text(2), static_cast<std::uint64_t>(st.column_int(3)),
                       st.column_text(4), st.column_text(5)});
    return out;
}

std::optional<std::uint64_t> sqlite_schema_log::head_after(std::uint32_t version) {
    auto& st = db_.cached(
        "SELECT feed_head FROM noi_schema_history WHERE version > ?1 ORDER BY version LIMIT 1");
    st.bind(1, static_cast<std::int64_t>(version));
    std::optional<std::uint64_t> head;
    if (st.step()) head = static_cast<std::uint64_t>(st.column_int(0));
    st.reset();
    return head;
}

} // namespace noi
