// Beast and Asio for the server's own files only (never included by a public header).
#pragma once

#include <utility> // before Asio: Boost 1.74's awaitable.hpp misses it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

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

} // namespace noi::server
