#include "session_rules.hpp"

#include "row_rules.hpp"

#include <algorithm>
#include <string>

namespace noi {

using proto::condition;
using proto::error_code;

std::optional<proto::error> reserved_site(const proto::hello& h, const site_id& server_site) {
    if (h.site != server_site && h.site != site_id{}) return std::nullopt;
    return proto::error{error_code::site_bound_elsewhere,
                        condition::permanent,
                        "this replica's id is reserved for the server; make a new replica "
                        "with noi-client init",
                        {}};
}

std::optional<proto::error> schema_ahead(const proto::hello& h, std::uint32_t server_version) {
    if (h.schema_version <= server_version) return std::nullopt;
    return proto::error{
        error_code::schema_ahead,
        condition::permanent,
        "this tablet's schema is version " + std::to_string(h.schema_version) +
            " but the server's is " + std::to_string(server_version) +
            ": the server was restored from an older backup or lost a schema change; restore "
            "the newer backup or apply the schema again (noi-admin schema apply). The "
            "tablet keeps all its data meanwhile",
        {}};
}

proto::error site_busy() {
    return proto::error{error_code::site_busy,
                        condition::transient,
                        "another session of this replica is still connected; retry in a moment",
                        {}};
}

std::optional<proto::error> clock_ahead(const proto::push& p, const site_id& s, std::uint64_t limit,
                                        std::int64_t bound_ms) {
    if (std::none_of(p.rows.begin(), p.rows.end(),
                     [&](const auto& r) { return stamped_beyond(r, limit, &s); }))
        return std::nullopt;
    return proto::error{error_code::clock_ahead,
                        condition::transient,
                        "the tablet's clock is ahead of the server's by more than " +
                            std::to_string(bound_ms / 1000) +
                            " s; it re-stamps its pending writes and retries",
                        {}};
}

proto::error device_revoked() {
    return proto::error{error_code::unknown_device,
                        condition::permanent,
                        "this device was revoked while it was connected; the province office "
                        "enrols the tablet again (noi-admin device add)",
                        {}};
}

proto::error push_before_hello() {
    return proto::error{error_code::unexpected_message,
                        condition::protocol,
                        "PUSH before HELLO for this replica",
                        {}};
}

std::optional<proto::error> quarantine_at_quota(std::uint64_t rows, std::uint64_t bytes,
                                                std::uint64_t max_rows, std::uint64_t max_bytes) {
    if (rows < max_rows && bytes < max_bytes) return std::nullopt;
    return proto::error{error_code::quota_exceeded,
                        condition::transient,
                        "the server holds " + std::to_string(rows) + " rejections (" +
                            std::to_string(bytes / 1024) +
                            " KiB) from this device already, its limit; nothing of this batch "
                            "was kept, and the tablet keeps its data and retries; the province "
                            "office must review this device's quarantine (noi-admin quarantine "
                            "list) and discard or release its rows",
                        {}};
}

std::optional<proto::error> conflicts_at_quota(const std::string& device_id, std::uint64_t open,
                                               std::uint64_t limit) {
    if (open < limit) return std::nullopt;
    return proto::error{error_code::quota_exceeded,
                        condition::transient,
                        "this device's changes have made " + std::to_string(open) +
                            " conflicts the province office has not settled yet, its limit; "
                            "nothing of this batch was kept, and the tablet keeps its data and "
                            "retries; the province office must resolve them (noi-admin conflicts "
                            "list, or noi-admin conflicts resolve --device " +
                            device_id + ")",
                        {}};
}

std::optional<proto::error> sequence_gap(const proto::push& p, std::uint64_t acked) {
    if (p.from_seq <= acked) return std::nullopt;
    return proto::error{error_code::sequence_gap,
                        condition::transient,
                        "the batch starts at " + std::to_string(p.from_seq) +
                            " but the server holds up to " + std::to_string(acked) +
                            "; resume from there",
                        {}};
}

std::vector<const proto::row_change*> rows_to_apply(const proto::push& p, std::uint64_t acked) {
    std::vector<const proto::row_change*> rows;
    for (const auto& r : p.rows)
        if (r.seq > acked && r.seq <= p.to_seq) rows.push_back(&r);
    std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
    return rows;
}

} // namespace noi
