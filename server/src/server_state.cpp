#include "server_state.hpp"

#include <noi/sync/error.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <sstream>

namespace noi::server {

namespace {
// The /metrics view of silent devices uses the fleet status's default threshold.
constexpr std::int64_t silent_after_ms = 7LL * 86'400'000;

void tell_held_sessions(const std::string& device_id, std::size_t n) {
    spdlog::info("{} more sync sessions of device {} within a minute were not logged one by one", n,
                 device_id);
}

void tell_held_problems(const std::string& device_id, std::size_t n) {
    spdlog::warn("{} more warnings about device {} within a minute were not logged; the first "
                 "ones of that minute say what it did",
                 n, device_id);
}

} // namespace

server_state::server_state(const server_config& cfg, const store_location& where)
    : cfg_(cfg), db_work_(asio::make_work_guard(db_ioc_)),
      read_work_(asio::make_work_guard(read_ioc_)) {
    server_options so;
    so.clock_bound_ms = cfg.clock_bound_ms;
    so.max_open_conflicts_per_device = cfg.max_open_conflicts_per_device;
    // Opened here, used only on the database thread from now on.
    store_ = open_store(cfg.data_dir, where, wall_, {}, so);
    store_->limit_size(cfg.max_db_mib);
    if (store_->holds_stamps_beyond_clock())
        spdlog::error("the database holds stamps beyond the server's clock: a device poisoned it "
                      "under an earlier release, and later edits of those rows can be lost; stop "
                      "the server and run noi-server repair-clock (docs/operations.md)");
    auth_ = std::make_unique<auth_store>(*store_);
    db_thread_ = std::thread([this] { db_ioc_.run(); });
    reader_ = open_store(cfg.data_dir, where, wall_, {}, so);
    reader_auth_ = std::make_unique<auth_store>(*reader_);
    others_seen_ = reader_->committed_head();
    read_thread_ = std::thread([this] { read_ioc_.run(); });
}

server_state::~server_state() {
    stop_db();
    // Sessions destroyed after the threads stopped (their handlers were still queued when the
    // network stopped) posted their last jobs here: run them while the store they use exists.
    for (auto* ioc : {&read_ioc_, &db_ioc_}) {
        ioc->restart();
        ioc->poll();
    }
}

namespace {

// A job that lets a storage failure through (PostgreSQL lost, a disk failing) must not take
// the server down: requests that are answered catch their own; this catches the rest.
template <class Job> void guarded(const char* thread, Job&& job) {
    try {
        job();
    } catch (const std::exception& e) {
        spdlog::error("a job of the {} thread failed: {}", thread, e.what());
    }
}

} // namespace

void server_state::db(std::function<void(server_store&, auth_store&)> f) {
    asio::post(db_ioc_,
               [this, f = std::move(f)] { guarded("database", [&] { f(*store_, *auth_); }); });
}

void server_state::db_grouped(grouped_job job) {
    {
        std::lock_guard lock(group_mu_);
        group_.push_back(std::move(job));
        if (group_scheduled_) return;
        group_scheduled_ = true;
    }
    asio::post(db_ioc_, [this] { drain_group(); });
}

void server_state::drain_group() {
    std::vector<grouped_job> jobs;
    {
        std::lock_guard lock(group_mu_);
        jobs.swap(group_);
        group_scheduled_ = false;
    }
    auto started = std::chrono::steady_clock::now();
    std::vector<outcome> outcomes;
    bool committed = false;
    std::string why = "the server could not store the request; nothing of it was kept, retry later";
    storage_full_ = false;
    // Jobs before this index were rolled back by SQLite itself (it does so on a full disk):
    // they are answered as failed whatever becomes of the rest.
    std::size_t lost = 0;
    try {
        auto tx = store_->begin();
        const auto from = store_->server_seq(); // what the write lock found committed
        // Jobs answer their own errors (their parts roll back to a savepoint); what reaches
        // here is a failure of the group itself.
        for (auto& j : jobs) {
            outcomes.push_back(j(*store_, *auth_));
            if (!store_->in_transaction()) {
                lost = outcomes.size();
                store_->reopen_transaction();
            }
        }
        // What the group wrote, read under its lock: sequences a rolled-back request took
        // were never written, and another process may write them next. A group opened again
        // may have let another process write between (its lock retaken): none is noted.
        const auto to = lost == 0 && store_->server_seq() != from ? store_->committed_head() : from;
        tx->commit();
        committed = true;
        if (lost == 0 && to != from) {
            std::lock_guard lock(own_mu_);
            if (from != own_to_) own_from_ = from;
            own_to_ = to;
        }
    } catch (const std::exception& e) {
        spdlog::error("a group commit of {} requests failed: {}", jobs.size(), e.what());
        if (is_storage_full(e)) storage_full_ = true;
    }
    metrics_.commits++;
    metrics_.commit_us +=
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - started)
                                       .count());
    if (storage_full_) why = storage_full_message;
    // A group that failed part-way still answers every job it ran, as failed.
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        auto& o = outcomes[i];
        if (committed && i >= lost && o.committed) o.committed();
        if ((!committed || i < lost) && o.failed) o.failed(why);
    }
}

