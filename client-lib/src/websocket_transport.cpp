// The default transport: a Beast WebSocket with permessage-deflate. Operations are
// asynchronous underneath and driven by run_for, so every call has a deadline.
#include <noi/beast/certificate_pin.hpp>
#include <noi/client/tls_check.hpp>
#include <noi/client/transport.hpp>
#include <noi/protocol/wipe.hpp>
#include <noi/sync/server_address.hpp>

#include <utility> // before Asio: Boost 1.74's awaitable.hpp misses it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <noi/beast/deflate.hpp>

#include <openssl/pem.h>

#include <atomic>
#include <memory>
#include <optional>
#include <variant>

namespace noi::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// The address, or transport_error(bad_url) saying what is wrong with it.
server_address parse_url(const std::string& url) {
    try {
        return parse_server_address(url);
    } catch (const bad_server_address& e) {
        throw transport_error(transport_errc::bad_url, e.what());
    }
}

using plain_ws = websocket::stream<beast::tcp_stream>;
using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

class websocket_transport final : public transport {
public:
    explicit websocket_transport(websocket_options opt) : opt_(std::move(opt)) {}
    ~websocket_transport() override { close(); }

    void connect(const std::string& url, const std::string& token,
                 std::chrono::milliseconds timeout) override {
        auto ep = parse_url(url);
        if (!opt_.allow_plain_http && !ep.tls && !ep.loopback())
            throw transport_error(
                transport_errc::bad_url,
                "refusing to send the device token in clear text to " + ep.host +
                    " over http://; use https://, or, if the network to the server is trusted, "
                    "allow plain http for this replica (noi-client set-server --allow-plain-http, "
                    "or noi_set_server's allow_plain_http)");
        if (ep.tls) {
            tls_ctx_.emplace(asio::ssl::context::tls_client);
            tls_ctx_->set_default_verify_paths();
            if (!opt_.ca_file.empty()) {
                beast::error_code ec;
                tls_ctx_->load_verify_file(opt_.ca_file, ec);
                if (ec)
                    throw transport_error(transport_errc::bad_url,
                                          "cannot read the CA file " + opt_.ca_file + " (" +
                                              ec.message() + "); give the province's CA with " +
                                              opt_.give_ca_with);
            }
            if (opt_.ca_pem.empty() && opt_.learned_pem) opt_.ca_pem = *opt_.learned_pem;
            if (!opt_.ca_sha256.empty() && opt_.ca_pem.empty()) {
                opt_.ca_pem = learn_pinned_ca(ep, timeout);
                if (opt_.learned_pem) *opt_.learned_pem = opt_.ca_pem;
                if (opt_.learned_ca) opt_.learned_ca(opt_.ca_pem);
            }
            if (!opt_.ca_pem.empty()) {
                beast::error_code ec;
                tls_ctx_->add_certificate_authority(asio::buffer(opt_.ca_pem), ec);
                if (ec)
                    throw transport_error(transport_errc::tls_failed,
                                          "the province's CA kept in the replica cannot be used (" +
                                              ec.message() + "); scan the enrolment code again");
            }
            tls_ctx_->set_verify_mode(asio::ssl::verify_peer);
            ws_.emplace<tls_ws>(asio::make_strand(ioc_), *tls_ctx_);
        } else {
            ws_.emplace<plain_ws>(asio::make_strand(ioc_));
        }
        std::visit(
            [&](auto& ws) {
                if constexpr (!std::is_same_v<std::decay_t<decltype(ws)>, std::monostate>)
                    open(ws, ep, token, timeout);
            },
            ws_);
    }

    // The same upgrade request, saying the data is gone: the server answers 410 again, this
    // time with the wipe "done".
    void report_wiped(const std::string& url, const std::string& token,
                      std::chrono::milliseconds timeout) override {
        reporting_wiped_ = true;
        try {
            connect(url, token, timeout);
        } catch (const transport_error& e) {
            reporting_wiped_ = false;
            if (e.code() == transport_errc::wipe_ordered && wipe_done_) return;
            throw;
        }
        reporting_wiped_ = false;
        close();
        throw transport_error(transport_errc::unreachable,
                              "the server opened a sync connection instead of taking the "
                              "tablet's report that it deleted its data");
    }

