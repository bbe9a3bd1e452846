#include "http_client.hpp"

#include <noi/client/tls_check.hpp>
#include <noi/sync/server_address.hpp>

#include <utility> // before Asio: Boost 1.74's awaitable.hpp misses it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cctype>

namespace noi::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Connect, (TLS handshake,) write, read: one chain of completions on one io_context.
template <class Stream>
http_reply exchange(asio::io_context& ioc, Stream& stream, const std::string& host,
                    const std::string& port, http::request<http::string_body>& req,
                    const std::string& base_url, std::chrono::milliseconds timeout) {
    beast::error_code ec;
    std::string tls_failure;
    http::response<http::string_body> res;
    beast::flat_buffer buf;
    tcp::resolver resolver(ioc);
    auto& tcp_layer = beast::get_lowest_layer(stream);
    tcp_layer.expires_after(timeout);
    auto write_read = [&] {
        http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
            if (e) {
                ec = e;
                return;
            }
            http::async_read(stream, buf, res, [&](beast::error_code e2, std::size_t) { ec = e2; });
        });
    };
    resolver.async_resolve(host, port, [&](beast::error_code e, tcp::resolver::results_type r) {
        if (e) {
            ec = e;
            return;
        }
        tcp_layer.async_connect(r, [&](beast::error_code e2, auto) {
            if (e2) {
                ec = e2;
                return;
            }
            if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
                write_read();
            } else {
                stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e3) {
                    if (e3) {
                        tls_failure = noi::client::explain_tls_failure(
                            stream.native_handle(), host, e3.message(),
                            "--ca-file FILE (or NOI_CA_FILE)");
                        return;
                    }
                    write_read();
                });
            }
        });
    });
    ioc.run();
    if (!tls_failure.empty()) throw tls_refused(tls_failure);
    if (ec) throw unreachable("cannot reach the server at " + base_url + ": " + ec.message());
    beast::error_code ignored;
    tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return {res.result_int(), res.body()};
}

} // namespace

std::string encode_component(const std::string& s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char ch : s) {
        if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            out += static_cast<char>(ch);
        } else {
            out += '%';
            out += hex[ch >> 4];
            out += hex[ch & 15];
        }
    }
    return out;
}

http_reply request(const std::string& base_url, const std::string& method,
                   const std::string& target, const std::string& token, const std::string& body,
                   const std::string& ca_file, std::chrono::milliseconds timeout,
                   const std::string& accept_language) {
    noi::server_address a;
    try {
        a = noi::parse_server_address(base_url);
    } catch (const noi::bad_server_address& e) {
        throw std::invalid_argument(e.what());
    }
    const auto host = a.bare_host();

    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, a.host_port());
    req.set(http::field::user_agent, "noi-admin");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!accept_language.empty()) req.set(http::field::accept_language, accept_language);
    if (!body.empty()) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
    }
    req.prepare_payload();

    asio::io_context ioc;
    if (!a.tls) {
        beast::tcp_stream stream(ioc);
        return exchange(ioc, stream, host, a.port, req, base_url, timeout);
    }
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_default_verify_paths();
    if (!ca_file.empty()) {
        beast::error_code ec;
        ctx.load_verify_file(ca_file, ec);
        if (ec)
            throw std::invalid_argument("cannot read the CA file " + ca_file + ": " + ec.message());
    }
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
    noi::client::expect_peer_named(stream.native_handle(), host);
    return exchange(ioc, stream, host, a.port, req, base_url, timeout);
}

} // namespace noi::admin
