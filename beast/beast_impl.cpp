// Beast's and Asio's separately compiled parts (TLS included), built once for the project.
#include <utility>

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
