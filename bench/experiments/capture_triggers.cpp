// What a row trigger costs in SQLite, piece by piece: the measurements behind
// docs/performance.md's "Capture: what a trigger costs". Not part of the build; run it with
//   g++ -O2 -std=c++20 bench/experiments/capture_triggers.cpp -lsqlite3 -o /tmp/ct && /tmp/ct
// Each variant inserts then updates (2 columns) 100,000 rows of the militia_member shape,
// 1,000 per transaction, WAL and synchronous=FULL, against the same statements on a plain
// table in the same database, and prints captured time / plain time, for inserts and updates.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

sqlite3_int64 counter = 0;

void exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::fprintf(stderr, "%s\n%s\n", err, sql.c_str());
        std::exit(1);
    }
}

void fn_next(sqlite3_context* c, int, sqlite3_value**) {
    sqlite3_result_int64(c, ++counter);
}

// A clock read without a function call: an eponymous virtual table of one row.
struct clock_cursor {
    sqlite3_vtab_cursor base;
    bool eof;
};
int vt_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
    *out = static_cast<sqlite3_vtab*>(sqlite3_malloc(sizeof(sqlite3_vtab)));
    *(*out) = {};
    return sqlite3_declare_vtab(db, "CREATE TABLE x(hlc INTEGER)");
}
int vt_disconnect(sqlite3_vtab* v) {
    sqlite3_free(v);
    return SQLITE_OK;
}
int vt_best(sqlite3_vtab*, sqlite3_index_info* i) {
    i->estimatedCost = 1;
    i->estimatedRows = 1;
    return SQLITE_OK;
}
int vt_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
    *out = &(new clock_cursor{})->base;
    return SQLITE_OK;
}
int vt_close(sqlite3_vtab_cursor* c) {
    delete reinterpret_cast<clock_cursor*>(c);
    return SQLITE_OK;
}
int vt_filter(sqlite3_vtab_cursor* c, int, const char*, int, sqlite3_value**) {
    reinterpret_cast<clock_cursor*>(c)->eof = false;
    return SQLITE_OK;
}
int vt_next(sqlite3_vtab_cursor* c) {
    reinterpret_cast<clock_cursor*>(c)->eof = true;
    return SQLITE_OK;
}
int vt_eof(sqlite3_vtab_cursor* c) {
    return reinterpret_cast<clock_cursor*>(c)->eof;
}
int vt_column(sqlite3_vtab_cursor*, sqlite3_context* c, int) {
    sqlite3_result_int64(c, ++counter);
    return SQLITE_OK;
}
int vt_rowid(sqlite3_vtab_cursor*, sqlite3_int64* r) {
    *r = 1;
    return SQLITE_OK;
}
sqlite3_module clock_module = {0,       0,         vt_connect, vt_best,   vt_disconnect,
                               nullptr, vt_open,   vt_close,   vt_filter, vt_next,
                               vt_eof,  vt_column, vt_rowid};

const char* const columns[] = {"commune_code", "full_name",    "sex",      "birth_year", "village",
                               "force_type",   "unit",         "position", "joined_on",  "term_end",
                               "status",       "trained_year", "notes"};

std::string table_sql(const char* name) {
    return std::string("CREATE TABLE ") + name +
           " (id TEXT PRIMARY KEY NOT NULL, commune_code TEXT NOT NULL, full_name TEXT, sex TEXT, "
           "birth_year INTEGER, village TEXT, force_type TEXT, unit TEXT, position TEXT, "
           "joined_on TEXT, term_end TEXT, status TEXT, trained_year INTEGER, notes TEXT) STRICT";
}

struct timing {
    double insert_s, update_s;
};

