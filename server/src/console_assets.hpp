// The web console's files (server/console/), built into noi-server: no request for them
// leaves the province's intranet.
#pragma once

#include <string_view>

namespace noi::server {

struct console_asset {
    std::string_view path, content_type, body;
};

// "/" is the console's page; nullptr for a path that is not one of its files.
const console_asset* find_console_asset(std::string_view path);

} // namespace noi::server
