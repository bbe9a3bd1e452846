// A real noi::server on 127.0.0.1, port 0, in this process (its own thread), with a fresh data
// directory; devices are enrolled through the admin API over HTTP.
#pragma once

#include "server_db.hpp"
#include "temp_dir.hpp"

#include <noi/client/replicator.hpp>
#include <noi/server/server.hpp>

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace noi::test {

struct enrolled {
    std::string device_id, token, scope;
};

class live_server {
public:
    // With tls, the server speaks https:// and wss:// with a certificate made for the test.
    explicit live_server(bool tls = false, std::function<void(server::server_config&)> tune = {});
    void stop(); // idempotent; the destructor stops too
    ~live_server();
    std::string url() const;
    std::uint16_t port() const { return srv_->port(); }
    std::string data_dir() const { return dir_.path() + "/server"; }
    const std::string& admin_token() const { return admin_; }
    const std::string& ca_file() const { return ca_file_; }
    enrolled enrol(const std::string& commune); // "*" for province-wide
    void revoke(const std::string& device_id);

private:
    temp_dir dir_;
    test_store store_;
    std::string admin_, ca_file_;
    std::unique_ptr<noi::server::server> srv_;
    std::thread thread_;
    bool stopped_ = false;
};

// A tablet replica with the replicator wired to a server.
struct test_tablet {
    system_clock wall;
    std::unique_ptr<tablet> t;
    std::string url, token, ca_file;

    test_tablet(const std::string& path, std::string url_, std::string token_);
    client::sync_result sync(std::chrono::milliseconds timeout = std::chrono::seconds(30),
                             std::string via_url = "");
    std::int64_t count(const std::string& sql);
};

} // namespace noi::test
