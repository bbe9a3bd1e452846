#include <noi/sync/store_port.hpp>

namespace noi {

push_gate store_port::gate_of(const std::string& device_id, const site_id& s) {
    push_gate g;
    const auto d = devices().find(device_id);
    g.may_push = d && !d->revoked;
    g.acked = devices().acked(s, device_id);
    g.quarantined = quarantine().open_of(device_id);
    g.open_conflicts = conflicts().count({.status = conflict_status::open, .device_id = device_id});
    return g;
}

} // namespace noi
