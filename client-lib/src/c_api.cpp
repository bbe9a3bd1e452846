// The C API: opaque handles over tablet and replicator; every exception is caught here.
#include <noi/noi.h>

#include <noi/client/replicator.hpp>
#include <noi/client/server_settings.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/server_address.hpp>
#include <noi/sync/tablet.hpp>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>

struct noi_replica {
    std::string path;
    noi::system_clock wall;
    std::unique_ptr<noi::tablet> t;
    std::atomic<bool> stop{false};
    std::thread background;
    noi_schema_callback on_schema = nullptr;
    void* schema_user = nullptr;
};

namespace {

int fail(noi_error* err, int code, const std::string& message) {
    if (err) {
        err->code = code;
        std::snprintf(err->message, sizeof err->message, "%s", message.c_str());
    }
    return code;
}

int ok(noi_error* err) {
    if (err) {
        err->code = NOI_OK;
        err->message[0] = 0;
    }
    return NOI_OK;
}

template <class F> int guarded(noi_error* err, F f) noexcept {
    try {
        return f();
    } catch (const noi::client::settings_error& e) {
        return fail(err, NOI_ERR_USAGE, e.what());
    } catch (const noi::sync_error& e) {
        return fail(err, NOI_ERR, e.what());
    } catch (const std::exception& e) {
        return fail(err, NOI_ERR, e.what());
    } catch (...) {
        return fail(err, NOI_ERR, "an unknown error occurred in the Nối library");
    }
}

noi::client::replicator make_replicator(noi::tablet& t, const noi_replica& r) {
    if (r.on_schema)
        t.set_schema_listener([cb = r.on_schema, user = r.schema_user](
                                  std::uint32_t from, std::uint32_t to) { cb(from, to, user); });
    else
        t.set_schema_listener(nullptr);
    const auto settings = noi::client::stored_server_settings(t.rep());
    noi::client::replicator_options opt;
    opt.url = settings.url;
    opt.token = t.rep().meta_text("token").value_or("");
    opt.session.app_version = "noi-c/0.1.0";
    const auto wo =
        noi::client::transport_options(settings, "noi_set_server(replica, NULL, CA_FILE, 0, &err)");
    return noi::client::replicator(
        t, [wo] { return noi::client::make_websocket_transport(wo); }, opt);
}

std::string json_escape(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

} // namespace

extern "C" {

int noi_init(const char* path, const char* server_url, const char* token, noi_replica** out,
             noi_error* err) {
    if (!path || !server_url || !token || !out)
        return fail(err, NOI_ERR_USAGE, "path, server_url, token and out are required");
    return guarded(err, [&] {
        try {
            noi::parse_server_address(server_url);
        } catch (const noi::bad_server_address& e) {
            return fail(err, NOI_ERR_USAGE, e.what());
        }
        auto r = std::make_unique<noi_replica>();
        r->path = path;
        r->t = noi::tablet::create(path, r->wall);
        noi::transaction tx(r->t->rep().db());
        r->t->rep().set_meta_text("server_url", server_url);
        r->t->rep().set_meta_text("token", token);
        tx.commit();
        *out = r.release();
        return ok(err);
    });
}

int noi_open(const char* path, noi_replica** out, noi_error* err) {
    if (!path || !out) return fail(err, NOI_ERR_USAGE, "path and out are required");
    return guarded(err, [&] {
        auto r = std::make_unique<noi_replica>();
        r->path = path;
        r->t = noi::tablet::open(path, r->wall);
        *out = r.release();
        return ok(err);
    });
}

int noi_set_server(noi_replica* r, const char* server_url, const char* ca_file,
                   int allow_plain_http, noi_error* err) {
    if (!r) return fail(err, NOI_ERR_USAGE, "a replica is required");
    if (r->background.joinable())
        return fail(err, NOI_ERR_USAGE,
                    "stop the background sync (noi_stop_background_sync) before changing the "
                    "server, then start it again");
    return guarded(err, [&] {
        auto& rep = r->t->rep();
        auto given = [](const char* s) { return s ? std::optional<std::string>(s) : std::nullopt; };
        noi::client::store_server_settings(
            rep, noi::client::changed_settings(noi::client::stored_server_settings(rep),
                                               given(server_url), given(ca_file),
                                               allow_plain_http != 0));
        return ok(err);
    });
}

int noi_exec(noi_replica* r, const char* sql, noi_error* err) {
    if (!r || !sql) return fail(err, NOI_ERR_USAGE, "a replica and SQL are required");
    return guarded(err, [&] {
        r->t->exec(sql);
        return ok(err);
    });
}

int noi_query_json(noi_replica* r, const char* sql, char** json_out, noi_error* err) {
    if (!r || !sql || !json_out)
        return fail(err, NOI_ERR_USAGE, "a replica, SQL and json_out are required");
    return guarded(err, [&] {
        auto st = r->t->rep().db().prepare(sql);
        std::string out = "[";
        bool first_row = true;
        while (st.step()) {
            out += first_row ? "{" : ",{";
            first_row = false;
            for (int i = 0; i < st.columns(); ++i) {
                if (i) out += ",";
                out += json_escape(st.column_name(i)) + ":";
                auto v = st.column(i);
                if (noi::is_null(v))
                    out += "null";
                else if (auto* n = std::get_if<std::int64_t>(&v))
                    out += std::to_string(*n);
                else if (auto* d = std::get_if<double>(&v))
                    out += std::to_string(*d);
                else if (auto* s = std::get_if<std::string>(&v))
                    out += json_escape(*s);
                else
                    out += "null";
            }
            out += "}";
        }
        out += "]";
        *json_out = static_cast<char*>(std::malloc(out.size() + 1));
        if (!*json_out) return fail(err, NOI_ERR, "out of memory");
        std::memcpy(*json_out, out.c_str(), out.size() + 1);
        return ok(err);
    });
}

int noi_sync(noi_replica* r, int timeout_seconds, noi_error* err) {
    if (!r || timeout_seconds <= 0)
        return fail(err, NOI_ERR_USAGE, "a replica and a positive timeout are required");
    return guarded(err, [&] {
        auto rep = make_replicator(*r->t, *r);
        auto res = rep.sync(std::chrono::seconds(timeout_seconds));
        switch (res.outcome) {
        case noi::client::sync_outcome::done:
            return ok(err);
        case noi::client::sync_outcome::network:
            return fail(err, NOI_ERR_NETWORK, res.message + "; nothing was lost, retry later");
        case noi::client::sync_outcome::credentials:
            return fail(err, NOI_ERR_CREDENTIALS, res.message);
        case noi::client::sync_outcome::refused:
            return fail(err, NOI_ERR, res.message);
        }
        return fail(err, NOI_ERR, "unexpected sync outcome");
    });
}

int noi_start_background_sync(noi_replica* r, noi_error* err) {
    if (!r) return fail(err, NOI_ERR_USAGE, "a replica is required");
    if (r->background.joinable())
        return fail(err, NOI_ERR_USAGE, "background sync is already running");
    return guarded(err, [&] {
        r->stop = false;
        // Its own connection, so the app's writes on the handle show as changes to it.
        auto path = r->path;
        r->background = std::thread([r, path] {
            try {
                noi::system_clock wall;
                auto t = noi::tablet::open(path, wall);
                auto rep = make_replicator(*t, *r);
                rep.watch(r->stop);
            } catch (...) {
                // The app sees the state through noi_get_status; a dead background sync is
                // started again by the app.
            }
        });
        return ok(err);
    });
}

void noi_stop_background_sync(noi_replica* r) {
    if (!r || !r->background.joinable()) return;
    r->stop = true;
    r->background.join();
}

int noi_get_status(noi_replica* r, noi_status* out, noi_error* err) {
    if (!r || !out) return fail(err, NOI_ERR_USAGE, "a replica and out are required");
    return guarded(err, [&] {
        auto s = r->t->status();
        out->pending = s.pending;
        out->rejected = s.rejected;
        out->server_seq = s.server_seq;
        out->last_sync_at_ms = s.last_sync_at_ms.value_or(-1);
        return ok(err);
    });
}

int noi_get_schema_version(noi_replica* r, uint32_t* out, noi_error* err) {
    if (!r || !out) return fail(err, NOI_ERR_USAGE, "a replica and out are required");
    return guarded(err, [&] {
        *out = r->t->schema_version();
        return ok(err);
    });
}

int noi_set_schema_callback(noi_replica* r, noi_schema_callback cb, void* user, noi_error* err) {
    if (!r) return fail(err, NOI_ERR_USAGE, "a replica is required");
    if (r->background.joinable())
        return fail(err, NOI_ERR_USAGE,
                    "set the schema callback before noi_start_background_sync, or stop it first");
    r->on_schema = cb;
    r->schema_user = user;
    return ok(err);
}

void noi_close(noi_replica* r) {
    if (!r) return;
    noi_stop_background_sync(r);
    delete r;
}

void noi_free(char* p) {
    std::free(p);
}

} // extern "C"
