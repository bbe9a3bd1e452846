// SQLite wrapper. Statements are finalized by their owners; a connection's cached statements
// die before the connection closes.
#include <noi/sync/database.hpp>
#include <noi/sync/error.hpp>

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace noi {

namespace {

// A replica holds a commune's defence records and, on a tablet, its token: only its owner may
// read it, whatever the umask. SQLite gives the -wal and -shm files the database file's mode.
void restrict_to_owner(const std::string& path, bool create) {
    if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return;
    if (create) {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) ::close(fd);
    }
    for (const auto& f : {path, path + "-wal", path + "-shm", path + "-journal"}) {
        struct stat st {};
        if (::stat(f.c_str(), &st) == 0 && (st.st_mode & 077))
            ::chmod(f.c_str(), st.st_mode & 0700);
    }
}

[[noreturn]] void throw_sqlite_code(int code, std::string message) {
    if ((code & 0xff) == SQLITE_FULL)
        throw sync_error(errc::storage_full,
                         message + "; free disk space (or raise the size limit) and retry");
    throw sync_error(errc::sqlite, message);
}

} // namespace

void throw_sqlite(sqlite3* db, std::string_view what) {
    if (!db) throw_sqlite_code(SQLITE_ERROR, std::string(what) + ": no connection");
    throw_sqlite_code(sqlite3_errcode(db), std::string(what) + ": " + sqlite3_errmsg(db));
}

statement::statement(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt_, nullptr) != SQLITE_OK)
        throw_sqlite(db, "cannot prepare `" + std::string(sql.substr(0, 80)) + "`");
}

statement::statement(statement&& o) noexcept : stmt_(o.stmt_), db_(o.db_) {
    o.stmt_ = nullptr;
}

statement& statement::operator=(statement&& o) noexcept {
    if (this != &o) {
        sqlite3_finalize(stmt_);
        stmt_ = o.stmt_;
        db_ = o.db_;
        o.stmt_ = nullptr;
    }
    return *this;
}

statement::~statement() {
    sqlite3_finalize(stmt_);
}

statement& statement::bind(int i, const value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>)
                bind_null(i);
            else if constexpr (std::is_same_v<T, std::int64_t>)
                bind(i, x);
            else if constexpr (std::is_same_v<T, double>)
                sqlite3_bind_double(stmt_, i, x);
            else if constexpr (std::is_same_v<T, std::string>)
                bind(i, std::string_view(x));
            else
                bind_blob(i, x.bytes.data(), x.bytes.size());
        },
        v);
    return *this;
}

statement& statement::bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
}

statement& statement::bind(int i, std::string_view v) {
    sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

statement& statement::bind_blob(int i, const void* data, std::size_t n) {
    // A zero-length blob must stay a blob, not become NULL.
    static const char empty = 0;
    sqlite3_bind_blob64(stmt_, i, n ? data : &empty, n, SQLITE_TRANSIENT);
    return *this;
}

statement& statement::bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
}

bool statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_reset(stmt_);
    throw_sqlite_code(rc, msg);
}

void statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int statement::columns() const {
    return sqlite3_column_count(stmt_);
}

std::string statement::column_name(int i) const {
    const char* n = sqlite3_column_name(stmt_, i);
    return n ? n : "";
}

value statement::column(int i) const {
    switch (sqlite3_column_type(stmt_, i)) {
    case SQLITE_INTEGER:
        return static_cast<std::int64_t>(sqlite3_column_int64(stmt_, i));
    case SQLITE_FLOAT:
        return sqlite3_column_double(stmt_, i);
    case SQLITE_TEXT:
        return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i)),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
    case SQLITE_BLOB: {
        auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, i));
        auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i));
        return blob{std::vector<std::uint8_t>(p, p + n)};
    }
    default:
        return std::monostate{};
    }
}

std::int64_t statement::column_int(int i) const {
    return sqlite3_column_int64(stmt_, i);
}

std::string statement::column_text(int i) const {
    auto p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
}

std::string statement::column_blob(int i) const {
    auto p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
}

bool statement::column_is_null(int i) const {
    return sqlite3_column_type(stmt_, i) == SQLITE_NULL;
}

database::database(const std::string& path, bool create) {
    // SQLite counts every allocation under a process-wide mutex for statistics nothing here
    // reads; it can only be turned off before SQLite starts, so the first connection does it.
    static const bool memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
    (void)memstatus_off;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    restrict_to_owner(path, create);
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        std::string msg = "cannot open database " + path + ": " + sqlite3_errmsg(db_) +
                          "; check the path and its permissions";
        sqlite3_close(db_);
        db_ = nullptr;
        throw sync_error(errc::sqlite, msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
}

database::~database() {
    literals_.clear();
    cache_.clear();
    sqlite3_close_v2(db_);
}

void database::exec(std::string_view sql) {
    char* err = nullptr;
    std::string s(sql);
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        throw_sqlite_code(sqlite3_errcode(db_), msg);
    }
}

statement& database::cached(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) it = cache_.emplace(sql, std::make_unique<statement>(db_, sql)).first;
    // A use cut short by an exception may have left the statement mid-step.
    it->second->reset();
    return *it->second;
}

statement& database::cached_literal(const char* sql, std::size_t n) {
    if (auto it = literals_.find(sql); it != literals_.end()) {
        it->second->reset();
        return *it->second;
    }
    auto& st = cached(std::string(sql, n));
    literals_.emplace(sql, &st);
    return st;
}

std::int64_t database::changes() const {
    return sqlite3_changes64(db_);
}

std::int64_t database::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

bool database::in_transaction() const {
    return sqlite3_get_autocommit(db_) == 0;
}

void database::begin_write() {
    exec("BEGIN IMMEDIATE");
    if (!write_locked_) return;
    try {
        write_locked_();
    } catch (...) {
        if (in_transaction()) exec("ROLLBACK");
        throw;
    }
}

std::int64_t database::data_version() {
    auto& st = cached("PRAGMA data_version");
    st.step();
    const auto v = st.column_int(0);
    st.reset();
    return v;
}

transaction::transaction(database& db) : db_(db), nested_(db.in_transaction()) {
    if (nested_)
        db_.exec("SAVEPOINT noi_part");
    else
        db_.begin_write();
}

transaction::~transaction() {
    if (done_ || !db_.in_transaction()) return;
    try {
        db_.exec(nested_ ? "ROLLBACK TO noi_part; RELEASE noi_part" : "ROLLBACK");
    } catch (...) {
        // The connection already rolled back (e.g. after an I/O error); nothing is left to undo.
    }
}

void transaction::commit() {
    db_.exec(nested_ ? "RELEASE noi_part" : "COMMIT");
    done_ = true;
}

} // namespace noi
