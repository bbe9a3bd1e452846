// The server's life: opening the data directory, binding, serving on N threads, and a clean
// stop that lets the database thread finish what it was committing.
#include <noi/pgstore/pg_store.hpp>
#include <noi/server/server.hpp>
#include <noi/sync/sqlite_store.hpp>

#include "data_dir_lock.hpp"
#include "database_copy.hpp"
#include "listener.hpp"
#include "server_state.hpp"
#include "store_location.hpp"

#include <noi/sync/error.hpp>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

namespace noi::server {
namespace {

bool is_loopback(const asio::ip::address& a) {
    return a.is_loopback();
}

// A restored backup must get a new epoch (docs/design.md §4): each start writes a fresh marker into
// the database and beside it; a database whose marker differs from the file's was copied in.
// Snapshots made by backup() carry a marker no start ever writes, so even one restored
// during the run it was taken in is seen.
void check_restored(const std::string& dir) {
    system_clock wall;
    auto store = sqlite_store::open(database_path(dir), wall);
    auto marker_file = dir + "/instance";
    std::string on_disk;
    if (std::ifstream in(marker_file); in) std::getline(in, on_disk);
    auto in_db = store->instance();
    if (!on_disk.empty() && on_disk != in_db) {
        auto tx = store->begin();
        store->new_epoch();
        tx->commit();
    }
    auto fresh = store->rep().new_uuid();
    store->set_instance(fresh);
    write_owner_only(marker_file, fresh + "\n");
}

// Makes dir for a new server, refusing one that holds a server already.
void make_data_dir(const std::string& dir) {
    namespace fs = std::filesystem;
    if (find_store(dir))
        throw sync_error(
            errc::already_exists,
            dir + " already holds a Nối server; use serve, or choose an empty directory");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw sync_error(errc::refused, "cannot create " + dir + ": " + ec.message());
    restrict_dir_to_owner(dir);
}

std::string add_first_admin(server_store& store) {
    auth_store auth(store);
    return auth.add_account("admin", "admin", {});
}

store_location store_of(const std::string& dir) {
    const auto where = find_store(dir);
    if (!where) throw sync_error(errc::not_a_replica, dir + " holds no Nối server");
    return *where;
}

// The SQLite file of a data directory, for what works on it alone (backup, migrate-store).
std::string sqlite_database(const std::string& dir, const char* advice) {
    if (store_of(dir).on_postgresql())
        throw sync_error(errc::refused, dir + " keeps its data in PostgreSQL: " + advice +
                                            " (docs/operations.md)");
    return database_path(dir);
}

} // namespace

std::string init_data_dir(const std::string& dir, const map_choice& map) {
    make_data_dir(dir);
    system_clock wall;
    auto store = sqlite_store::create(database_path(dir), wall, {}, {}, map);
    const auto token = add_first_admin(*store);
    store->set_instance("");
    return token;
}

std::optional<std::string> init_data_dir_on_postgresql(const std::string& dir,
                                                       const std::string& conninfo,
                                                       const map_choice& map) {
    check_pg_conninfo(conninfo);
    // The directory first: once the store is made, nothing may fail before the token is shown
    // (a second init would only join). It holds no store until store.json is written, last.
    make_data_dir(dir);
    system_clock wall;
    if (pg_store_exists(conninfo)) {
        record_postgresql_store(dir, conninfo);
        return std::nullopt;
    }
    std::string token;
    bool recorded = false;
    try {
        // The directory points at the store before it commits: once it is there, the token
        // shown is its only admin's.
        create_pg_store(conninfo, wall, {}, {}, map, [&](server_store& store) {
            token = add_first_admin(store);
            record_postgresql_store(dir, conninfo);
            recorded = true;
        });
    } catch (...) {
        if (recorded) forget_store(dir);
        throw;
    }
    return token;
}

std::vector<std::pair<std::string, std::uint64_t>>
migrate_store(const std::string& dir, const std::string& conninfo,
              const std::function<void(const std::string&, std::uint64_t)>& progress) {
    const auto db = sqlite_database(dir, "it was moved there already");
    data_dir_lock lock(dir);
    auto report = migrate_to_pg(db, conninfo, progress);
    record_postgresql_store(dir, conninfo);
    return report;
}

void backup(const std::string& dir, const std::string& file) {
    const auto db = sqlite_database(dir, "back it up with pg_basebackup and WAL archiving");
    if (std::filesystem::exists(file))
        throw sync_error(errc::already_exists, file + " exists; choose a new file name");
    copy_database(db, file);
    mark_snapshot(file, system_clock{}.now_ms());
}

void new_epoch(const std::string& dir) {
    const auto where = store_of(dir);
    data_dir_lock lock(dir);
    system_clock wall;
    auto store = open_store(dir, where, wall);
    auto tx = store->begin();
    store->new_epoch();
    tx->commit();
}

clock_repair repair_clock(const std::string& dir) {
    const auto where = store_of(dir);
    data_dir_lock lock(dir);
    system_clock wall;
    return open_store(dir, where, wall)->repair_clock();
}

std::unique_ptr<asio::ssl::context> load_tls(const server_config& cfg) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    try {
        ctx->use_certificate_chain_file(cfg.tls_cert);
        ctx->use_private_key_file(cfg.tls_key, asio::ssl::context::pem);
    } catch (const std::exception& e) {
        throw sync_error(errc::refused, "cannot use the certificate " + cfg.tls_cert + " and key " +
                                            cfg.tls_key + ": " + e.what() +
                                            "; give PEM files that belong together");
    }
    return ctx;
}