timing run(sqlite3* db, const std::string& table, const char* prefix) {
    std::string cols;
    for (const char* c : columns)
        cols += std::string(", ") + c;
    sqlite3_stmt *ins, *upd;
    sqlite3_prepare_v2(db,
                       ("INSERT INTO " + table + "(id" + cols +
                        ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)")
                           .c_str(),
                       -1, &ins, nullptr);
    sqlite3_prepare_v2(
        db,
        ("UPDATE " + table + " SET status = 'absent', trained_year = 2023 WHERE id = ?1").c_str(),
        -1, &upd, nullptr);
    const int n = 100'000;
    char id[32];
    auto step = [&](sqlite3_stmt* st) {
        if (sqlite3_step(st) != SQLITE_DONE) {
            std::fprintf(stderr, "%s\n", sqlite3_errmsg(db));
            std::exit(1);
        }
        sqlite3_reset(st);
    };
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; i += 1000) {
        exec(db, "BEGIN");
        for (int k = i; k < i + 1000; ++k) {
            std::snprintf(id, sizeof id, "%s%012d", prefix, k);
            std::string name = "Hoàng Văn Thụ " + std::to_string(k);
            const char* text[] = {"01849",
                                  name.c_str(),
                                  "nam",
                                  nullptr,
                                  "Nà Pài",
                                  "co_dong",
                                  "Trung đội dân quân cơ động",
                                  "chien_si",
                                  "2022-03-01",
                                  "2026-03-01",
                                  "active",
                                  nullptr,
                                  "Ghi chú"};
            sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
            for (int c = 0; c < 13; ++c)
                if (text[c]) sqlite3_bind_text(ins, c + 2, text[c], -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(ins, 5, 1980 + k % 25);
            sqlite3_bind_int(ins, 13, 2022);
            step(ins);
        }
        exec(db, "COMMIT");
    }
    auto t1 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; i += 1000) {
        exec(db, "BEGIN");
        for (int k = i; k < i + 1000; ++k) {
            std::snprintf(id, sizeof id, "%s%012d", prefix, k);
            sqlite3_bind_text(upd, 1, id, -1, SQLITE_TRANSIENT);
            step(upd);
        }
        exec(db, "COMMIT");
    }
    auto t2 = std::chrono::steady_clock::now();
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    return {std::chrono::duration<double>(t1 - t0).count(),
            std::chrono::duration<double>(t2 - t1).count()};
}

struct variant {
    const char* what;
    std::string log_sql, insert_body, update_body;
    std::string when = ""; // the triggers' WHEN clause
};

void fn_on(sqlite3_context* c, int, sqlite3_value**) {
    sqlite3_result_int(c, 1);
}

} // namespace

