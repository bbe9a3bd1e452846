#include "websocket_session_impl.hpp"

namespace noi::server {

template class websocket_session<beast::tcp_stream>;
template class websocket_session<beast::ssl_stream<beast::tcp_stream>>;

} // namespace noi::server
