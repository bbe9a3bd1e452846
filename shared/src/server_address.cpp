#include <noi/sync/server_address.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace noi {
namespace {

constexpr const char* example =
    " (for example https://10.20.0.5:443, or wss://10.20.0.5:443/sync from the console's QR code)";

[[noreturn]] void refuse(const std::string& what) {
    throw bad_server_address(what + example);
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

} // namespace

std::string server_address::bare_host() const {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        return host.substr(1, host.size() - 2);
    return host;
}

bool server_address::loopback() const {
    const auto h = bare_host();
    if (lower(h) == "localhost") return true;
    std::array<unsigned char, 16> a{};
    if (inet_pton(AF_INET, h.c_str(), a.data()) == 1) return a[0] == 127;
    static constexpr std::array<unsigned char, 16> v6_loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                               0, 0, 0, 0, 0, 0, 0, 1};
    return inet_pton(AF_INET6, h.c_str(), a.data()) == 1 && a == v6_loopback;
}

server_address parse_server_address(std::string_view url) {
    server_address a;
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) refuse("the server address must start with https://");
    a.scheme = lower(url.substr(0, sep));
    if (a.scheme == "https" || a.scheme == "wss")
        a.tls = true;
    else if (a.scheme != "http" && a.scheme != "ws")
        refuse("the server address must start with http://, https://, ws:// or wss://, not " +
               std::string(url.substr(0, sep)) + "://");
    auto rest = url.substr(sep + 3);
    const auto slash = rest.find('/');
    const auto path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    rest = rest.substr(0, slash);
    if (!path.empty() && path != "/" && path != "/sync")
        refuse("the server address's path must be /sync or nothing, not " + std::string(path));
    const auto colon = rest.rfind(':');
    const auto bracket = rest.rfind(']');
    if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket))
        refuse("the server address needs a port, as in https://HOST:PORT");
    a.host = std::string(rest.substr(0, colon));
    a.port = std::string(rest.substr(colon + 1));
    if (a.host.empty()) refuse("the server address needs a host before its port");
    if (a.host.find('@') != std::string::npos)
        refuse("the server address carries no user or password (the device token is sent apart)");
    std::array<unsigned char, 16> v6{};
    if (a.host.front() == '['
            ? a.host.back() != ']' || inet_pton(AF_INET6, a.bare_host().c_str(), v6.data()) != 1
            : a.host.find_first_of("[]:") != std::string::npos)
        refuse("an IPv6 address goes in brackets, as in https://[2001:db8::5]:443");
    if (a.host.front() != '[' && !std::all_of(a.host.begin(), a.host.end(), [](unsigned char c) {
            return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_';
        }))
        refuse("the server address's host \"" + a.host +
               "\" has a character no host name or address has");
    const bool digits = !a.port.empty() && a.port.size() <= 5 &&
                        std::all_of(a.port.begin(), a.port.end(),
                                    [](unsigned char c) { return std::isdigit(c) != 0; });
    if (!digits || std::stoi(a.port) < 1 || std::stoi(a.port) > 65535)
        refuse("the server address's port must be a number from 1 to 65535, not \"" + a.port +
               "\"");
    return a;
}

} // namespace noi
