#include "live_server.hpp"

#include "test_certificate.hpp"

#include <admin/http_client.hpp>

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace noi::test {

live_server::live_server(bool tls, std::function<void(server::server_config&)> tune) {
    admin_ = store_.init(data_dir());
    server::server_config cfg;
    cfg.data_dir = data_dir();
    cfg.port = 0;
    if (tls) {
        auto files = make_test_certificate(dir_.path());
        cfg.tls_cert = files.cert;
        cfg.tls_key = files.key;
        ca_file_ = files.cert;
    }
    if (tune) tune(cfg);
    srv_ = std::make_unique<server::server>(cfg);
    thread_ = std::thread([this] { srv_->run(); });
}

live_server::~live_server() {
    stop();
}

void live_server::stop() {
    if (stopped_) return;
    stopped_ = true;
    srv_->stop();
    thread_.join();
}

std::string live_server::url() const {
    return (ca_file_.empty() ? "http://" : "https://") + srv_->listen_address();
}

enrolled live_server::enrol(const std::string& commune) {
    nlohmann::json body{{"name", "test " + commune}};
    if (commune == "*")
        body["province"] = true;
    else
        body["commune"] = commune;
    auto r = admin::request(url(), "POST", "/admin/v1/devices", admin_, body.dump(), ca_file_);
    if (r.status != 201) throw std::runtime_error("enrol failed: " + r.body);
    auto j = nlohmann::json::parse(r.body);
    return {j["device_id"], j["token"], j["scope"]};
}

void live_server::revoke(const std::string& device_id) {
    auto r = admin::request(url(), "POST", "/admin/v1/devices/" + device_id + "/revoke", admin_, "",
                            ca_file_);
    if (r.status != 200) throw std::runtime_error("revoke failed: " + r.body);
}

test_tablet::test_tablet(const std::string& path, std::string url_, std::string token_)
    : t(tablet::create(path, wall)), url(std::move(url_)), token(std::move(token_)) {}

client::sync_result test_tablet::sync(std::chrono::milliseconds timeout, std::string via_url) {
    client::replicator_options opt;
    opt.url = via_url.empty() ? url : via_url;
    opt.token = token;
    opt.first_backoff = std::chrono::milliseconds(50);
    opt.max_backoff = std::chrono::milliseconds(500);
    opt.message_timeout = std::chrono::milliseconds(5000);
    client::websocket_options wo;
    wo.ca_file = ca_file;
    client::replicator r(
        *t, [wo] { return client::make_websocket_transport(wo); }, opt);
    return r.sync(timeout);
}

std::int64_t test_tablet::count(const std::string& sql) {
    auto st = t->rep().db().prepare(sql);
    st.step();
    return st.column_int(0);
}

} // namespace noi::test
