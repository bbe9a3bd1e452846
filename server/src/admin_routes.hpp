// The admin API's routes (docs/architecture.md, "Add an admin endpoint"): one table of method,
// path, access and handler, which handle_admin (admin_api.hpp) answers from.
#pragma once

#include "admin_request.hpp"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace noi::server {

// Who may call a route. Every change is an admin's.
enum class access {
    admin,  // an admin account; the handler gets it (admin_request::admin)
    reader, // any account: what is the same for every commune (the schema, the map, reference data)
    scoped, // any account; the handler gets the communes it may see (admin_request::scope)
};

struct admin_route {
    const char* method;
    // Segments: literals, `{}` for one whole segment of text, `{n}` for one of digits (an id).
    // A capture never spans '/': /admin/v1/devices/{} could never answer …/devices/x/revoke.
    const char* path;
    access who;
    api_response (*handle)(admin_request&);
};

std::span<const admin_route> admin_routes();

struct route_match {
    const admin_route* route = nullptr; // null: no route answers this method on this path
    std::vector<std::string> args;      // the captures, %XX decoded
    std::string allowed; // the methods the path has, when not this one ("GET or POST")
};
route_match match_route(std::string_view method, std::string_view path);

} // namespace noi::server
