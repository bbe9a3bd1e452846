// Beast and Asio for the server's own files only (never included by a public header).
#pragma once

#include <utility> // before Asio: Boost 1.74's awaitable.hpp misses it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include <string>

namespace noi::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// Errors that only mean the peer went away.
inline bool benign(const beast::error_code& ec) {
    return ec == asio::error::operation_aborted || ec == websocket::error::closed ||
           ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == beast::error::timeout ||
           ec == asio::ssl::error::stream_truncated;
}

// An address as the operator writes it: an IPv4 peer of a dual-stack socket (::ffff:10.0.0.1)
// reads as 10.0.0.1, so --trusted-proxy and the per-address bounds match it.
inline std::string plain_address(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
    return a.to_string();
}

} // namespace noi::server
