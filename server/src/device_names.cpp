#include "device_names.hpp"

namespace noi::server {

device_map devices_by_id(server_store& store) {
    device_map out;
    for (auto& d : store.devices())
        out.emplace(d.id, std::move(d));
    return out;
}

json name_of(const device_map& devices, const std::string& id) {
    auto d = devices.find(id);
    return d != devices.end() ? json(d->second.name) : json(nullptr);
}

std::string scope_of(const device_map& devices, const std::string& id) {
    auto d = devices.find(id);
    return d != devices.end() ? d->second.scope : std::string();
}

} // namespace noi::server