    void send(const std::vector<std::uint8_t>& message,
              std::chrono::milliseconds timeout) override {
        beast::error_code ec;
        with_ws([&](auto& ws) {
            run(
                [&](auto done) {
                    ws.async_write(asio::buffer(message),
                                   [done](beast::error_code e, std::size_t) { done(e); });
                },
                timeout, ec);
        });
        if (ec)
            throw transport_error(transport_errc::unreachable,
                                  "the connection broke while sending: " + ec.message());
    }

    std::vector<std::uint8_t> receive(std::chrono::milliseconds timeout) override {
        if (auto m = poll(timeout)) return std::move(*m);
        // The read left pending is cancelled with the connection.
        close_socket();
        ioc_.restart();
        ioc_.run_for(std::chrono::milliseconds(500));
        reading_ = false;
        throw transport_error(transport_errc::timeout, "the server did not answer in time");
    }

    std::optional<std::vector<std::uint8_t>> poll(std::chrono::milliseconds timeout) override {
        if (interrupted_)
            throw transport_error(transport_errc::unreachable, "the connection was interrupted");
        if (!reading_) {
            buffer_.clear();
            read_done_ = false;
            with_ws([&](auto& ws) {
                ws.async_read(buffer_, [this](beast::error_code e, std::size_t) {
                    read_done_ = true;
                    read_ec_ = e;
                });
            });
            reading_ = true;
        }
        run_until([this] { return read_done_; }, timeout);
        if (!read_done_ && interrupted_) {
            close_socket();
            ioc_.restart();
            ioc_.run_for(std::chrono::milliseconds(500));
            reading_ = false;
            throw transport_error(transport_errc::unreachable, "the connection was interrupted");
        }
        if (!read_done_) return std::nullopt;
        reading_ = false;
        const auto ec = read_ec_;
        if (ec == websocket::error::closed) {
            std::string why = "the server closed the connection";
            with_ws([&](auto& ws) {
                why +=
                    " (code " + std::to_string(ws.reason().code) +
                    (ws.reason().reason.empty() ? std::string()
                                                : ": " + std::string(ws.reason().reason.c_str())) +
                    ")";
            });
            throw transport_error(transport_errc::unreachable, why);
        }
        if (ec)
            throw transport_error(transport_errc::unreachable,
                                  "the connection broke while receiving: " + ec.message());
        auto d = buffer_.cdata();
        auto p = static_cast<const std::uint8_t*>(d.data());
        return std::vector<std::uint8_t>{p, p + d.size()};
    }

    // Every wait runs the connection in slices and ends within one once this is set.
    void interrupt() noexcept override { interrupted_ = true; }

    void close() noexcept override {
        close_socket();
        if (reading_) {
            // The pending read completes, cancelled, before its stream goes.
            ioc_.restart();
            ioc_.run_for(std::chrono::milliseconds(500));
            reading_ = false;
        }
        ws_.emplace<std::monostate>();
    }

private:
    template <class F> void with_ws(F f) {
        std::visit(
            [&](auto& ws) {
                if constexpr (std::is_same_v<std::decay_t<decltype(ws)>, std::monostate>)
                    throw transport_error(transport_errc::unreachable, "the connection is closed");
                else
                    f(ws);
            },
            ws_);
    }

