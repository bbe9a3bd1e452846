// The C API: opaque handles over tablet and replicator; every exception is caught here.
#include <noi/noi.h>

#include <noi/client/replicator.hpp>
#include <noi/client/server_settings.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/messages.hpp>
#include <noi/sync/schema_labels_json.hpp>
#include <noi/sync/server_address.hpp>
#include <noi/sync/tablet.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct noi_replica {
    std::string path;
    noi::system_clock wall;
    std::unique_ptr<noi::tablet> t;
    std::atomic<bool> stop{false};
    std::thread background;
    std::optional<std::string> token; // given by noi_set_token, not kept in the replica
    noi_schema_callback on_schema = nullptr;
    void* schema_user = nullptr;
    noi_changes_callback on_changes = nullptr;
    void* changes_user = nullptr;
    noi_wipe_callback on_wipe = nullptr;
    void* wipe_user = nullptr;
    noi_progress_callback on_progress = nullptr;
    void* progress_user = nullptr;
    noi_log_callback on_log = nullptr;
    void* log_user = nullptr;
    // The replicators running now, for noi_cancel_sync and noi_stop_background_sync, which come
    // from other threads.
    std::mutex running_mutex;
    noi::client::replicator* foreground = nullptr;
    noi::client::replicator* background_rep = nullptr;
    // A noi_sync is under way (from its start, before its replicator exists), and a cancel came
    // for it before the replicator did.
    bool syncing = false;
    bool cancel_pending = false;
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

std::string token_of(noi::tablet& t, const noi_replica& r) {
    return r.token ? *r.token : t.rep().meta_text("token").value_or("");
}

constexpr const char* no_token =
    "the replica holds no device token: give it with noi_set_token (an app keeping it in the "
    "Android Keystore gives it after each open)";

noi::client::replicator make_replicator(noi::tablet& t, const noi_replica& r) {
    if (r.on_schema)
        t.set_schema_listener([cb = r.on_schema, user = r.schema_user](
                                  std::uint32_t from, std::uint32_t to) { cb(from, to, user); });
    else
        t.set_schema_listener(nullptr);
    if (r.on_changes)
        t.set_changes_listener(
            [cb = r.on_changes, user = r.changes_user](const noi::tablet::row_changes& by_table) {
                for (const auto& [table, ids] : by_table) {
                    std::vector<const char*> ptrs;
                    ptrs.reserve(ids.size());
                    for (const auto& id : ids)
                        ptrs.push_back(id.c_str());
                    cb(table.c_str(), ptrs.data(), ptrs.size(), user);
                }
            });
    else
        t.set_changes_listener(nullptr);
    if (r.on_wipe)
        t.set_wipe_listener(
            [cb = r.on_wipe, user = r.wipe_user](std::int64_t at) { cb(at, user); });
    else
        t.set_wipe_listener(nullptr);
    const auto settings = noi::client::stored_server_settings(t.rep());
    noi::client::replicator_options opt;
    opt.url = settings.url;
    opt.token = token_of(t, r);
    opt.session.app_version = "noi-c/0.1.0";
    const auto wo = noi::client::transport_options(
        settings, "noi_set_server(replica, NULL, CA_FILE, 0, &err)", t.rep());
    return noi::client::replicator(
        t, [wo] { return noi::client::make_websocket_transport(wo); }, opt);
}

// The app's progress callback fed from the replicator's reports: at most four a second, but
// every change of phase, and the log lines the reports call for.
class reporter {
public:
    explicit reporter(const noi_replica& r)
        : on_progress_(r.on_progress), progress_user_(r.progress_user), on_log_(r.on_log),
          log_user_(r.log_user) {}

    void operator()(const noi::client::sync_progress& p) {
        if (p.phase == noi::client::sync_phase::waiting)
            log(NOI_LOG_WARN, "sync attempt " + std::to_string(p.attempt) +
                                  " failed: " + p.waiting_because + "; trying again in " +
                                  seconds(p.retry_in.count()));
        if (!on_progress_) return;
        const auto now = std::chrono::steady_clock::now();
        if (p.phase == last_phase_ && now - last_ < std::chrono::milliseconds(250)) return;
        last_phase_ = p.phase;
        last_ = now;
        noi_progress out{};
        out.phase = phase_of(p.phase);
        out.attempt = p.attempt;
        out.rows_sent = p.stats.rows_pushed;
        out.rows_to_send = p.rows_to_send;
        out.bytes_sent = p.bytes_sent;
        out.bytes_to_send = p.bytes_to_send;
        out.rows_received = p.stats.rows_pulled;
        out.bytes_received = p.bytes_received;
        out.stall = stall_of(p.stalled);
        out.retry_in_ms = p.retry_in.count();
        out.message = p.waiting_because.c_str();
        on_progress_(&out, progress_user_);
    }

