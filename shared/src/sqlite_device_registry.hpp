// The device and site registry on SQLite: the only owner of noi_devices and noi_sites.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/store_books.hpp>

namespace noi {

class sqlite_device_registry final : public device_registry {
public:
    explicit sqlite_device_registry(replica& rep) : rep_(rep) {}
    void add(const device& d) override;
    std::optional<device> find(const std::string& id) override;
    std::vector<device> all() override;
    std::vector<device_status> statuses() override;
    void move(const std::string& device_id, const std::string& scope) override;
    void confirm_scope(const std::string& device_id, const std::string& scope,
                       std::uint64_t version) override;
    bool revoke(const std::string& device_id, bool wipe) override;
    bool remove_unsynced(const std::string& device_id) override;
    void record_wiped(const std::string& device_id) override;
    void record_refusal(const std::string& device_id) override;
    std::optional<binding> site(const site_id& site) override;
    std::size_t sites_of(const std::string& device_id) override;
    void bind(const site_id& site, const std::string& device_id) override;
    void set_confirmed(const site_id& site, std::uint64_t confirmed) override;
    std::optional<std::uint64_t> acked(const site_id& site, const std::string& device_id) override;
    bool set_acked(const site_id& site, std::uint64_t expected, std::uint64_t acked) override;
    void record_contact(const std::string& device_id, const proto::hello& h) override;
    void lower_pending(const std::string& device_id, std::uint64_t rows) override;
    void record_sync(const std::string& device_id) override;
    std::map<std::string, std::uint64_t> silent_by_commune(std::int64_t since_ms) override;

private:
    replica& rep_;
};

} // namespace noi
