// A thin RAII layer over SQLite: a connection, prepared statements, and transactions that
// roll back unless committed. Every SQLite failure becomes a sync_error with SQLite's text.
#pragma once

#include <noi/protocol/types.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace noi {

class statement {
public:
    statement() = default;
    statement(sqlite3* db, std::string_view sql);
    statement(statement&& o) noexcept;
    statement& operator=(statement&& o) noexcept;
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    ~statement();

    // Binds are 1-based as in SQLite.
    statement& bind(int i, const value& v);
    statement& bind(int i, std::int64_t v);
    statement& bind(int i, std::string_view v);
    statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    statement& bind_blob(int i, const void* data, std::size_t n);
    statement& bind_null(int i);

    // Returns true while a row is available; false when done.
    bool step();
    void reset();
    void run() {
        step();
        reset();
    }

    int columns() const;
    std::string column_name(int i) const;
    value column(int i) const;
    std::int64_t column_int(int i) const;
    std::string column_text(int i) const;
    std::string column_blob(int i) const;
    bool column_is_null(int i) const;

private:
    sqlite3_stmt* stmt_ = nullptr;
    sqlite3* db_ = nullptr;
};

class database {
public:
    explicit database(const std::string& path, bool create = true);
    database(const database&) = delete;
    database& operator=(const database&) = delete;
    ~database();

    sqlite3* handle() const { return db_; }
    void exec(std::string_view sql);
    statement prepare(std::string_view sql) { return statement(db_, sql); }
    // A statement prepared once per connection and reused: the hot paths call this. Either
    // form returns it reset. A string literal is found by its address, without hashing or
    // comparing its text (a merge asks for several statements per row).
    statement& cached(const std::string& sql);
    template <std::size_t N> statement& cached(const char (&sql)[N]) {
        return cached_literal(sql, N - 1);
    }
    std::int64_t changes() const;
    std::int64_t last_insert_rowid() const;
    // False once SQLite has rolled a transaction back by itself (a full disk, for one).
    bool in_transaction() const;
    // BEGIN IMMEDIATE, then the write-lock hook: every outermost write transaction starts here.
    void begin_write();
    // Runs right after each BEGIN IMMEDIATE, the write lock held: a store shared by several
    // connections reads there what the others committed (sqlite_port::catch_up). If it
    // throws, the transaction is rolled back.
    void on_write_lock(std::function<void()> hook) { write_locked_ = std::move(hook); }
    // Changes when another connection commits to the database (PRAGMA data_version).
    std::int64_t data_version();

private:
    statement& cached_literal(const char* sql, std::size_t n);

    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, std::unique_ptr<statement>> cache_;
    std::unordered_map<const char*, statement*> literals_;
    std::function<void()> write_locked_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() was called. Inside
// a transaction already open (the server's group commit) it is a SAVEPOINT instead, so one
// failing part rolls back alone and the outer commit makes all the parts durable together.
class transaction {
public:
    explicit transaction(database& db);
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    ~transaction();
    void commit();

private:
    database& db_;
    bool nested_;
    bool done_ = false;
};

[[noreturn]] void throw_sqlite(sqlite3* db, std::string_view what);

} // namespace noi
