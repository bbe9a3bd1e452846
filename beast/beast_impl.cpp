// Beast's and Asio's separately compiled parts, built once for the whole server.
#include <utility>

#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
