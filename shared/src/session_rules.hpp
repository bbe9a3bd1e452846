// The rules of a sync session's HELLO and PUSH that read no storage (docs/protocol.md): the
// same for every store, which gives them what it read under its write lock.
#pragma once

#include <noi/protocol/messages.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace noi {

// A HELLO from a replica whose id the server keeps for its own writes (its site, or the
// all-zero one), which could stamp versions in their name.
std::optional<proto::error> reserved_site(const proto::hello& h, const site_id& server_site);

// A HELLO of a tablet whose schema is ahead of the server's (a server restored from an older
// backup, or that lost a schema change): it would refuse or misplace the rows of what it lacks.
std::optional<proto::error> schema_ahead(const proto::hello& h, std::uint32_t server_version);

// A second session of a replica, through this process or another.
proto::error site_busy();

// A PUSH with a version of its own site stamped beyond `limit`: the tablet's clock is ahead
// by more than `bound_ms`. Another site's versions are quarantined row by row instead.
std::optional<proto::error> clock_ahead(const proto::push& p, const site_id& s, std::uint64_t limit,
                                        std::int64_t bound_ms);

// A PUSH of a device revoked since its session began (perhaps through another process, which
// could not close this one's session).
proto::error device_revoked();

// A PUSH on a connection whose replica said no HELLO.
proto::error push_before_hello();

// A PUSH whose batch starts past what the server acknowledged: the tablet resumes from there.
std::optional<proto::error> sequence_gap(const proto::push& p, std::uint64_t acked);

// A PUSH of a device whose open quarantine (`rows` rejections, `bytes` stored) is at either of
// its bounds: one tablet cannot fill the server's disk.
std::optional<proto::error> quarantine_at_quota(std::uint64_t rows, std::uint64_t bytes,
                                                std::uint64_t max_rows, std::uint64_t max_bytes);

// A PUSH of a device whose pushes made `open` conflicts not settled yet, as many as `limit`.
std::optional<proto::error> conflicts_at_quota(const std::string& device_id, std::uint64_t open,
                                               std::uint64_t limit);

// The rows of a PUSH not applied yet: above `acked`, up to its to_seq, in sequence order (a
// replayed or overlapping batch applies nothing twice: invariant 4 of server_store.hpp).
std::vector<const proto::row_change*> rows_to_apply(const proto::push& p, std::uint64_t acked);

} // namespace noi