    // A round's end: a log line, and for a background round that did not finish, the stall
    // it ends in (the background sync waits and tries again by itself).
    void ended(const noi::client::sync_result& r, bool background) {
        if (r.outcome == noi::client::sync_outcome::done) {
            log(NOI_LOG_INFO, "synced: pushed " + std::to_string(r.stats.rows_pushed) +
                                  " rows, pulled " + std::to_string(r.stats.rows_pulled) + " rows");
            return;
        }
        if (r.outcome == noi::client::sync_outcome::cancelled) {
            log(NOI_LOG_INFO, r.message);
            return;
        }
        const bool final = r.outcome != noi::client::sync_outcome::network;
        log(final ? NOI_LOG_ERROR : NOI_LOG_WARN,
            std::string(final ? "sync refused: " : "not synced yet: ") + r.message);
        if (background && on_progress_) {
            noi_progress out{};
            out.phase = NOI_PHASE_WAITING;
            out.attempt = r.attempts;
            out.stall = stall_of(r.stalled);
            out.message = r.message.c_str();
            on_progress_(&out, progress_user_);
            last_phase_ = noi::client::sync_phase::waiting;
        }
    }

    void log(int level, const std::string& message) const {
        if (on_log_) on_log_(level, message.c_str(), log_user_);
    }

private:
    static int phase_of(noi::client::sync_phase p) {
        switch (p) {
        case noi::client::sync_phase::connecting:
            return NOI_PHASE_CONNECTING;
        case noi::client::sync_phase::pushing:
            return NOI_PHASE_PUSHING;
        case noi::client::sync_phase::pulling:
            return NOI_PHASE_PULLING;
        case noi::client::sync_phase::waiting:
            return NOI_PHASE_WAITING;
        case noi::client::sync_phase::done:
            return NOI_PHASE_DONE;
        }
        return NOI_PHASE_CONNECTING;
    }
    static int stall_of(noi::client::stall_reason s) {
        switch (s) {
        case noi::client::stall_reason::none:
            return NOI_STALL_NONE;
        case noi::client::stall_reason::network:
            return NOI_STALL_NETWORK;
        case noi::client::stall_reason::credentials:
            return NOI_STALL_CREDENTIALS;
        case noi::client::stall_reason::server_behind:
            return NOI_STALL_SERVER_BEHIND;
        case noi::client::stall_reason::quota:
            return NOI_STALL_QUOTA;
        case noi::client::stall_reason::refused:
            return NOI_STALL_REFUSED;
        }
        return NOI_STALL_REFUSED;
    }
    static std::string seconds(std::int64_t ms) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
        return buf;
    }

    noi_progress_callback on_progress_;
    void* progress_user_;
    noi_log_callback on_log_;
    void* log_user_;
    std::optional<noi::client::sync_phase> last_phase_;
    std::chrono::steady_clock::time_point last_{};
};

// The span of a noi_sync, for noi_cancel_sync and the callback setters, which come from other
// threads or from the callbacks themselves.
class syncing_span {
public:
    explicit syncing_span(noi_replica& r) : r_(r) { mark(true); }
    ~syncing_span() { mark(false); }
    syncing_span(const syncing_span&) = delete;
    syncing_span& operator=(const syncing_span&) = delete;

private:
    void mark(bool on) {
        std::lock_guard lock(r_.running_mutex);
        r_.syncing = on;
        r_.cancel_pending = false;
    }
    noi_replica& r_;
};

// Registers a running replicator in `slot` for the calls that cancel it from other threads.
class running {
public:
    // `foreground`: the slot is noi_sync's, and a cancel that came before it is honoured.
    running(noi_replica& r, noi::client::replicator*& slot, noi::client::replicator& rep,
            bool foreground)
        : r_(r), slot_(slot) {
        std::lock_guard lock(r_.running_mutex);
        slot_ = &rep;
        if (foreground && r_.cancel_pending) rep.cancel();
    }
    ~running() {
        std::lock_guard lock(r_.running_mutex);
        slot_ = nullptr;
    }
    running(const running&) = delete;
    running& operator=(const running&) = delete;

private:
    noi_replica& r_;
    noi::client::replicator*& slot_;
};

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

