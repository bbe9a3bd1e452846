#include "pg_connection.hpp"

#include <noi/sync/error.hpp>

#include <endian.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>

namespace noi::pg {
namespace {

// The type oids of pg_type.h that results here carry.
constexpr Oid bool_oid = 16, int8_oid = 20, int2_oid = 21, int4_oid = 23, float4_oid = 700,
              float8_oid = 701;

template <typename T> T read_be(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// The savepoint of a transaction nested at `level`. Built by appending: GCC 12 at -O3 warns
// falsely (-Wrestrict) on a literal added to a temporary string.
std::string savepoint(int level) {
    std::string name = "noi_";
    name += std::to_string(level);
    return name;
}

std::string first_line(const char* message) {
    std::string m = message ? message : "";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' '))
        m.pop_back();
    return m;
}

} // namespace

param::param(double v) : binary(false) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    data = buf;
}

param param::of(const value& v) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    if (const auto* b = std::get_if<noi::blob>(&v)) return blob(*b);
    return {};
}

param param::texts(const std::vector<std::string>& items) {
    std::string out = "{";
    for (const auto& item : items) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (char ch : item) {
            if (ch == '"' || ch == '\\') out += '\\';
            out += ch;
        }
        out += '"';
    }
    out += '}';
    return parsed(std::move(out));
}

result& result::operator=(result&& o) noexcept {
    if (this != &o) {
        PQclear(r_);
        r_ = o.r_;
        o.r_ = nullptr;
    }
    return *this;
}

std::int64_t result::integer(int row, int col) const {
    if (is_null(row, col)) return 0;
    const char* p = PQgetvalue(r_, row, col);
    switch (PQftype(r_, col)) {
    case bool_oid:
        return *p != 0;
    case int2_oid:
        return static_cast<std::int16_t>(be16toh(read_be<std::uint16_t>(p)));
    case int4_oid:
        return static_cast<std::int32_t>(be32toh(read_be<std::uint32_t>(p)));
    case int8_oid:
        return static_cast<std::int64_t>(be64toh(read_be<std::uint64_t>(p)));
    default:
        throw sync_error(errc::postgresql, "column " + std::string(PQfname(r_, col)) +
                                               " is not an integer (type oid " +
                                               std::to_string(PQftype(r_, col)) + ")");
    }
}

double result::real(int row, int col) const {
    if (is_null(row, col)) return 0;
    const char* p = PQgetvalue(r_, row, col);
    switch (PQftype(r_, col)) {
    case float8_oid: {
        const auto bits = be64toh(read_be<std::uint64_t>(p));
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
    }
    case float4_oid: {
        const auto bits = be32toh(read_be<std::uint32_t>(p));
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
    }
    default:
        return static_cast<double>(integer(row, col));
    }
}

std::string result::bytes(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col),
                       static_cast<std::size_t>(PQgetlength(r_, row, col)));
}

std::uint64_t result::changed() const {
    const char* n = PQcmdTuples(r_);
    return n && *n ? std::stoull(n) : 0;
}