void server_state::log_session(const std::string& device_id, const std::string& line) {
    const auto v = session_lines_.allow(device_id);
    if (v.held_back) tell_held_sessions(device_id, v.held_back);
    if (v.write) spdlog::info("{}", line);
}

void server_state::log_problem(const std::string& device_id, spdlog::level::level_enum level,
                               const std::string& line) {
    const auto v = problem_lines_.allow(device_id);
    if (v.held_back) tell_held_problems(device_id, v.held_back);
    if (v.write) spdlog::log(level, "{}", line);
}

void server_state::log_held_back() {
    for (const auto& s : session_lines_.ended())
        tell_held_sessions(s.key, s.held_back);
    for (const auto& s : problem_lines_.ended())
        tell_held_problems(s.key, s.held_back);
}

void server_state::read(std::function<void(server_store&)> f) {
    asio::post(read_ioc_, [this, f = std::move(f)] { guarded("reader", [&] { f(*reader_); }); });
}

void server_state::read_admin(std::function<void(server_store&, auth_store&)> f) {
    asio::post(read_ioc_, [this, f = std::move(f)] {
        guarded("reader", [&] { f(*reader_, *reader_auth_); });
    });
}

void server_state::hashing(std::function<void()> f) {
    asio::post(hashing_, std::move(f));
}

void server_state::stop_db() {
    // A sign-in being checked posts its answer to the database thread: let it finish first.
    hashing_.join();
    if (read_thread_.joinable()) {
        read_work_.reset();
        read_thread_.join();
    }
    if (!db_thread_.joinable()) return;
    db_work_.reset();
    db_thread_.join();
}

void server_state::join(const std::shared_ptr<sync_connection>& s) {
    std::lock_guard lock(mu_);
    if (!live_.emplace(s.get(), s).second) return;
    metrics_.devices_connected++;
    device_sessions_peak_ = std::max(device_sessions_peak_, ++live_by_device_[s->dev().id]);
}

void server_state::leave(sync_connection* s) {
    std::lock_guard lock(mu_);
    if (!live_.erase(s)) return;
    metrics_.devices_connected--;
    auto it = live_by_device_.find(s->dev().id);
    if (it != live_by_device_.end() && --it->second == 0) live_by_device_.erase(it);
}

std::size_t server_state::live_sessions() {
    std::lock_guard lock(mu_);
    return live_.size();
}

std::size_t server_state::device_sessions_peak() {
    std::lock_guard lock(mu_);
    return device_sessions_peak_;
}

connection_slot::connection_slot(server_state& state, std::string address, bool counted_per_address)
    : state_(state), address_(std::move(address)), pending_(counted_per_address) {
    state_.open_connections_++;
}

connection_slot::~connection_slot() {
    no_longer_pending();
    session_ended();
    state_.open_connections_--;
}

void connection_slot::no_longer_pending() {
    if (!pending_) return;
    pending_ = false;
    std::lock_guard lock(state_.pending_mu_);
    auto it = state_.pending_by_address_.find(address_);
    if (it != state_.pending_by_address_.end() && --it->second == 0)
        state_.pending_by_address_.erase(it);
}

bool connection_slot::become_session(const std::string& device_id) {
    {
        // Counted and checked under one lock, so concurrent upgrades of a device cannot all
        // see room for one more.
        std::lock_guard lock(state_.mu_);
        auto& admitted = state_.admitted_by_device_;
        auto it = admitted.find(device_id);
        const std::size_t n = it == admitted.end() ? 0 : it->second;
        if (n >= state_.cfg_.max_sessions_per_device) return false;
        admitted[device_id] = n + 1;
        device_ = device_id;
    }
    no_longer_pending();
    return true;
}

void connection_slot::session_ended() {
    if (!device_) return;
    std::lock_guard lock(state_.mu_);
    auto it = state_.admitted_by_device_.find(*device_);
    if (it != state_.admitted_by_device_.end() && --it->second == 0)
        state_.admitted_by_device_.erase(it);
    device_.reset();
}

std::shared_ptr<connection_slot> server_state::admit(const std::string& address) {
    if (open_connections_ >= cfg_.max_connections) return nullptr;
    // A trusted proxy carries every client: its connections are told apart only by their
    // requests, so the per-address bound would throttle the whole province.
    const auto& proxies = cfg_.trusted_proxies;
    const bool per_address = std::find(proxies.begin(), proxies.end(), address) == proxies.end();
    if (per_address) {
        std::lock_guard lock(pending_mu_);
        auto& n = pending_by_address_[address];
        if (n >= cfg_.max_pending_per_address) return nullptr;
        ++n;
    }
    return std::make_shared<connection_slot>(*this, address, per_address);
}