// What the background sync read when it started changes only while it is stopped.
int refuse_while_background(noi_error* err, const char* doing) {
    return fail(err, NOI_ERR_USAGE,
                std::string("stop the background sync (noi_stop_background_sync) before ") + doing +
                    ", then start it again");
}

// The callbacks are read when a sync starts, so the background sync's stay as they were while
// it runs.
template <class Set> int set_callback(noi_replica* r, noi_error* err, const char* which, Set set) {
    if (!r) return fail(err, NOI_ERR_USAGE, "a replica is required");
    if (r->background.joinable())
        return fail(err, NOI_ERR_USAGE,
                    std::string("set the ") + which +
                        " callback before noi_start_background_sync, or stop it first");
    {
        // A callback changing the callbacks of the sync that calls it.
        std::lock_guard lock(r->running_mutex);
        if (r->syncing)
            return fail(err, NOI_ERR_USAGE,
                        std::string("the ") + which +
                            " callback cannot change while noi_sync runs");
    }
    set();
    return ok(err);
}

// A value as JSON: text and numbers as they are; a blob, which JSON cannot hold, as null.
std::string json_value(const noi::value& v) {
    if (auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
    if (auto* d = std::get_if<double>(&v)) return std::to_string(*d);
    if (auto* s = std::get_if<std::string>(&v)) return json_escape(*s);
    return "null";
}

// An answer to a rejected row: what the officer got wrong (an id not kept, a correction the
// rules refuse) is the app's to show, as a usage error.
template <class F> int answering(noi_error* err, F f) {
    return guarded(err, [&] {
        try {
            f();
        } catch (const noi::sync_error& e) {
            if (e.code() != noi::errc::refused) throw;
            return fail(err, NOI_ERR_USAGE, e.what());
        }
        return ok(err);
    });
}

// A string the app frees with noi_free.
int give(std::string out, char** json_out, noi_error* err) {
    *json_out = static_cast<char*>(std::malloc(out.size() + 1));
    if (!*json_out) return fail(err, NOI_ERR, "out of memory");
    std::memcpy(*json_out, out.c_str(), out.size() + 1);
    return ok(err);
}

} // namespace

extern "C" {

int noi_init(const char* path, const char* server_url, const char* token, noi_replica** out,
             noi_error* err) {
    if (!path || !server_url || !out)
        return fail(err, NOI_ERR_USAGE, "path, server_url and out are required");
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
        r->t->rep().set_meta_text("token", token ? token : "");
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
    if (r->background.joinable()) return refuse_while_background(err, "changing the server");
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

int noi_set_token(noi_replica* r, const char* token, int keep_in_replica, noi_error* err) {
    if (!r || !token || !*token)
        return fail(err, NOI_ERR_USAGE, "a replica and a token are required");
    if (r->background.joinable()) return refuse_while_background(err, "giving the token");
    return guarded(err, [&] {
        r->t->rep().set_meta_text("token", keep_in_replica ? token : "");
        r->token = token;
        return ok(err);
    });
}

int noi_pin_ca(noi_replica* r, const char* sha256_hex, noi_error* err) {
    if (!r || !sha256_hex)
        return fail(err, NOI_ERR_USAGE, "a replica and a fingerprint are required");
    if (r->background.joinable()) return refuse_while_background(err, "pinning the CA");
    return guarded(err, [&] {
        noi::client::pin_ca(r->t->rep(), sha256_hex);
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
                out += json_escape(st.column_name(i)) + ":" + json_value(st.column(i));
            }
            out += "}";
        }
        out += "]";
        return give(std::move(out), json_out, err);
    });
}

