#include <noi/pgstore/pg_store.hpp>

#include "pg_connection.hpp"

#include <noi/sync/error.hpp>

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace noi {
namespace {

using pg_conn_ptr = std::unique_ptr<PGconn, decltype(&PQfinish)>;

} // namespace

pg_feed_watch::pg_feed_watch(std::string conninfo, std::function<void()> on_commit)
    : conninfo_(std::move(conninfo)), on_commit_(std::move(on_commit)),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (wake_fd_ < 0)
        throw sync_error(errc::postgresql, std::string("cannot make the feed watch's eventfd: ") +
                                               std::strerror(errno));
    thread_ = std::thread([this] { run(); });
}

pg_feed_watch::~pg_feed_watch() {
    stopping_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    thread_.join();
    ::close(wake_fd_);
}

void pg_feed_watch::run() {
    while (!stopping_) {
        listen();
        // Waits a second before connecting again, or less when told to stop.
        pollfd wake{wake_fd_, POLLIN, 0};
        if (!stopping_) ::poll(&wake, 1, 1000);
    }
}

void pg_feed_watch::listen() {
    pg_conn_ptr c(pg::connect_bounded(conninfo_), &PQfinish);
    if (PQstatus(c.get()) != CONNECTION_OK) return;
    PGresult* r = PQexec(c.get(), "LISTEN noi_feed");
    const bool listening = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!listening) return;
    on_commit_();
    while (!stopping_) {
        pollfd fds[2] = {{PQsocket(c.get()), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (stopping_) return;
        if (!PQconsumeInput(c.get())) return; // the connection failed: made again by run()
        bool heard = false;
        while (PGnotify* n = PQnotifies(c.get())) {
            heard = true;
            PQfreemem(n);
        }
        if (heard) on_commit_();
        if (PQstatus(c.get()) != CONNECTION_OK) return;
    }
}

} // namespace noi