// Members go in reverse order: the sessions that handlers still queued on `ioc` hold use the
// TLS context and post their last job to the state, so both outlive the io_context.
struct server::impl {
    server_config cfg;
    std::optional<data_dir_lock> lock;
    std::unique_ptr<server_state> state;
    // On PostgreSQL: the other processes' commits, heard as they happen (LISTEN), reach this
    // one's sessions as NOTIFY at once; the poll of a shared server stays as the safety net.
    std::unique_ptr<pg_feed_watch> feed_watch;
    // Every certificate loaded (SIGHUP loads a new one): a connection keeps the context it was
    // accepted with, so none is freed while the server runs; a reload a day costs little.
    std::vector<std::unique_ptr<asio::ssl::context>> tls_generations;
    std::atomic<asio::ssl::context*> tls{nullptr};
    std::mutex reload_mu;
    asio::io_context ioc;
    std::shared_ptr<listener> lst;
    asio::executor_work_guard<asio::io_context::executor_type> work{asio::make_work_guard(ioc)};
    // Tells the log lines about devices held back in minutes that are over (server_state);
    // stop() ends it with the io_context.
    asio::steady_timer held_back_timer{ioc};

    // A shared server: the writes of the other processes reach this one's sessions as NOTIFY,
    // and the others hear that this one is alive (its sessions' claims hold).
    asio::steady_timer others_timer{ioc}, beat_timer{ioc};

    void tell_others_writes() {
        others_timer.expires_after(cfg.others_poll);
        others_timer.async_wait([this](beast::error_code ec) {
            if (ec) return;
            state->notify_others_writes();
            tell_others_writes();
        });
    }

    void beat() {
        beat_timer.expires_after(std::chrono::seconds(10));
        beat_timer.async_wait([this](beast::error_code ec) {
            if (ec) return;
            state->db([](server_store& s, auth_store&) { s.keep_alive(); });
            beat();
        });
    }

    void tell_held_back_lines() {
        held_back_timer.expires_after(std::chrono::seconds(10));
        held_back_timer.async_wait([this](beast::error_code ec) {
            if (ec) return;
            state->log_held_back();
            tell_held_back_lines();
        });
    }