int noi_rejections_json(noi_replica* r, const char* lang, char** json_out, noi_error* err) {
    if (!r || !json_out) return fail(err, NOI_ERR_USAGE, "a replica and json_out are required");
    const std::string l = lang ? lang : "vi";
    if (l != "vi" && l != "en")
        return fail(err, NOI_ERR_USAGE, "the language is \"vi\" or \"en\", not \"" + l + "\"");
    const auto language = noi::language_named(l).value_or(noi::language::vi);
    return guarded(err, [&] {
        std::string out = "[";
        for (const auto& x : r->t->rejected()) {
            if (out.size() > 1) out += ",";
            const auto advice = noi::reason_advice(x.reason);
            const auto message = noi::in_both(x.message);
            out += "{\"id\":" + std::to_string(x.quarantine_id) +
                   ",\"table\":" + json_escape(x.table) + ",\"row_id\":" + json_escape(x.row_id) +
                   ",\"reason\":" + json_escape(x.reason) + ",\"explanation\":" +
                   json_escape(language == noi::language::vi ? advice.vi : advice.en) +
                   ",\"explanation_vi\":" + json_escape(advice.vi) +
                   ",\"explanation_en\":" + json_escape(advice.en) +
                   ",\"message\":" + json_escape(x.message) +
                   ",\"message_vi\":" + json_escape(message.vi) +
                   ",\"recorded_at_ms\":" + std::to_string(x.recorded_at_ms) + ",\"values\":{";
            const auto* def = r->t->rep().tables().find(x.table);
            for (std::size_t i = 0; def && i < x.values.size() && i < def->columns.size(); ++i) {
                if (i) out += ',';
                out += json_escape(def->columns[i].name);
                out += ':';
                out += json_value(x.values[i]);
            }
            out +=
                "},\"answer\":" + (x.answer ? json_escape(*x.answer) : std::string("null")) + "}";
        }
        out += "]";
        return give(std::move(out), json_out, err);
    });
}

int noi_conflicts_json(noi_replica* r, char** json_out, noi_error* err) {
    if (!r || !json_out) return fail(err, NOI_ERR_USAGE, "a replica and json_out are required");
    return guarded(err, [&] {
        std::string out = "[";
        for (const auto& c : r->t->conflicts()) {
            if (out.size() > 1) out += ",";
            out += "{\"id\":" + std::to_string(c.conflict_id) +
                   ",\"table\":" + json_escape(c.table) + ",\"row_id\":" + json_escape(c.row_id) +
                   ",\"column\":" + (c.column ? json_escape(*c.column) : std::string("null")) +
                   ",\"status\":" + (c.decided ? "\"decided\"" : "\"review\"") +
                   ",\"kept\":" + json_value(c.kept) +
                   ",\"noticed_at_ms\":" + std::to_string(c.noticed_at_ms) + ",\"decided_at_ms\":" +
                   (c.decided_at_ms ? std::to_string(*c.decided_at_ms) : std::string("null")) + "}";
        }
        out += "]";
        return give(std::move(out), json_out, err);
    });
}

int noi_labels_json(noi_replica* r, char** json_out, noi_error* err) {
    if (!r || !json_out) return fail(err, NOI_ERR_USAGE, "a replica and json_out are required");
    return guarded(err, [&] {
        return give(noi::schema_json(r->t->rep().tables(), r->t->labels()).dump(), json_out, err);
    });
}

int noi_drop_rejected(noi_replica* r, uint64_t id, noi_error* err) {
    if (!r) return fail(err, NOI_ERR_USAGE, "a replica is required");
    return answering(err, [&] { r->t->drop_rejected(id); });
}

