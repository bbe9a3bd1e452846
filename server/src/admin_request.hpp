// One admin API request as a handler sees it (admin_routes.cpp decides which handler and what it
// may see): the store, the path's captures, the query, the body, and, by the route's access,
// either the admin's account or the communes the reader may see.
#pragma once

#include "admin_api.hpp"
#include "api_query.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace noi::server {

// The communes a scoped route shows, handed to its handler instead of the account: the handler
// filters its store reads by them (conflict_filter::scopes, reads()), so an endpoint cannot
// forget to. Empty: every commune (an admin, or a viewer of the whole province).
struct commune_scope {
    std::vector<std::string> communes;
    bool reads(const std::string& unit) const;
};

struct admin_request {
    server_state& state;
    server_store& store;
    auth_store& auth;
    // The account on an admin route (its changes go on the admin log under its name); null on
    // every other route, whose handlers know only `scope`.
    const account* admin;
    commune_scope scope; // every commune on a route that is not scoped
    const query& q;
    const std::string& body;
    const std::optional<std::string>& refused_early; // by the HTTP session, before the queue
    std::vector<std::string> args = {};              // the path's captures, %XX decoded, in order

    // The i-th capture of a {n} segment: digits only, checked by the route's match.
    std::uint64_t number(std::size_t i) const { return std::stoull(args.at(i)); }
    const std::string& admin_name() const { return admin->name; }
};

} // namespace noi::server