PGconn* connect_bounded(const std::string& conninfo) {
    // Settings before `dbname` are overridden by what its connection string sets.
    const char* keys[] = {
        "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
    const char* values[] = {"10", "1", "30", "10", "3", "60000", conninfo.c_str(), nullptr};
    return PQconnectdbParams(keys, values, 1);
}

connection::connection(const std::string& conninfo) : c_(connect_bounded(conninfo)) {
    if (!c_ || PQstatus(c_) != CONNECTION_OK)
        fail("cannot connect to PostgreSQL (check the host, port, database and user of the "
             "store's connection string, and that the server runs)");
    exec("SET client_min_messages = warning");
}

void connection::reconnect_if_lost() {
    if (depth_ != 0 || (!lost_ && PQstatus(c_) == CONNECTION_OK)) return;
    PQreset(c_);
    prepared_.clear();
    if (PQstatus(c_) != CONNECTION_OK)
        fail("cannot connect to PostgreSQL again (it is restarting, or no server of the "
             "connection string takes writes yet); retrying at the next request");
    lost_ = false;
    exec("SET client_min_messages = warning");
}

connection::~connection() {
    PQfinish(c_);
}

void connection::fail(const std::string& what, PGresult* r) {
    std::string message =
        what + ": " + first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c_));
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const bool full = state && std::strncmp(state, "53", 2) == 0; // insufficient resources
    // Connection exceptions, the server shutting down, or a server that became a standby.
    if (PQstatus(c_) != CONNECTION_OK ||
        (state && (std::strncmp(state, "08", 2) == 0 || std::strncmp(state, "57P", 3) == 0 ||
                   std::strcmp(state, "25006") == 0)))
        lost_ = true;
    PQclear(r);
    if (full)
        throw sync_error(errc::storage_full,
                         message + "; free disk space on the database server and retry");
    throw sync_error(errc::postgresql, message);
}

void connection::exec(const std::string& sql) {
    reconnect_if_lost();
    flush();
    PGresult* r = PQexec(c_, sql.c_str());
    const auto s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) fail("`" + sql.substr(0, 80) + "`", r);
    PQclear(r);
}

const std::pair<const std::string, std::string>& connection::prepared(const std::string& sql) {
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
        flush();
        std::string name = "s";
        name += std::to_string(prepared_.size());
        PGresult* r = PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail("cannot prepare `" + sql.substr(0, 80) + "`", r);
        PQclear(r);
        it = prepared_.emplace(sql, name).first;
    }
    return *it;
}

namespace {

// libpq's view of parameters: pointers into `params`, which must outlive it.
struct bound {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;

    explicit bound(const std::vector<param>& params)
        : values(params.size()), lengths(params.size()), formats(params.size()) {
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (!params[i].data) continue;
            values[i] = params[i].data->data();
            lengths[i] = static_cast<int>(params[i].data->size());
            formats[i] = params[i].binary ? 1 : 0;
        }
    }
    int count() const { return static_cast<int>(values.size()); }
};

// Writes sent before their answers are read: enough to save the round trips, few enough that
// their answers (some 30 bytes each) never fill the socket while nobody reads it.
constexpr std::size_t max_unread = 256;

} // namespace

result connection::run(const std::string& sql, const std::vector<param>& params) {
    reconnect_if_lost();
    send_gathered();
    const auto& statement = prepared(sql);
    PGresult* raw = nullptr;
    if (sent_.empty()) {
        const bound b(params);
        raw = PQexecPrepared(c_, statement.second.c_str(), b.count(), b.values.data(),
                             b.lengths.data(), b.formats.data(), 1);
    } else {
        // Behind writes whose answers are unread: sent after them, and every answer read in
        // the same round trip.
        pipe(statement, params);
        std::string failed;
        PGresult* failure = drain(failed, &raw);
        if (failure) {
            PQclear(raw);
            fail("`" + failed.substr(0, 80) + "`", failure);
        }
        if (!raw) fail("`" + sql.substr(0, 80) + "` got no answer (the connection was lost?)");
    }
    const auto s = PQresultStatus(raw);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) fail("`" + sql.substr(0, 80) + "`", raw);
    return result(raw);
}

void connection::send(const std::string& sql, const std::vector<param>& params) {
    if (depth_ == 0) {
        run(sql, params);
        return;
    }
    send_gathered();
    if (sent_.size() >= max_unread) flush();
    pipe(prepared(sql), params);
}

void connection::pipe(const std::pair<const std::string, std::string>& statement,
                      const std::vector<param>& params) {
    const auto& [sql, name] = statement;
    if (sent_.empty() && PQenterPipelineMode(c_) != 1) fail("cannot enter pipeline mode");
    const bound b(params);
    if (PQsendQueryPrepared(c_, name.c_str(), b.count(), b.values.data(), b.lengths.data(),
                            b.formats.data(), 1) != 1) {
        discard();
        fail("`" + sql.substr(0, 80) + "`");
    }
    sent_.push_back(&sql);
}

