// The device and site registry: the only owner of noi_devices and noi_sites. Devices are
// enrolled with a scope; each replica (site) is bound to the device whose token first said
// HELLO for it, and keeps what the server acknowledged of it.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/server_records.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace noi {

class device_registry {
public:
    explicit device_registry(replica& rep) : rep_(rep) {}

    // Throws sync_error(already_exists) for a known id.
    void add(const device& d);
    std::optional<device> find(const std::string& id);
    std::vector<device> all();
    std::vector<device_status> statuses();
    // The device now serves `scope`; its tablet may still push rows of the scope it holds
    // until it confirms the new one.
    void move(const std::string& device_id, const std::string& scope);
    // A HELLO said the tablet holds `scope` alone, as of the WELCOME of `version`: when both are
    // the device's, nothing older is held.
    void confirm_scope(const std::string& device_id, const std::string& scope,
                       std::uint64_t version);
    // False for an unknown device.
    bool revoke(const std::string& device_id);
    // A revoked device's token was tried (at most one write a minute).
    void record_refusal(const std::string& device_id);

    struct binding {
        std::uint64_t acked = 0;     // the replica's local sequence the server holds up to
        std::uint64_t confirmed = 0; // the newest rejection the replica said it recorded
    };
    // Binds the site to `d` for a HELLO, or says why it cannot be: a site belongs to one
    // device, moves only off a revoked one, and a device makes at most `max_sites` replicas.
    std::variant<binding, proto::error> bind(const device& d, const site_id& site,
                                             std::size_t max_sites);
    void set_confirmed(const site_id& site, std::uint64_t confirmed);
    // What the server holds of a site bound to `device_id`; nullopt for one bound elsewhere.
    std::optional<std::uint64_t> acked(const site_id& site, const std::string& device_id);
    // Moves the site's acknowledged sequence from `expected` to `acked`, a compare-and-set
    // (invariant 4 of server_store.hpp): false, and nothing changes, when it no longer holds
    // `expected` (another session's push of the same replica came first).
    bool set_acked(const site_id& site, std::uint64_t expected, std::uint64_t acked);

    // A HELLO's app_version is kept to this many bytes (cut at a character, ending in "…"): it
    // is the tablet's to say, and every fleet page shows it (issue 28, item 10: 1 MiB was kept).
    static constexpr std::size_t max_app_version_bytes = 64;

    // What a HELLO says of the device, for the fleet status.
    void record_contact(const std::string& device_id, const proto::hello& h);
    // A push applied `rows` of the changes the round's HELLO counted as pending.
    void lower_pending(const std::string& device_id, std::uint64_t rows);
    // A device finished a round (its last pull said "no more").
    void record_sync(const std::string& device_id);
    std::map<std::string, std::uint64_t> silent_by_commune(std::int64_t since_ms);

private:
    std::size_t sites_of(const std::string& device_id);
    replica& rep_;
};

} // namespace noi
