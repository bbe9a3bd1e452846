// The project's permessage-deflate settings as Beast's option, for the server and every client
// (the tablet transport, noi-bench's idle fleet): one place decides what both ends offer.
#pragma once

#include <noi/protocol/deflate.hpp>

#include <boost/beast/websocket/option.hpp>

namespace noi::beast_support {

// The server accepts compression both ways; a client asks for it.
inline boost::beast::websocket::permessage_deflate
permessage_deflate(const proto::deflate_settings& d, bool server) {
    boost::beast::websocket::permessage_deflate pmd;
    pmd.client_enable = true;
    pmd.server_enable = server;
    pmd.server_max_window_bits = d.window_bits;
    pmd.client_max_window_bits = d.window_bits;
    pmd.memLevel = d.mem_level;
    pmd.compLevel = d.comp_level;
    return pmd;
}

} // namespace noi::beast_support
