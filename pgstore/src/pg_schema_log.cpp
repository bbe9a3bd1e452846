#include "pg_schema_log.hpp"

namespace noi {

void pg_schema_log::record(const schema_version_record& rec) {
    c_.run("INSERT INTO noi_schema_history(version, applied_at, applied_by, feed_head, changes, "
           "labels) VALUES ($1, $2, $3, $4, $5, $6)",
           {std::uint64_t{rec.version}, rec.applied_at_ms, rec.applied_by, rec.feed_head,
            rec.changes, rec.labels.empty() ? pg::param() : pg::param(rec.labels)});
}

std::vector<schema_version_record> pg_schema_log::all() {
    auto r = c_.run("SELECT version, applied_at, applied_by, feed_head, changes, "
                    "coalesce(labels, '') FROM noi_schema_history ORDER BY version");
    std::vector<schema_version_record> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({static_cast<std::uint32_t>(r.integer(i, 0)), r.integer(i, 1), r.bytes(i, 2),
                       static_cast<std::uint64_t>(r.integer(i, 3)), r.bytes(i, 4), r.bytes(i, 5)});
    return out;
}

std::optional<std::uint64_t> pg_schema_log::head_after(std::uint32_t version) {
    auto r = c_.run("SELECT feed_head FROM noi_schema_history WHERE version > $1 ORDER BY "
                    "version LIMIT 1",
                    {std::uint64_t{version}});
    if (r.rows() == 0) return std::nullopt;
    return static_cast<std::uint64_t>(r.integer(0, 0));
}

} // namespace noi