int noi_resend_rejected(noi_replica* r, uint64_t id, const char* corrections_json, noi_error* err) {
    if (!r) return fail(err, NOI_ERR_USAGE, "a replica is required");
    std::vector<std::pair<std::string, noi::value>> corrections;
    if (corrections_json) {
        auto j = nlohmann::json::parse(corrections_json, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return fail(err, NOI_ERR_USAGE,
                        "the corrections are a JSON object of column to value, for example "
                        "{\"commune_code\": \"01906\"}");
        for (const auto& [column, v] : j.items()) {
            if (v.is_string())
                corrections.emplace_back(column, v.get<std::string>());
            else if (v.is_number_unsigned() &&
                     v.get<std::uint64_t>() >
                         static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                return fail(err, NOI_ERR_USAGE,
                            "the correction of " + column + " is beyond a 64-bit integer");
            else if (v.is_number_integer())
                corrections.emplace_back(column, v.get<std::int64_t>());
            else if (v.is_number())
                corrections.emplace_back(column, v.get<double>());
            else if (v.is_null())
                corrections.emplace_back(column, noi::value{});
            else
                return fail(err, NOI_ERR_USAGE,
                            "the correction of " + column + " is not text, a number or null");
        }
    }
    return answering(err, [&] { r->t->resend_rejected(id, corrections); });
}

int noi_sync(noi_replica* r, int timeout_seconds, noi_error* err) {
    if (!r || timeout_seconds <= 0)
        return fail(err, NOI_ERR_USAGE, "a replica and a positive timeout are required");
    syncing_span span(*r);
    return guarded(err, [&] {
        if (token_of(*r->t, *r).empty()) return fail(err, NOI_ERR_CREDENTIALS, no_token);
        auto rep = make_replicator(*r->t, *r);
        reporter report(*r);
        noi::client::sync_result res;
        {
            running now(*r, r->foreground, rep, true);
            res = rep.sync(std::chrono::seconds(timeout_seconds), std::ref(report));
        }
        report.ended(res, false);
        switch (res.outcome) {
        case noi::client::sync_outcome::done:
            return ok(err);
        case noi::client::sync_outcome::cancelled:
            return fail(err, NOI_ERR_CANCELLED, res.message);
        case noi::client::sync_outcome::network:
            return fail(err, NOI_ERR_NETWORK, res.message + "; nothing was lost, retry later");
        case noi::client::sync_outcome::credentials:
            return fail(err, NOI_ERR_CREDENTIALS, res.message);
        case noi::client::sync_outcome::refused:
            return fail(err, NOI_ERR, res.message);
        case noi::client::sync_outcome::wiped:
            return fail(err, NOI_ERR_WIPED, res.message);
        }
        return fail(err, NOI_ERR, "unexpected sync outcome");
    });
}

int noi_start_background_sync(noi_replica* r, noi_error* err) {
    if (!r) return fail(err, NOI_ERR_USAGE, "a replica is required");
    if (r->background.joinable())
        return fail(err, NOI_ERR_USAGE, "background sync is already running");
    return guarded(err, [&] {
        if (token_of(*r->t, *r).empty()) return fail(err, NOI_ERR_CREDENTIALS, no_token);
        r->stop = false;
        // Its own connection, so the app's writes on the handle show as changes to it.
        auto path = r->path;
        r->background = std::thread([r, path] {
            reporter report(*r);
            try {
                noi::system_clock wall;
                auto t = noi::tablet::open(path, wall);
                auto rep = make_replicator(*t, *r);
                running now(*r, r->background_rep, rep, false);
                if (r->stop) return;
                const auto last = rep.watch(r->stop, [&](const noi::client::sync_result& round) {
                    report.ended(round, true);
                });
                if (!r->stop)
                    report.log(NOI_LOG_ERROR, "the background sync stopped: " + last.message);
            } catch (const std::exception& e) {
                // The app sees the state through noi_get_status and this line; it starts the
                // background sync again.
                report.log(NOI_LOG_ERROR, std::string("the background sync stopped: ") + e.what());
            }
        });
        return ok(err);
    });
}

void noi_stop_background_sync(noi_replica* r) {
    if (!r || !r->background.joinable()) return;
    r->stop = true;
    {
        std::lock_guard lock(r->running_mutex);
        if (r->background_rep) r->background_rep->cancel();
    }
    r->background.join();
}

void noi_cancel_sync(noi_replica* r) {
    if (!r) return;
    std::lock_guard lock(r->running_mutex);
    if (r->foreground)
        r->foreground->cancel();
    else if (r->syncing)
        r->cancel_pending = true;
}

int noi_set_progress_callback(noi_replica* r, noi_progress_callback cb, void* user,
                              noi_error* err) {
    return set_callback(r, err, "progress", [&] {
        r->on_progress = cb;
        r->progress_user = user;
    });
}

int noi_set_changes_callback(noi_replica* r, noi_changes_callback cb, void* user, noi_error* err) {
    return set_callback(r, err, "changes", [&] {
        r->on_changes = cb;
        r->changes_user = user;
    });
}

int noi_set_wipe_callback(noi_replica* r, noi_wipe_callback cb, void* user, noi_error* err) {
    return set_callback(r, err, "wipe", [&] {
        r->on_wipe = cb;
        r->wipe_user = user;
    });
}

int noi_set_log_callback(noi_replica* r, noi_log_callback cb, void* user, noi_error* err) {
    return set_callback(r, err, "log", [&] {
        r->on_log = cb;
        r->log_user = user;
    });
}

int noi_get_status(noi_replica* r, noi_status* out, noi_error* err) {
    if (!r || !out) return fail(err, NOI_ERR_USAGE, "a replica and out are required");
    return guarded(err, [&] {
        auto s = r->t->status();
        out->pending = s.pending;
        out->rejected = s.rejected;
        out->server_seq = s.server_seq;
        out->last_sync_at_ms = s.last_sync_at_ms.value_or(-1);
        out->wiped_at_ms = r->t->wiped_at_ms().value_or(-1);
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
    return set_callback(r, err, "schema", [&] {
        r->on_schema = cb;
        r->schema_user = user;
    });
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
