// What the web console's answers carry beyond their body: the security headers every answer
// gets, the session cookie, and the CSRF header a page sends back on each change.
#pragma once

#include "net.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace noi::server {

using header_list = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view session_cookie_name = "noi_session";

// Scripts and styles from this server only (no inline script, so an injected tag does nothing),
// never framed, never sniffed into another type, never cached.
void add_security_headers(http::response<http::string_body>& res);
// The value of a cookie the request carries.
std::optional<std::string> cookie_of(const http::request<http::string_body>& req,
                                     std::string_view name);
// Set-Cookie for a console session: gone when the browser closes, never read by scripts, never
// sent by another site's page, and over TLS only when the server speaks TLS.
std::string session_cookie(const std::string& id, bool secure);
std::string cleared_session_cookie(bool secure);
// Whether a console request carries its session's CSRF token (X-CSRF-Token), which a page of
// another site cannot read and so cannot send.
bool carries_csrf(const http::request<http::string_body>& req, const std::string& csrf);
// Whether two secrets are equal, in time that does not depend on where they differ.
bool same_secret(std::string_view a, std::string_view b);

} // namespace noi::server