    explicit impl(server_config c) : cfg(std::move(c)), ioc(std::max(1, cfg.threads)) {
        beast::error_code ec;
        auto addr = asio::ip::make_address(cfg.host, ec);
        if (ec)
            throw sync_error(errc::refused, "cannot use " + cfg.host +
                                                " as a listening address; give an IP address");
        bool tls = !cfg.tls_cert.empty();
        if (!tls && !cfg.behind_tls_proxy && !is_loopback(addr))
            throw sync_error(errc::refused,
                             "without TLS the server listens only on loopback; give --tls-cert and "
                             "--tls-key, or --behind-tls-proxy when a proxy terminates TLS");
        if (tls) {
            tls_generations.push_back(load_tls(cfg));
            this->tls = tls_generations.back().get();
        }
        const auto where = find_store(cfg.data_dir);
        if (!where)
            throw sync_error(errc::not_a_replica,
                             cfg.data_dir +
                                 " holds no Nối server; create one with noi-server init");
        lock.emplace(cfg.data_dir, cfg.shared_data);
        if (auto was = restrict_dir_to_owner(cfg.data_dir))
            spdlog::info("made {} readable by its owner only (it was {:o})", cfg.data_dir, *was);
        // A PostgreSQL store is restored with PostgreSQL's tools, and the operator then takes a
        // new epoch (noi-server new-epoch, docs/operations.md): other processes serve it too,
        // so no one data directory's mark can tell a restore from their starts.
        if (!where->on_postgresql()) check_restored(cfg.data_dir);
        state = std::make_unique<server_state>(cfg, *where);
        lst = std::make_shared<listener>(ioc, tcp::endpoint{addr, cfg.port}, *state, &this->tls);
        lst->run();
        tell_held_back_lines();
        if (where->on_postgresql())
            feed_watch = std::make_unique<pg_feed_watch>(where->postgresql,
                                                         [this] { state->notify_others_writes(); });
        if (cfg.shared_data || where->on_postgresql()) {
            tell_others_writes();
            beat();
        }
    }
};

server::server(server_config cfg) : impl_(std::make_unique<impl>(std::move(cfg))) {}

server::~server() {
    stop();
    impl_->feed_watch.reset();
    if (impl_->state) impl_->state->stop_db();
}

std::uint16_t server::port() const {
    return impl_->lst->local_endpoint().port();
}

std::string server::listen_address() const {
    auto ep = impl_->lst->local_endpoint();
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

void server::run() {
    std::vector<std::thread> extra;
    for (int i = 1; i < impl_->cfg.threads; ++i)
        extra.emplace_back([this] { impl_->ioc.run(); });
    impl_->ioc.run();
    for (auto& t : extra)
        t.join();
    // Whatever the database thread was committing finishes before we return.
    impl_->feed_watch.reset();
    impl_->state->stop_db();
}

bool server::reload_tls() {
    if (impl_->cfg.tls_cert.empty()) return false;
    try {
        auto ctx = load_tls(impl_->cfg);
        std::lock_guard lock(impl_->reload_mu);
        impl_->tls_generations.push_back(std::move(ctx));
        impl_->tls = impl_->tls_generations.back().get();
        spdlog::info("reloaded the certificate {}; new connections use it", impl_->cfg.tls_cert);
        return true;
    } catch (const std::exception& e) {
        spdlog::error("{}; new connections keep the certificate loaded before", e.what());
        return false;
    }
}

void server::stop() {
    // Stop accepting, send every sync session a close frame, and give them a moment to go;
    // the database thread then finishes what it was committing (run() joins it).
    asio::post(impl_->ioc, [this] {
        impl_->lst->stop();
        impl_->state->close_all();
        impl_->work.reset();
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        auto timer = std::make_shared<asio::steady_timer>(impl_->ioc);
        auto check = std::make_shared<std::function<void()>>();
        *check = [this, timer, deadline, check] {
            if (impl_->state->live_sessions() == 0 ||
                std::chrono::steady_clock::now() >= deadline) {
                impl_->ioc.stop();
                *check = nullptr; // breaks the cycle between the handler and itself
                return;
            }
            timer->expires_after(std::chrono::milliseconds(20));
            timer->async_wait([check](beast::error_code) {
                if (*check) (*check)();
            });
        };
        (*check)();
    });
}

} // namespace noi::server