    void close_socket() noexcept {
        std::visit(
            [](auto& ws) {
                if constexpr (!std::is_same_v<std::decay_t<decltype(ws)>, std::monostate>) {
                    beast::error_code ec;
                    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ec);
                    beast::get_lowest_layer(ws).socket().close(ec);
                }
            },
            ws_);
    }

    template <class Ws>
    void open(Ws& ws, const server_address& ep, const std::string& token,
              std::chrono::milliseconds timeout) {
        const auto results = resolve(ep, timeout);
        beast::error_code ec;
        run(
            [&](auto done) {
                beast::get_lowest_layer(ws).async_connect(
                    results, [done](beast::error_code e, auto) { done(e); });
            },
            timeout, ec);
        if (ec)
            throw transport_error(transport_errc::unreachable, "cannot connect to " + ep.host +
                                                                   ":" + ep.port + ": " +
                                                                   ec.message());
        // A PUSH or PULL waits for its answer: Nagle's algorithm would hold its last segment
        // until the server's delayed ACK.
        beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true), ec);
        if constexpr (std::is_same_v<Ws, tls_ws>) {
            auto& tls = ws.next_layer();
            // SNI, and the certificate must name the host we asked for.
            if (!SSL_set_tlsext_host_name(tls.native_handle(), ep.bare_host().c_str()))
                throw transport_error(transport_errc::unreachable,
                                      "cannot set the TLS server name " + ep.host);
            expect_peer_named(tls.native_handle(), ep.bare_host());
            run([&](auto done) { tls.async_handshake(asio::ssl::stream_base::client, done); },
                timeout, ec);
            if (ec == beast::error::timeout)
                throw transport_error(transport_errc::unreachable,
                                      "the TLS handshake with " + ep.host + " timed out");
            if (ec)
                throw transport_error(transport_errc::tls_failed,
                                      explain_tls_failure(tls.native_handle(), ep.host,
                                                          ec.message(), opt_.give_ca_with));
        }
        beast::get_lowest_layer(ws).expires_never();
        ws.set_option(beast_support::permessage_deflate(opt_.deflate, false));
        ws.set_option(websocket::stream_base::decorator(
            [token, wiped = reporting_wiped_](websocket::request_type& req) {
                req.set(http::field::authorization, "Bearer " + token);
                req.set(http::field::user_agent, "noi-client");
                req.set(proto::wipe_header, wiped ? "done" : "able");
            }));
        ws.binary(true);
        websocket::response_type res;
        run([&](auto done) { ws.async_handshake(res, ep.host_port(), "/sync", done); }, timeout,
            ec);
        if (ec) {
            // An order to delete the replica's data is obeyed only from a server whose identity
            // was checked (TLS), or on this machine: over plain http anyone on the way could
            // forge it and destroy what was not sent yet.
            if (res.result() == http::status::gone && res[proto::wipe_header] != "") {
                if (!ep.tls && !ep.loopback())
                    throw transport_error(transport_errc::refused_credentials,
                                          "the server says this tablet was revoked; an order to "
                                          "delete its data is not obeyed over plain http");
                wipe_done_ = res[proto::wipe_header] == "done";
                throw transport_error(transport_errc::wipe_ordered,
                                      "the province office revoked this tablet and ordered its "
                                      "synced data deleted");
            }
            if (res.result() == http::status::unauthorized)
                throw transport_error(
                    transport_errc::refused_credentials,
                    "the server refused the device token; ask the province office for a new one");
            if (res.result() == http::status::too_many_requests) {
                // The server says why (too many failures from this address, or too many
                // connections of this device) and when to retry.
                auto why = res.body();
                while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
                    why.pop_back();
                throw transport_error(transport_errc::unreachable,
                                      "the server asks the tablet to wait: " +
                                          (why.empty() ? std::string("too many requests") : why) +
                                          "; the sync retries later");
            }
            throw transport_error(transport_errc::unreachable,
                                  "the server did not open the sync connection: " + ec.message());
        }
    }

    // The pinned CA, from the certificates the server sends in a handshake that checks nothing
    // else: only the certificate whose SHA-256 is the pin is taken, and the connection that
    // follows verifies the server against it as against any CA (its name included).
    std::string learn_pinned_ca(const server_address& ep, std::chrono::milliseconds timeout) {
        asio::ssl::context ctx(asio::ssl::context::tls_client);
        ctx.set_verify_mode(asio::ssl::verify_none);
        beast::ssl_stream<beast::tcp_stream> s(asio::make_strand(ioc_), ctx);
        SSL_set_tlsext_host_name(s.native_handle(), ep.bare_host().c_str());
        auto& socket = beast::get_lowest_layer(s).socket();
        const auto results = resolve(ep, timeout);
        auto step = [&](auto start) {
            beast::error_code ec;
            run(start, timeout, ec, [&] {
                beast::error_code ignored;
                socket.close(ignored);
            });
            if (ec)
                throw transport_error(transport_errc::unreachable,
                                      "cannot reach " + ep.host_port() +
                                          " to find the province's CA: " + ec.message());
        };
        step([&](auto done) {
            beast::get_lowest_layer(s).async_connect(
                results, [done](beast::error_code e, auto) { done(e); });
        });
        step([&](auto done) { s.async_handshake(asio::ssl::stream_base::client, done); });
        std::string pem;
        const STACK_OF(X509)* chain = SSL_get_peer_cert_chain(s.native_handle());
        for (int i = 0; chain && pem.empty() && i < sk_X509_num(chain); ++i) {
            X509* cert = sk_X509_value(chain, i);
            if (certificate_sha256(cert) != opt_.ca_sha256) continue;
            std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new(BIO_s_mem()), &BIO_free);
            if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) continue;
            char* data = nullptr;
            const long n = BIO_get_mem_data(bio.get(), &data);
            if (data && n > 0) pem.assign(data, static_cast<std::size_t>(n));
        }
        beast::error_code ignored;
        socket.close(ignored);
        if (pem.empty())
            throw transport_error(
                transport_errc::tls_failed,
                "none of the certificates " + ep.host +
                    " sends is the CA the enrolment code names (SHA-256 " +
                    opt_.ca_sha256.substr(0, 16) +
                    "…): this may not be the province's server; check the address, or enrol the "
                    "tablet again from the console");
        return pem;
    }

    // The host's addresses; a resolution still running at the deadline is cancelled, and its
    // late completion touches nothing of this frame.
    tcp::resolver::results_type resolve(const server_address& ep,
                                        std::chrono::milliseconds timeout) {
        tcp::resolver resolver(ioc_);
        auto results = std::make_shared<tcp::resolver::results_type>();
        beast::error_code ec;
        run(
            [&](auto done) {
                resolver.async_resolve(ep.bare_host(), ep.port,
                                       [results, done](beast::error_code e, auto r) {
                                           *results = r;
                                           done(e);
                                       });
            },
            timeout, ec, [&] { resolver.cancel(); });
        if (ec)
            throw transport_error(transport_errc::unreachable,
                                  "cannot resolve " + ep.host + ": " + ec.message());
        return *results;
    }

    // Starts an operation and runs the context until it completes or the deadline passes; a
    // late operation is ended by `close_late` (closing its socket: for the connection's, that
    // ends the connection). Its completion then sets only state it shares. After interrupt()
    // nothing starts.
    template <class Start, class Late>
    void run(Start start, std::chrono::milliseconds timeout, beast::error_code& ec,
             Late close_late) {
        if (interrupted_) {
            ec = asio::error::operation_aborted;
            return;
        }
        struct outcome {
            bool finished = false;
            beast::error_code ec;
        };
        auto done = std::make_shared<outcome>();
        ioc_.restart();
        start([done](beast::error_code e) {
            done->finished = true;
            done->ec = e;
        });
        run_until([&] { return done->finished; }, timeout);
        if (!done->finished) {
            close_late();
            ioc_.restart();
            ioc_.run_for(std::chrono::milliseconds(500));
            ec = interrupted_ ? beast::error_code(asio::error::operation_aborted)
                              : beast::error_code(beast::error::timeout);
            return;
        }
        ec = done->ec;
    }

    // Runs the context until `finished()`, the time is up, or interrupt(): in slices of 100 ms,
    // so that an interrupt from another thread is seen within one.
    template <class Finished> void run_until(Finished finished, std::chrono::milliseconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (!finished() && !interrupted_) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            ioc_.restart();
            ioc_.run_for(std::min(left, std::chrono::milliseconds(100)));
        }
    }

    template <class Start>
    void run(Start start, std::chrono::milliseconds timeout, beast::error_code& ec) {
        run(start, timeout, ec, [this] { close_socket(); });
    }

    websocket_options opt_;
    asio::io_context ioc_;
    std::optional<asio::ssl::context> tls_ctx_;
    std::variant<std::monostate, plain_ws, tls_ws> ws_;
    beast::flat_buffer buffer_;
    // A read outlives a poll that timed out: the next poll or receive waits for it.
    bool reading_ = false, read_done_ = false;
    beast::error_code read_ec_;
    // report_wiped's request, and whether the server's 410 said the wipe is recorded.
    bool reporting_wiped_ = false, wipe_done_ = false;
    // Set by interrupt() from another thread: no wait starts after it.
    std::atomic<bool> interrupted_{false};
};

} // namespace

std::unique_ptr<transport> make_websocket_transport(websocket_options opt) {
    return std::make_unique<websocket_transport>(std::move(opt));
}

} // namespace noi::client
