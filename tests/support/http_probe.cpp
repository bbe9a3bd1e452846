#include "http_probe.hpp"

#include <utility> // before Asio: Boost 1.74's awaitable.hpp misses it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace noi::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

template <class Stream>
http_answer exchange(Stream& stream, http::request<http::string_body>& req) {
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    http_answer a;
    a.status = res.result_int();
    a.body = res.body();
    for (const auto& f : res) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        a.headers.emplace(name, std::string(f.value()));
    }
    return a;
}

} // namespace

std::string http_answer::header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
}

http_answer http_probe(const std::string& url, const std::string& method, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& body, const std::string& ca_file) {
    const bool tls = url.rfind("https://", 0) == 0;
    auto rest = url.substr(tls ? 8 : 7);
    auto colon = rest.rfind(':');
    const auto host = rest.substr(0, colon), port = rest.substr(colon + 1);
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream tcp(ioc);
    tcp.expires_after(std::chrono::seconds(30));
    tcp.connect(resolver.resolve(host, port));
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, host);
    for (const auto& [name, value] : headers)
        req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    if (!tls) return exchange(tcp, req);
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(ca_file);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), ctx);
    stream.handshake(asio::ssl::stream_base::client);
    return exchange(stream, req);
}

} // namespace noi::test
