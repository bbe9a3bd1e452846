// Devices by id, for answers that name a device (people know tablets by their names) and find
// a device's commune.
#pragma once

#include "api_reply.hpp"

#include <noi/sync/server_store.hpp>

#include <map>
#include <string>

namespace noi::server {

using device_map = std::map<std::string, device>;
device_map devices_by_id(server_store& store);
// The device's name, or null for a device no longer known.
json name_of(const device_map& devices, const std::string& id);
// The device's commune ("" for a device no longer known).
std::string scope_of(const device_map& devices, const std::string& id);

} // namespace noi::server
