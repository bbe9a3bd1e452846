#include "capture_functions.hpp"

#include <noi/sync/dates.hpp>

#include <noi/sync/row_state.hpp>

#include <sqlite3.h>

#include <algorithm>

namespace noi {
namespace {

replica::capture_context& ctx_of(sqlite3_context* c) {
    return *static_cast<replica::capture_context*>(sqlite3_user_data(c));
}

void fn_capture_on(sqlite3_context* c, int, sqlite3_value**) {
    sqlite3_result_int(c, ctx_of(c).capture_on ? 1 : 0);
}

// Refuses a write outside the tablet's scope with a message that says what to do. A
// province-wide tablet writes every commune's rows, but reference data no more than any other:
// the server would quarantine it (global_table).
bool refuse_out_of_scope(sqlite3_context* c, const replica::capture_context& ctx,
                         sqlite3_value** argv) {
    if (ctx.scope.empty()) return false;
    std::string_view table(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])));
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL && sqlite3_value_int(argv[2]) == 1) {
        auto msg = "noi: " + std::string(table) +
                   " is province reference data, which no tablet writes; the province office "
                   "changes it with noi-admin reference set (this tablet is enrolled for " +
                   (ctx.scope == "*" ? std::string("the whole province") : "commune " + ctx.scope) +
                   ")";
        sqlite3_result_error(c, msg.c_str(), -1);
        return true;
    }
    if (ctx.scope == "*") return false;
    const auto* v = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
    std::string_view row_scope(v ? v : "",
                               v ? static_cast<std::size_t>(sqlite3_value_bytes(argv[1])) : 0);
    if (row_scope == ctx.scope ||
        std::find(ctx.units.begin(), ctx.units.end(), row_scope) != ctx.units.end())
        return false;
    auto msg = "noi: this row of " + std::string(table) + " belongs to commune " +
               std::string(row_scope) + ", but this tablet is enrolled for commune " + ctx.scope +
               "; write only rows of commune " + ctx.scope;
    sqlite3_result_error(c, msg.c_str(), -1);
    return true;
}

// From argv[first] on, (column, value) pairs of the row's date columns: a value that is not an
// ISO date is refused at the keyboard, with the date it should be.
bool refuse_bad_date(sqlite3_context* c, int argc, sqlite3_value** argv, int first) {
    for (int i = first; i + 1 < argc; i += 2) {
        if (sqlite3_value_type(argv[i + 1]) != SQLITE_TEXT) continue;
        // The bytes as they are: sqlite3_value_text would copy each to end it with a NUL.
        const auto* p = static_cast<const char*>(sqlite3_value_blob(argv[i + 1]));
        std::string_view v(p, static_cast<std::size_t>(sqlite3_value_bytes(argv[i + 1])));
        if (is_iso_date(v)) continue;
        auto msg =
            "noi: " + date_refusal(reinterpret_cast<const char*>(sqlite3_value_text(argv[i])), v);
        sqlite3_result_error(c, msg.c_str(), -1);
        return true;
    }
    return false;
}

// noi_stamp(table, scope, global[, date column, value]...): checks the write against the
// tablet's scope and its dates, and returns its HLC. (The key check is the `_key` trigger's,
// built only into updates that name the key.)
void fn_stamp(sqlite3_context* c, int argc, sqlite3_value** argv) {
    auto& ctx = ctx_of(c);
    if (refuse_out_of_scope(c, ctx, argv) || refuse_bad_date(c, argc, argv, 3)) return;
    try {
        // Another process may have written since our last transaction: read its floor once
        // per transaction (the commit and rollback hooks clear floor_fresh).
        if (!ctx.floor_fresh) {
            ctx.owner->refresh_clock();
            ctx.floor_fresh = true;
        }
        sqlite3_result_int64(c, static_cast<sqlite3_int64>(ctx.owner->clock().next()));
    } catch (const std::exception& e) {
        sqlite3_result_error(c, e.what(), -1);
    }
}

// noi_check_dates(column, value, ...): the date check of an update that names date columns.
void fn_check_dates(sqlite3_context* c, int argc, sqlite3_value** argv) {
    if (!refuse_bad_date(c, argc, argv, 0)) sqlite3_result_null(c);
}

void fn_uuid(sqlite3_context* c, int, sqlite3_value**) {
    auto id = ctx_of(c).owner->new_uuid();
    sqlite3_result_text(c, id.c_str(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
}

value arg_value(sqlite3_value* v) {
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        return static_cast<std::int64_t>(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
        return sqlite3_value_double(v);
    case SQLITE_TEXT:
        return std::string(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                           static_cast<std::size_t>(sqlite3_value_bytes(v)));
    case SQLITE_BLOB: {
        auto p = static_cast<const std::uint8_t*>(sqlite3_value_blob(v));
        return blob{std::vector<std::uint8_t>(p, p + sqlite3_value_bytes(v))};
    }
    default:
        return std::monostate{};
    }
}

void fn_pack(sqlite3_context* c, int argc, sqlite3_value** argv) {
    std::vector<value> values;
    values.reserve(static_cast<std::size_t>(argc));
    for (int i = 0; i < argc; ++i)
        values.push_back(arg_value(argv[i]));
    auto bytes = pack_values(values);
    sqlite3_result_blob(c, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

int on_commit(void* p) {
    static_cast<replica::capture_context*>(p)->floor_fresh = false;
    return 0;
}

void on_rollback(void* p) {
    static_cast<replica::capture_context*>(p)->floor_fresh = false;
}

} // namespace

void register_capture_functions(database& db, replica::capture_context& ctx) {
    auto* h = db.handle();
    struct fn {
        const char* name;
        int args;
        void (*f)(sqlite3_context*, int, sqlite3_value**);
        int flags;
    };
    const fn fns[] = {
        {"noi_capture_on", 0, fn_capture_on, 0},
        {"noi_stamp", -1, fn_stamp, 0},
        {"noi_uuid", 0, fn_uuid, 0},
        {"noi_check_dates", -1, fn_check_dates, SQLITE_DETERMINISTIC},
        {"noi_pack", -1, fn_pack, SQLITE_DETERMINISTIC},
    };
    for (const auto& f : fns)
        if (sqlite3_create_function_v2(h, f.name, f.args, SQLITE_UTF8 | f.flags, &ctx, f.f, nullptr,
                                       nullptr, nullptr) != SQLITE_OK)
            throw_sqlite(h, std::string("cannot register ") + f.name);
    sqlite3_commit_hook(h, on_commit, &ctx);
    sqlite3_rollback_hook(h, on_rollback, &ctx);
}

} // namespace noi
