// One sync connection: reads a frame, decodes it, lets the core's server_session answer it on
// the database thread, writes the answers, then reads the next. One frame is handled at a
// time, and the next is read only while the answers not yet sent (NOTIFYs too) are under a
// small bound and the device is within its request rate: a client that floods without reading
// is read no more, and closed if its answers do not drain.
#pragma once

#include "server_state.hpp"

#include <noi/sync/server_session.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace noi::server {

// Stream is beast::tcp_stream, or beast::ssl_stream<beast::tcp_stream> for TLS.
template <class Stream>
class websocket_session : public sync_connection,
                          public std::enable_shared_from_this<websocket_session<Stream>> {
public:
    websocket_session(Stream&& stream, device dev, server_state& state,
                      std::shared_ptr<connection_slot> slot);
    ~websocket_session() override;

    void run(http::request<http::string_body> req);
    void send_notify(std::uint64_t server_seq) override;
    void close_revoked() override;
    void close_for_shutdown() override;
    const device& dev() const override { return dev_; }

private:
    void on_accept(beast::error_code ec);
    // Reads the next request when nothing is in flight, the unsent answers are under the
    // bound and the device's rate allows; otherwise waits for whichever of them is missing.
    void maybe_read();
    void do_read();
    void on_drain_deadline();
    void on_read(beast::error_code ec, std::size_t n);
    void on_answer(std::vector<std::shared_ptr<const std::vector<std::uint8_t>>> out, bool close,
                   const emissions& emitted);
    void queue(std::shared_ptr<const std::vector<std::uint8_t>> bytes);
    void do_write();
    void on_write(beast::error_code ec, std::size_t n);
    void finish();

    websocket::stream<Stream> ws_;
    device dev_;
    server_state& state_;
    std::shared_ptr<connection_slot> slot_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::vector<std::uint8_t>>> queue_;
    void pull(const proto::pull& p);

    std::size_t unsent_bytes_ = 0;
    bool request_in_flight_ = true; // until the session's core exists
    // The newest sequence this session was told of, or that was committed when it began: a
    // NOTIFY at or below it says nothing new (a shared server tells its own pushes again).
    std::uint64_t notified_ = 0;
    bool read_in_flight_ = false;
    // When the device's request rate lets this session read its next request.
    std::chrono::steady_clock::time_point next_read_at_{};
    std::optional<asio::steady_timer> throttle_timer_, drain_timer_;
    bool closing_ = false;
    websocket::close_code close_code_ =
        websocket::close_code::normal; // going_away when the server stops
    bool finished_ = false;
    // For the one log line a session leaves (device, rows each way, duration, outcome; throttled
    // per device by server_state::log_session): the counters are written on the database and
    // reader threads, read when the session ends.
    std::optional<std::chrono::steady_clock::time_point> accepted_at_;
    std::atomic<std::uint64_t> rows_in_{0}, rows_out_{0}, rounds_{0};
    std::atomic<std::uint16_t> last_error_{0}; // the code of the last ERROR sent, 0 for none
    // Lives on the database thread: created and destroyed there.
    std::shared_ptr<server_session> core_;
};

} // namespace noi::server