int main() {
    std::string mask;
    for (int i = 0; i < 13; ++i)
        mask += std::string(i ? " | " : "") + "((NEW." + columns[i] + " IS NOT OLD." + columns[i] +
                ") << " + std::to_string(i) + ")";
    const std::string narrow =
        "CREATE TABLE log (seq INTEGER PRIMARY KEY, tbl INTEGER, id TEXT, cols INTEGER, hlc "
        "INTEGER)";
    const variant variants[] = {
        {"log append, constants only", narrow,
         "INSERT INTO log(tbl, id, cols, hlc) VALUES (3, NEW.id, -1, 5)",
         "INSERT INTO log(tbl, id, cols, hlc) VALUES (3, NEW.id, 0, 5)"},
        {"+ one SQL function call (statement journal)", narrow,
         "INSERT INTO log(tbl, id, cols, hlc) VALUES (3, NEW.id, -1, noi_next())",
         "INSERT INTO log(tbl, id, cols, hlc) VALUES (3, NEW.id, 0, noi_next())"},
        {"+ the changed-columns mask (OLD.* loads)", narrow,
         "INSERT INTO log(tbl, id, cols, hlc) VALUES (3, NEW.id, -1, noi_next())",
         "INSERT INTO log(tbl, id, cols, hlc) VALUES (3, NEW.id, " + mask + ", noi_next())"},
        {"mask, clock from a virtual table (no function)", narrow,
         "INSERT INTO log(tbl, id, cols, hlc) SELECT 3, NEW.id, -1, hlc FROM noi_clock",
         "INSERT INTO log(tbl, id, cols, hlc) SELECT 3, NEW.id, " + mask + ", hlc FROM noi_clock"},
        {"mask, function, NOT NULL text-keyed log (format 1)",
         "CREATE TABLE log (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, id TEXT NOT NULL, op "
         "INTEGER NOT NULL, cols INTEGER NOT NULL, hlc INTEGER NOT NULL, old BLOB)",
         "INSERT INTO log(tbl, id, op, cols, hlc) VALUES ('militia_member', NEW.id, 1, -1, "
         "noi_next())",
         "INSERT INTO log(tbl, id, op, cols, hlc) VALUES ('militia_member', NEW.id, 2, " + mask +
             ", noi_next())"},
        {"capture log format 2: no mask, no NOT NULLs (shipped)",
         "CREATE TABLE log (seq INTEGER PRIMARY KEY, tbl TEXT, id TEXT, op INTEGER, cols INTEGER, "
         "hlc INTEGER, old BLOB)",
         "INSERT INTO log(tbl, id, op, hlc) VALUES ('militia_member', NEW.id, 1, noi_next())",
         "INSERT INTO log(tbl, id, op, hlc) VALUES ('militia_member', NEW.id, 2, noi_next())"},
        {"format 2 with its WHEN noi_capture_on() (shipped until format 3)",
         "CREATE TABLE log (seq INTEGER PRIMARY KEY, tbl TEXT, id TEXT, op INTEGER, cols INTEGER, "
         "hlc INTEGER, old BLOB)",
         "INSERT INTO log(tbl, id, op, hlc) VALUES ('militia_member', NEW.id, 1, noi_next())",
         "INSERT INTO log(tbl, id, op, hlc) VALUES ('militia_member', NEW.id, 2, noi_next())",
         " WHEN noi_on()"},
        {"format 3: no WHEN, a NULL stamp skipped (hlc NOT NULL ON CONFLICT IGNORE)",
         "CREATE TABLE log (seq INTEGER PRIMARY KEY, tbl TEXT, id TEXT, op INTEGER, cols INTEGER, "
         "hlc INTEGER NOT NULL ON CONFLICT IGNORE, old BLOB)",
         "INSERT INTO log(tbl, id, op, hlc) VALUES ('militia_member', NEW.id, 1, noi_next())",
         "INSERT INTO log(tbl, id, op, hlc) VALUES ('militia_member', NEW.id, 2, noi_next())"},
    };
    std::printf("%-55s %8s %8s %8s\n", "variant", "insert", "update", "both");
    for (const auto& v : variants) {
        auto path = "/tmp/capture_triggers_" + std::to_string(getpid()) + ".db";
        sqlite3* db;
        sqlite3_open(path.c_str(), &db);
        exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        sqlite3_create_function_v2(db, "noi_next", 0, SQLITE_UTF8, nullptr, fn_next, nullptr,
                                   nullptr, nullptr);
        sqlite3_create_function_v2(db, "noi_on", 0, SQLITE_UTF8, nullptr, fn_on, nullptr, nullptr,
                                   nullptr);
        sqlite3_create_module(db, "noi_clock", &clock_module, nullptr);
        exec(db, table_sql("plain"));
        exec(db, table_sql("synced"));
        exec(db, v.log_sql);
        exec(db, "CREATE TRIGGER ins AFTER INSERT ON synced" + v.when + " BEGIN " + v.insert_body +
                     "; END");
        exec(db, "CREATE TRIGGER upd AFTER UPDATE ON synced" + v.when + " BEGIN " + v.update_body +
                     "; END");
        auto plain = run(db, "plain", "p");
        auto synced = run(db, "synced", "s");
        std::printf("%-55s %8.2f %8.2f %8.2f\n", v.what, synced.insert_s / plain.insert_s,
                    synced.update_s / plain.update_s,
                    (synced.insert_s + synced.update_s) / (plain.insert_s + plain.update_s));
        sqlite3_close(db);
        for (const char* suffix : {"", "-wal", "-shm"})
            unlink((path + suffix).c_str());
    }
}