namespace {

// `into` with VALUES for `rows` rows of `columns` parameters each.
std::string multi_row(const std::string& into, std::size_t columns, std::size_t rows) {
    std::string sql = into + " VALUES ";
    std::size_t n = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        sql += r ? ", (" : "(";
        for (std::size_t c = 0; c < columns; ++c) {
            if (c) sql += ", ";
            sql += '$';
            sql += std::to_string(++n);
        }
        sql += ')';
    }
    return sql;
}

// Rows a multi-row INSERT takes at most: enough to make a statement's start small beside its
// rows, and under PostgreSQL's 65,535 parameters (a table has at most 1,600 columns). Each
// count is prepared once per connection.
std::size_t rows_per_insert(std::size_t columns) {
    return std::min<std::size_t>(64, 65'535 / columns);
}

} // namespace

void connection::insert(const std::string& into, std::vector<param> row) {
    if (depth_ == 0) {
        run(multi_row(into, row.size(), 1), row);
        return;
    }
    auto it = std::find_if(gathered_.begin(), gathered_.end(),
                           [&](const gathered& g) { return g.into == into; });
    if (it == gathered_.end()) it = gathered_.insert(gathered_.end(), {into, row.size(), {}});
    if (row.size() != it->columns)
        throw sync_error(errc::postgresql, "rows of different widths for `" + into + "`");
    std::move(row.begin(), row.end(), std::back_inserter(it->values));
    if (it->values.size() < rows_per_insert(it->columns) * it->columns) return;
    // Full: sent alone, the other tables' rows gather on.
    auto full = std::move(*it);
    gathered_.erase(it);
    send_rows(full);
}

void connection::send_rows(gathered& g) {
    for (std::size_t at = 0; at < g.values.size();) {
        const auto rows = std::min(rows_per_insert(g.columns), (g.values.size() - at) / g.columns);
        const auto end = at + rows * g.columns;
        send(multi_row(g.into, g.columns, rows),
             std::vector<param>(std::make_move_iterator(g.values.begin() + at),
                                std::make_move_iterator(g.values.begin() + end)));
        at = end;
    }
}

void connection::send_gathered() {
    auto all = std::move(gathered_);
    gathered_.clear();
    for (auto& g : all)
        send_rows(g);
}

PGresult* connection::drain(std::string& failed_sql, PGresult** last) {
    if (sent_.empty()) {
        // Entered for a statement that could not be sent.
        if (PQpipelineStatus(c_) != PQ_PIPELINE_OFF) PQexitPipelineMode(c_);
        return nullptr;
    }
    PGresult* failure = nullptr;
    const auto keep = [&](PGresult* r, const std::string& sql, bool is_last) {
        if (!failure && PQresultStatus(r) == PGRES_FATAL_ERROR) {
            failure = r;
            failed_sql = sql;
        } else if (is_last && last && !*last) {
            *last = r;
        } else {
            PQclear(r);
        }
    };
    if (PQpipelineSync(c_) == 1) {
        for (std::size_t i = 0; i < sent_.size(); ++i) {
            // One result per statement, then a null that ends it; a lost connection ends early.
            while (PGresult* r = PQgetResult(c_))
                keep(r, *sent_[i], i + 1 == sent_.size());
            if (PQstatus(c_) != CONNECTION_OK) break;
        }
        while (PGresult* r = PQgetResult(c_)) {
            const bool synced = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
            keep(r, "SYNC", false);
            if (synced) break;
        }
    }
    sent_.clear();
    PQexitPipelineMode(c_);
    return failure;
}

void connection::discard() {
    gathered_.clear();
    std::string failed;
    PQclear(drain(failed));
}

