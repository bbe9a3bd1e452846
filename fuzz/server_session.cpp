// A server session fed arbitrary message sequences from a device of commune 01849, against an
// in-memory store. Whatever arrives: no crash, nothing sent back belongs to another commune, no
// push wakes another commune's devices, the server's clock never goes beyond its wall clock
// plus the bound (a forged stamp is never adopted), every CHANGES is one a tablet can decode
// and keeps to its batch size unless it carries one row, and the quarantine keeps no field
// past its bound. The store's row and batch bounds are small, so inputs of a few KiB reach
// them. Each input runs inside a transaction that is rolled back, so inputs are independent.
#include "harness.hpp"

#include <noi/sync/database.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/server_session.hpp>
#include <noi/sync/sqlite_store.hpp>

#include <cstdlib>

namespace {

noi::server_options small_bounds() {
    noi::server_options so;
    so.max_row_bytes = 2048;
    so.max_pull_bytes = 4096;
    return so;
}

struct fixture {
    noi::manual_clock wall{noi::fuzz::fixed_now_ms};
    const noi::server_options options = small_bounds();
    std::unique_ptr<noi::sqlite_store> store =
        noi::sqlite_store::create(":memory:", wall, {1}, options);
    noi::device dev{"tab", "01849", "fuzz"};
    const std::uint64_t limit =
        noi::hlc_from_ms(wall.now_ms() + noi::server_options{}.clock_bound_ms) | 0xffff;
    fixture() { store->add_device(dev); }
};

bool in_scope(const noi::proto::row_change& r) {
    const auto* s = std::get_if<std::string>(&r.scope);
    return !s || *s == "01849"; // global tables have no scope
}

bool receivable(const noi::proto::changes& c, std::size_t batch_bytes) {
    const auto bytes = noi::proto::encode(c);
    // The envelope around the rows: the array, type, rows header, cursor and `more`.
    if (c.rows.size() > 1 && bytes.size() > batch_bytes + 32) return false;
    return std::holds_alternative<noi::proto::message>(noi::proto::decode(bytes));
}

bool quarantine_bounded(noi::database& db) {
    auto st = db.prepare("SELECT coalesce(max(length(CAST(tbl AS BLOB)) > 256 OR "
                         "length(CAST(row_id AS BLOB)) > 1024 OR length(CAST(message AS BLOB)) > "
                         "2048), 0) FROM noi_quarantine");
    return st.step() && st.column_int(0) == 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fixture f;
    auto messages = noi::fuzz::split_messages(data, size);
    noi::fuzz::rolled_back(f.store->rep().db(), [&] {
        noi::server_session session(*f.store, f.dev);
        for (const auto& m : messages) {
            noi::server_session::reply r;
            try {
                r = session.on_message(m);
            } catch (const noi::sync_error&) {
                break; // a refused write is an answer, not a crash
            }
            for (const auto& out : r.send)
                if (const auto* c = std::get_if<noi::proto::changes>(&out)) {
                    for (const auto& row : c->rows)
                        if (!in_scope(row)) std::abort();
                    if (!receivable(*c, f.options.max_pull_bytes)) std::abort();
                }
            if (!quarantine_bounded(f.store->rep().db())) std::abort();
            if (r.emitted.global ||
                (!r.emitted.scopes.empty() &&
                 (r.emitted.scopes.size() > 1 || r.emitted.scopes.begin()->first != "01849")))
                std::abort();
            if (f.store->rep().clock().floor() > f.limit) std::abort();
            if (r.close) break;
        }
    });
    return 0;
}