void server_state::notify(const emissions& emitted, const sync_connection* except) {
    std::vector<std::pair<std::shared_ptr<sync_connection>, std::uint64_t>> targets;
    {
        std::lock_guard lock(mu_);
        for (auto& [p, w] : live_) {
            if (p == except) continue;
            auto s = w.lock();
            if (!s) continue;
            if (auto seq = emitted.for_device(s->dev())) targets.emplace_back(std::move(s), seq);
        }
    }
    for (auto& [s, seq] : targets)
        s->send_notify(seq);
}

void server_state::notify_others_writes() {
    read([this](server_store& s) {
        const auto head = s.committed_head();
        {
            std::lock_guard lock(own_mu_);
            if (others_seen_ >= own_from_) others_seen_ = std::max(others_seen_, own_to_);
        }
        if (head <= others_seen_) return;
        notify(s.emitted_since(others_seen_), nullptr);
        others_seen_ = head;
    });
}

void server_state::close_device(const std::string& device_id) {
    std::vector<std::shared_ptr<sync_connection>> targets;
    {
        std::lock_guard lock(mu_);
        for (auto& [p, w] : live_)
            if (auto s = w.lock(); s && s->dev().id == device_id) targets.push_back(std::move(s));
    }
    for (auto& s : targets)
        s->close_revoked();
}

void server_state::close_all() {
    std::vector<std::shared_ptr<sync_connection>> targets;
    {
        std::lock_guard lock(mu_);
        for (auto& [p, w] : live_)
            if (auto s = w.lock()) targets.push_back(std::move(s));
    }
    for (auto& s : targets)
        s->close_for_shutdown();
}

void server_state::counts(std::function<void(const store_counts&)> done) {
    auto fresh = [this] {
        return std::chrono::steady_clock::now() - counted_at_ < std::chrono::seconds(1);
    };
    {
        std::lock_guard lock(counts_mu_);
        if (fresh()) return done(counts_);
    }
    read([this, done = std::move(done), fresh](server_store& store) {
        std::unique_lock lock(counts_mu_);
        if (!fresh()) {
            lock.unlock();
            const auto c = store.counts(store.now_ms() - silent_after_ms);
            lock.lock();
            counts_ = c;
            counted_at_ = std::chrono::steady_clock::now();
        }
        const auto c = counts_;
        lock.unlock();
        done(c);
    });
}

std::string server_state::metrics_text(const store_counts& c) {
    auto& m = metrics_;
    std::ostringstream o;
    auto metric = [&](const char* name, const char* type, const char* help, auto v) {
        o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
          << name << " " << v << "\n";
    };
    metric("noi_connections_total", "counter", "TCP connections accepted", m.connections.load());
    metric("noi_devices_connected", "gauge", "sync sessions open now", m.devices_connected.load());
    metric("noi_device_sessions_peak", "gauge",
           "the most sync sessions one device has held at once since the server started",
           device_sessions_peak());
    metric("noi_pushes_total", "counter", "PUSH batches handled", m.pushes.load());
    metric("noi_rows_pushed_total", "counter", "row changes received", m.rows_pushed.load());
    metric("noi_cells_merged_total", "counter", "cells received and merged", m.cells_merged.load());
    metric("noi_pulls_total", "counter", "PULL requests answered", m.pulls.load());
    metric("noi_conflicts_recorded", "gauge", "conflicts in the conflicts table", c.conflicts);
    metric("noi_conflicts_open", "gauge", "conflicts no admin has resolved yet", c.conflicts_open);
    metric("noi_rows_quarantined", "gauge",
           "rejected rows in quarantine that are neither discarded nor released",
           c.quarantined_open);
    o << "# HELP noi_devices_silent unrevoked devices not heard from for 7 days (since their "
         "enrolment if never), by commune\n"
         "# TYPE noi_devices_silent gauge\n";
    for (const auto& [commune, n] : c.silent_by_commune)
        o << "noi_devices_silent{commune=\"" << commune << "\"} " << n << "\n";
    metric("noi_bytes_in_total", "counter", "sync message bytes received", m.bytes_in.load());
    metric("noi_bytes_out_total", "counter", "sync message bytes sent", m.bytes_out.load());
    metric("noi_commits_total", "counter", "push transactions committed", m.commits.load());
    metric("noi_commit_seconds_total", "counter", "time spent applying and committing pushes",
           static_cast<double>(m.commit_us.load()) / 1e6);
    metric("noi_auth_failures_total", "counter", "refused tokens", m.auth_failures.load());
    metric("noi_auth_limited_total", "counter",
           "requests refused for too many failed authentications", m.auth_limited.load());
    metric("noi_refused_connections_total", "counter", "connections refused over the limit",
           m.refused_connections.load());
    metric("noi_password_checks_total", "counter", "console passwords checked (Argon2id)",
           m.password_checks.load());
    metric("noi_password_checks_pending", "gauge",
           "console sign-ins waiting for their password's check or being checked",
           sign_ins_.pending());
    metric("noi_sign_ins_shed_total", "counter",
           "console sign-ins refused at once (503) because too many were waiting",
           m.sign_ins_shed.load());
    return o.str();
}

} // namespace noi::server
