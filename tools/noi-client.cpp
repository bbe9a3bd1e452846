// noi-client: a tablet in a terminal (CLI.md): init, set-token, set-server, exec, query, sync,
// status, watch.
#include "terminal_text.hpp"

#include <noi/client/replicator.hpp>
#include <noi/client/server_settings.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/tablet.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace {

using noi::tools::printable;

using json = nlohmann::json;
const std::string app_version = std::string("noi-client/") + NOI_VERSION;

enum exit_code { ok = 0, failure = 1, usage = 2, network = 3, credentials = 4 };

std::atomic<bool> stop_requested{false};
extern "C" void on_signal(int) {
    stop_requested = true;
}

json to_json(const noi::value& v) {
    return std::visit(
        [](const auto& x) -> json {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>)
                return nullptr;
            else if constexpr (std::is_same_v<T, noi::blob>)
                return noi::to_hex(x.bytes);
            else
                return x;
        },
        v);
}

std::string to_text(const noi::value& v) {
    auto j = to_json(v);
    if (j.is_null()) return "NULL";
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
}

json time_or_null(const std::optional<std::int64_t>& ms) {
    if (!ms) return nullptr;
    return noi::iso8601_ms(*ms);
}

int run_query(noi::tablet& t, const std::string& sql, bool as_json) {
    auto st = t.rep().db().prepare(sql);
    std::vector<std::string> names;
    for (int i = 0; i < st.columns(); ++i)
        names.push_back(st.column_name(i));
    json rows = json::array();
    if (!as_json && !names.empty()) {
        for (std::size_t i = 0; i < names.size(); ++i)
            std::cout << (i ? "\t" : "") << names[i];
        std::cout << "\n";
    }
    while (st.step()) {
        json row = json::object();
        for (int i = 0; i < st.columns(); ++i) {
            if (as_json)
                row[names[static_cast<std::size_t>(i)]] = to_json(st.column(i));
            else
                std::cout << (i ? "\t" : "") << to_text(st.column(i));
        }
        if (as_json)
            rows.push_back(std::move(row));
        else
            std::cout << "\n";
    }
    if (as_json) std::cout << rows.dump() << "\n";
    return ok;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"noi-client: a Nối tablet replica in a terminal"};
    app.set_version_flag("--version", std::string("noi-client ") + NOI_VERSION);
    app.require_subcommand(1);
    std::string db, url, token, ca_file, sql;
    bool as_json = false;
    int timeout = 60;

    auto* init =
        app.add_subcommand("init", "Create the replica with the default schema; no network needed");
    init->add_option("--db", db, "Replica file to create")->required();
    init->add_option(
            "--server", url,
            "Server address, https://HOST:PORT or http://HOST:PORT, or wss://HOST:PORT/sync "
            "as the console's QR code gives it")
        ->required();
    init->add_option("--token", token, "The device token from noi-admin device add")->required();
    if (const char* f = std::getenv("NOI_CA_FILE")) ca_file = f;
    init->add_option("--ca-file", ca_file,
                     "Extra trusted CA for https://, a private provincial CA (default "
                     "$NOI_CA_FILE); the replica keeps its absolute path");
    bool allow_plain_http = false;
    const auto plain_http_help = "Send the token over http:// to a server beyond this machine "
                                 "(only on a network you trust: anyone on the path can read it)";
    init->add_flag("--allow-plain-http", allow_plain_http, plain_http_help);
    std::string ca_sha256;
    init->add_option("--ca-sha256", ca_sha256,
                     "Trust the province's CA named by its SHA-256 (the enrolment QR code's "
                     "ca_sha256): found among the server's certificates at the first sync");

    auto* set_token = app.add_subcommand(
        "set-token",
        "Give the replica a new token: its own device's (noi-admin device token), or a new "
        "device's, which takes the replica and its pending writes over once the old device is "
        "revoked");
    set_token->add_option("--db", db, "Replica file")->required();
    set_token->add_option("--token", token, "The new device token")->required();

    auto* set_server = app.add_subcommand(
        "set-server",
        "Change the replica's server address or the CA it trusts; its pending writes, token and "
        "pull cursor stay (a replica made without --ca-file is repaired here)");
    set_server->add_option("--db", db, "Replica file")->required();
    auto* new_url = set_server->add_option(
        "--server", url,
        "The new address, https://HOST:PORT, http://HOST:PORT or wss://HOST:PORT/sync");
    // Not $NOI_CA_FILE: set-server changes only what its command line names.
    auto* new_ca =
        set_server->add_option("--ca-file", ca_file,
                               "The province's CA for https:// (the replica keeps its absolute "
                               "path)");
    bool system_cas_only = false;
    auto* no_ca = set_server->add_flag("--no-ca-file", system_cas_only,
                                       "Forget the CA file: trust only this machine's CAs");
    no_ca->excludes(new_ca);
    set_server->add_flag("--allow-plain-http", allow_plain_http, plain_http_help);

    auto* exec =
        app.add_subcommand("exec", "Run SQL on the replica; writes to synced tables are captured");
    exec->add_option("--db", db, "Replica file")->required();
    exec->add_option("sql", sql, "One or more SQL statements")->required();

    auto* query = app.add_subcommand("query", "Print the rows of a query");
    query->add_option("--db", db, "Replica file")->required();
    query->add_option("sql", sql, "A SELECT statement")->required();
    query->add_flag("--json", as_json, "An array of objects keyed by column name");

    auto* sync = app.add_subcommand(
        "sync", "Run one full round (push everything, pull everything), retrying after cuts");
    sync->add_option("--db", db, "Replica file")->required();
    sync->add_option("--timeout", timeout, "Give up after this many seconds (exit 3)")
        ->capture_default_str()
        ->check(CLI::Range(1, 86400));

    auto* watch = app.add_subcommand(
        "watch",
        "Stay connected: sync after each local change and each server NOTIFY, until Ctrl-C");
    watch->add_option("--db", db, "Replica file")->required();

    auto* status =
        app.add_subcommand("status", "What is pending, rejected and when the last round finished");
    status->add_option("--db", db, "Replica file")->required();
    status->add_flag("--json", as_json, "One JSON object");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? ok : usage;
    }

    noi::system_clock wall;
    try {
        if (*init) {
            // Checked before the file exists, so a refusal leaves nothing behind.
            const auto settings =
                noi::client::check_server_settings({url, ca_file, allow_plain_http, {}, {}});
            if (!ca_sha256.empty()) noi::client::checked_ca_pin(ca_sha256);
            auto t = noi::tablet::create(db, wall);
            noi::transaction tx(t->rep().db());
            noi::client::store_server_settings(t->rep(), settings);
            t->rep().set_meta_text("token", token);
            tx.commit();
            if (!ca_sha256.empty()) noi::client::pin_ca(t->rep(), ca_sha256);
            std::cerr << "created " << db << "; run noi-client sync --db " << db
                      << " when the network is up\n";
            return ok;
        }
        auto t = noi::tablet::open(db, wall);
        if (*set_server) {
            if (!*new_url && !*new_ca && !system_cas_only && !allow_plain_http) {
                std::cerr << "error: nothing to change; give --server URL, --ca-file FILE, "
                             "--no-ca-file or --allow-plain-http\n";
                return usage;
            }
            std::optional<std::string> new_url_text, new_ca_file;
            if (*new_url) new_url_text = url;
            if (*new_ca) new_ca_file = ca_file;
            if (system_cas_only) new_ca_file = "";
            noi::client::store_server_settings(
                t->rep(),
                noi::client::changed_settings(noi::client::stored_server_settings(t->rep()),
                                              new_url_text, new_ca_file, allow_plain_http));
            const auto now = noi::client::stored_server_settings(t->rep());
            std::cerr << "the replica " << db << " now syncs with " << now.url << " trusting "
                      << (now.ca_file.empty() ? "this machine's CAs" : "the CA in " + now.ca_file)
                      << "; its " << t->status().pending
                      << " pending changes stay and go up at the next sync\n";
            return ok;
        }
        if (*set_token) {
            if (token.size() < 16 || token.find_first_of(" \t\r\n") != std::string::npos) {
                std::cerr << "error: that is not a device token; copy the whole token noi-admin "
                             "device add or device token printed\n";
                return usage;
            }
            t->rep().set_meta_text("token", token);
            std::cerr << "the replica " << db << " now uses the new token; its "
                      << t->status().pending
                      << " pending changes stay and go up at the next sync\n";
            return ok;
        }
        if (*exec) {
            t->exec(sql);
            return ok;
        }
        if (*query) return run_query(*t, sql, as_json);
        if (*status) {
            auto s = t->status();
            auto rejected = t->rejected();
            const auto server = noi::client::stored_server_settings(t->rep());
            if (as_json) {
                json j{{"pending", s.pending},
                       {"rejected", s.rejected},
                       {"last_sync_at", time_or_null(s.last_sync_at_ms)},
                       {"server_seq", s.server_seq},
                       {"scope", s.scope.empty() ? json(nullptr) : json(s.scope)},
                       {"oldest_pending_at", time_or_null(s.oldest_pending_ms)},
                       {"schema_version", t->schema_version()},
                       {"server", server.url},
                       {"ca_file", server.ca_file.empty() ? json(nullptr) : json(server.ca_file)},
                       {"allow_plain_http", server.allow_plain_http}};
                json rows = json::array();
                for (const auto& r : rejected)
                    rows.push_back({{"quarantine_id", r.quarantine_id},
                                    {"table", r.table},
                                    {"row_id", r.row_id},
                                    {"reason", r.reason},
                                    {"message", r.message}});
                j["rejected_rows"] = rows;
                std::cout << j.dump() << "\n";
                return ok;
            }
            std::cout << "pending       " << s.pending
                      << (s.pending ? " row changes to send" : " (nothing to send)") << "\n"
                      << "last sync     "
                      << (s.last_sync_at_ms ? noi::iso8601_ms(*s.last_sync_at_ms) : "never") << "\n"
                      << "server seq    " << s.server_seq << "\n"
                      << "schema        version " << t->schema_version() << "\n"
                      << "scope         "
                      << (s.scope.empty() ? "not known yet (sync once)" : s.scope) << "\n"
                      << "server        " << server.url << "\n"
                      << "trusts        "
                      << (server.ca_file.empty() ? "this machine's CAs"
                                                 : "this machine's CAs and " + server.ca_file)
                      << "\n"
                      << "rejected      " << s.rejected << "\n";
            for (const auto& r : rejected)
                std::cout << "  #" << r.quarantine_id << " " << printable(r.table) << " "
                          << printable(r.row_id) << ": " << r.reason << " — "
                          << printable(r.message) << "\n";
            return ok;
        }
        const auto settings = noi::client::stored_server_settings(t->rep());
        noi::client::replicator_options opt;
        opt.url = settings.url;
        opt.token = t->rep().meta_text("token").value_or("");
        opt.session.app_version = app_version;
        const auto wo = noi::client::transport_options(
            settings, "noi-client set-server --db " + db + " --ca-file FILE", t->rep());
        noi::client::replicator rep(
            *t, [wo] { return noi::client::make_websocket_transport(wo); }, opt);
        t->set_schema_listener([](std::uint32_t from, std::uint32_t to) {
            std::cerr << "schema: the replica moved from version " << from << " to " << to
                      << " (the server published new tables or columns)\n";
        });
        if (*watch) {
            std::signal(SIGINT, on_signal);
            std::signal(SIGTERM, on_signal);
            auto r = rep.watch(stop_requested, [&](const noi::client::sync_result& round) {
                if (round.outcome == noi::client::sync_outcome::done)
                    std::cerr << "synced: pushed " << round.stats.rows_pushed << " rows, pulled "
                              << round.stats.rows_pulled << " rows\n";
                else
                    std::cerr << "not synced yet: " << round.message << "\n";
            });
            if (r.outcome == noi::client::sync_outcome::credentials ||
                r.outcome == noi::client::sync_outcome::wiped)
                return credentials;
            if (r.outcome == noi::client::sync_outcome::refused) return failure;
            return ok;
        }
        const bool tty = ::isatty(2);
        auto r = rep.sync(std::chrono::seconds(timeout), [&](const noi::client::sync_progress& p) {
            if (tty)
                std::fprintf(stderr, "\rattempt %d: pushed %llu rows, pulled %llu rows   ",
                             p.attempt, static_cast<unsigned long long>(p.stats.rows_pushed),
                             static_cast<unsigned long long>(p.stats.rows_pulled));
        });
        if (tty) std::fprintf(stderr, "\n");
        switch (r.outcome) {
        case noi::client::sync_outcome::done: {
            for (const auto& x : t->rejected())
                std::cerr << "rejected by the server: " << printable(x.table) << " "
                          << printable(x.row_id) << " (" << x.reason
                          << "): " << printable(x.message) << "\n";
            std::cerr << "synced: pushed " << r.stats.rows_pushed << " rows, pulled "
                      << r.stats.rows_pulled << " rows\n";
            return ok;
        }
        case noi::client::sync_outcome::credentials:
        case noi::client::sync_outcome::wiped:
            std::cerr << "error: " << r.message << "\n";
            return credentials;
        case noi::client::sync_outcome::refused:
            std::cerr << "error: " << r.message << "\n";
            return failure;
        case noi::client::sync_outcome::cancelled:
            std::cerr << "error: " << r.message << "\n";
            return network;
        case noi::client::sync_outcome::network:
            std::cerr << "error: could not finish a round in " << timeout << " s (" << r.message
                      << "); nothing was lost, run sync again when the network is better\n";
            return network;
        }
    } catch (const noi::client::settings_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return usage;
    } catch (const noi::sync_error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return failure;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return failure;
    }
    return failure;
}