void connection::flush() {
    send_gathered();
    std::string failed;
    PGresult* failure = drain(failed);
    if (failure) fail("`" + failed.substr(0, 80) + "`", failure);
    if (PQpipelineStatus(c_) != PQ_PIPELINE_OFF)
        fail("a pipeline of writes did not end (the connection was lost?)");
}

void connection::restart() {
    if (depth_ != 1)
        throw sync_error(errc::postgresql, "a transaction restarts only when no savepoint is open");
    discard();
    exec("ROLLBACK");
    exec("BEGIN ISOLATION LEVEL READ COMMITTED");
    ++begun_;
    if (on_begin_) on_begin_();
}

bool connection::in_transaction() const {
    // A statement that failed outside a savepoint aborted the transaction: it is over, whatever
    // objects still stand for it, and its group must be opened again (reopen_transaction).
    return depth_ > 0 && PQtransactionStatus(c_) != PQTRANS_INERROR;
}

void connection::commit() {
    // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK, and no error.
    if (run("COMMIT").command() != "COMMIT")
        throw sync_error(errc::postgresql, "the transaction was rolled back: a statement in it "
                                           "failed; nothing of it was kept");
}

transaction::transaction(connection& c) : c_(c), level_(c.depth_) {
    if (level_ == 0) {
        // Read committed whatever the database's default: the write lock's holder must read
        // what the one before it committed (invariant 1).
        c_.reconnect_if_lost();
        c_.depth_ = 1;
        ++c_.begun_;
        try {
            // Sent, and answered with the write lock's statement.
            c_.send("BEGIN ISOLATION LEVEL READ COMMITTED", {});
            if (c_.on_begin_) c_.on_begin_();
        } catch (...) {
            // Out of the transaction whatever happens to the ROLLBACK: on a lost connection
            // it fails too, and the next transaction must connect again.
            c_.depth_ = 0;
            try {
                c_.discard();
                c_.exec("ROLLBACK");
            } catch (const std::exception&) {
            }
            throw;
        }
    } else {
        c_.send("SAVEPOINT " + savepoint(level_), {});
        ++c_.depth_;
    }
}

transaction::~transaction() {
    if (done_) return;
    try {
        // What was sent and not yet read is being undone: its failures are not news.
        c_.discard();
        if (level_ == 0)
            c_.exec("ROLLBACK");
        else
            c_.exec("ROLLBACK TO SAVEPOINT " + savepoint(level_) + "; RELEASE SAVEPOINT " +
                    savepoint(level_));
    } catch (const std::exception&) {
        // The connection failed: its transaction is gone with it.
    }
    c_.depth_ = level_;
}

void transaction::commit() {
    if (level_ == 0)
        c_.commit();
    else
        c_.run("RELEASE SAVEPOINT " + savepoint(level_));
    done_ = true;
    c_.depth_ = level_;
}

snapshot::snapshot(connection& c) : c_(c) {
    c_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    c_.depth_ = 1;
    ++c_.begun_;
}

snapshot::~snapshot() {
    try {
        c_.exec("COMMIT");
    } catch (const std::exception&) {
        // The connection failed: its transaction is gone with it.
    }
    c_.depth_ = 0;
}

void read_pages(connection& c, const std::string& first, const std::string& after, int keys,
                const std::function<void(const result&, int row)>& fn) {
    // Enough rows a page that a round trip is small beside reading them.
    constexpr std::int64_t page = 1000;
    std::optional<snapshot> one_snapshot;
    if (!c.in_transaction()) one_snapshot.emplace(c);
    auto r = c.run(first, {page});
    while (true) {
        for (int i = 0; i < r.rows(); ++i)
            fn(r, i);
        if (r.rows() < page) return;
        std::vector<param> next;
        for (int k = 0; k < keys; ++k)
            next.emplace_back(r.bytes(r.rows() - 1, k));
        next.emplace_back(page);
        r = c.run(after, next);
    }
}

} // namespace noi::pg
