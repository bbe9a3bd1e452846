// libpq in RAII: a connection that throws sync_error with PostgreSQL's words, statements
// prepared once per connection, results read in binary (integers, text and bytea alike without
// escaping), transactions that roll back unless committed (a SAVEPOINT inside one open), and
// writes sent in libpq's pipeline mode whose answers are read with the next statement's.
#pragma once

#include <noi/protocol/types.hpp>

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace noi::pg {

// One parameter of a query, or NULL. Text and bytes go as they are, with their length (a text
// is never cut at a NUL: PostgreSQL refuses one instead); numbers go written out.
struct param {
    std::optional<std::string> data;
    bool binary = true;

    param() = default; // NULL
    param(std::string s) : data(std::move(s)) {}
    param(const char* s) : data(std::string(s)) {}
    param(std::int64_t v) : data(std::to_string(v)), binary(false) {}
    // Stored as bigint, as SQLite's INTEGER stores it: 2^63 and above wrap to negatives and
    // read back unchanged.
    param(std::uint64_t v) : data(std::to_string(static_cast<std::int64_t>(v))), binary(false) {}
    param(int v) : data(std::to_string(v)), binary(false) {}
    param(double v);
    static param blob(std::string_view b) { return param{std::string(b)}; }
    static param blob(const noi::blob& b) {
        return blob(
            std::string_view(reinterpret_cast<const char*>(b.bytes.data()), b.bytes.size()));
    }
    // A value as its own type stores it: NULL, bigint, double precision, text or bytea.
    static param of(const value& v);
    // A text PostgreSQL parses into its type (an array, say) rather than takes as it is.
    static param parsed(std::string s) {
        param p{std::move(s)};
        p.binary = false;
        return p;
    }
    // An array of texts, for `= ANY($1::text[])` or unnest: each element quoted, `"` and `\`
    // escaped. The texts must be storable (no NUL, UTF-8).
    static param texts(const std::vector<std::string>& items);
};

class result {
public:
    explicit result(PGresult* r) : r_(r) {}
    result(result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    result& operator=(result&& o) noexcept;
    result(const result&) = delete;
    result& operator=(const result&) = delete;
    ~result() { PQclear(r_); }

    int rows() const { return PQntuples(r_); }
    bool is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
    // int2, int4, int8 or bool; 0 for NULL.
    std::int64_t integer(int row, int col) const;
    double real(int row, int col) const;
    // text or bytea, as the bytes stored.
    std::string bytes(int row, int col) const;
    // The number of rows an INSERT, UPDATE or DELETE touched.
    std::uint64_t changed() const;
    // The command's tag without its counts' (`COMMIT`, or `ROLLBACK` for a failed transaction).
    std::string command() const { return PQcmdStatus(r_); }

private:
    PGresult* r_;
};

// Connects with bounds a server that vanished cannot stretch: the connection made within 10 s,
// and TCP keepalives that notice a silent peer within about a minute (a machine gone without a
// reset would otherwise hold a thread for the kernel's quarter of an hour). The connection
// string's own settings of these win.
PGconn* connect_bounded(const std::string& conninfo);

class connection {
public:
    // `conninfo`: a libpq connection string or URI. Throws sync_error(postgresql) saying why it
    // could not connect, never with the password.
    explicit connection(const std::string& conninfo);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // Runs one or more statements without parameters.
    void exec(const std::string& sql);
    // Runs `sql` with $1, $2… bound, prepared once on this connection.
    result run(const std::string& sql, const std::vector<param>& params = {});
    // A write whose result nobody reads. In a transaction it is only sent: its answer is read
    // with the next statement's, the savepoint's or the commit's (libpq's pipeline mode), so a
    // push's writes cost no round trip each. A failure is thrown there, naming this statement,
    // and fails the transaction as it would have here.
    void send(const std::string& sql, const std::vector<param>& params);
    // One row for `into` (`INSERT INTO t(a, b)`), its values in `row`. In a transaction the rows
    // for one `into` are gathered and sent as multi-row INSERTs, up to 64 rows each, where a
    // statement per row would cost the server more in starting statements than in inserting.
    // Whatever is sent or run after comes after them; rows for different tables may reach the
    // server in another order than they were given in (no table here has a trigger or a
    // foreign key). A duplicate key fails the transaction as send() says.
    void insert(const std::string& into, std::vector<param> row);
    // Counts outermost transactions begun: what was read in one is known to be current until
    // the count moves (the write lock is held from begin to end).
    std::uint64_t transactions_begun() const { return begun_; }
    bool in_transaction() const;
    // Rolls back the outermost transaction open and begins another in its place (its write
    // lock taken again): what a failed group's requests after it commit in.
    void restart();
    // Called when the outermost transaction has begun (the port takes its write lock there).
    void on_begin(std::function<void()> fn) { on_begin_ = std::move(fn); }

private:
    friend class transaction;
    friend class snapshot;
    [[noreturn]] void fail(const std::string& what, PGresult* r = nullptr);
    // Outside a transaction, connects again when the connection was lost or its server can no
    // longer write (a failover: the multi-host connection string's target_session_attrs finds
    // the new primary). Throws when no server takes it yet; the next call tries again.
    void reconnect_if_lost();
    // COMMIT, refused (sync_error) when PostgreSQL rolled the transaction back instead.
    void commit();
    // The statement `sql` and its name, prepared on this connection if it was not yet.
    const std::pair<const std::string, std::string>& prepared(const std::string& sql);
    // Sends a prepared statement in pipeline mode, its answer read by drain().
    void pipe(const std::pair<const std::string, std::string>& statement,
              const std::vector<param>& params);
    struct gathered {
        std::string into;
        std::size_t columns = 0;
        std::vector<param> values; // row after row
    };
    // Sends the rows insert() gathered, for one `into` or all.
    void send_rows(gathered& g);
    void send_gathered();
    // Reads the answers of what send() sent; throws the first failure among them.
    void flush();
    // Reads them for a rollback, whose failures do not matter.
    void discard();
    // Reads them and leaves pipeline mode; returns the first failure, which the caller clears.
    // `last`, when given, takes the answer of the statement sent last (the caller's to clear).
    PGresult* drain(std::string& failed_sql, PGresult** last = nullptr);
    PGconn* c_ = nullptr;
    // The statements whose answers are still to be read (keys of prepared_, which lives
    // longer: it is cleared only on a reconnect, with nothing sent).
    std::vector<const std::string*> sent_;
    std::vector<gathered> gathered_;
    std::uint64_t begun_ = 0;
    std::map<std::string, std::string, std::less<>> prepared_; // sql -> statement name
    int depth_ = 0;
    bool lost_ = false; // a statement failed as only a lost or demoted server makes it fail
    std::function<void()> on_begin_;
};

// BEGIN (or a SAVEPOINT inside an open one); rolled back unless committed.
class transaction {
public:
    explicit transaction(connection& c);
    ~transaction();
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    void commit();

private:
    connection& c_;
    int level_;
    bool done_ = false;
};

// A read-only REPEATABLE READ transaction: what is read in it is one snapshot. It takes no
// write lock (on_begin is not called); it ends when it goes out of scope.
class snapshot {
public:
    explicit snapshot(connection& c);
    ~snapshot();
    snapshot(const snapshot&) = delete;
    snapshot& operator=(const snapshot&) = delete;

private:
    connection& c_;
};

// Calls fn on each row of a query read a page at a time, so that no table is ever held whole:
// `first` ends in `ORDER BY k1, k2… LIMIT $1`, `after` is the same query for the rows past
// ($1, $2…) = the keys of a page's last row, its LIMIT the next parameter; the keys are the
// result's first `keys` columns (text). Outside a transaction all pages are one snapshot.
void read_pages(connection& c, const std::string& first, const std::string& after, int keys,
                const std::function<void(const result&, int row)>& fn);

} // namespace noi::pg
