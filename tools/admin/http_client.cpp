#include "http_client.hpp"

#include <utility> // before Asio: Boost 1.74's awaitable.hpp misses it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace noi::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

http_reply request(const std::string& base_url, const std::string& method, const std::string& target,
                   const std::string& token, const std::string& body, std::chrono::milliseconds timeout) {
    std::string rest;
    if (base_url.rfind("http://", 0) == 0)
        rest = base_url.substr(7);
    else if (base_url.rfind("https://", 0) == 0)
        throw std::invalid_argument("https:// is not built into this version yet; use http:// on loopback");
    else
        throw std::invalid_argument("the server address must start with http:// or https://");
    rest = rest.substr(0, rest.find('/'));
    auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw std::invalid_argument("the server address needs a port, as in http://127.0.0.1:8080");
    auto host = rest.substr(0, colon), port = rest.substr(colon + 1);

    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    beast::error_code ec;
    http::response<http::string_body> res;
    beast::flat_buffer buf;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, rest);
    req.set(http::field::user_agent, "noi-admin");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
    }
    req.prepare_payload();

    tcp::resolver resolver(ioc);
    stream.expires_after(timeout);
    resolver.async_resolve(host, port, [&](beast::error_code e, tcp::resolver::results_type r) {
        if (e) {
            ec = e;
            return;
        }
        stream.async_connect(r, [&](beast::error_code e2, auto) {
            if (e2) {
                ec = e2;
                return;
            }
            http::async_write(stream, req, [&](beast::error_code e3, std::size_t) {
                if (e3) {
                    ec = e3;
                    return;
                }
                http::async_read(stream, buf, res, [&](beast::error_code e4, std::size_t) { ec = e4; });
            });
        });
    });
    ioc.run();
    if (ec) throw unreachable("cannot reach the server at " + base_url + ": " + ec.message());
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return {res.result_int(), res.body()};
}

} // namespace noi::admin
