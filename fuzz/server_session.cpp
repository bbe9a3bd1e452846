// A server session fed arbitrary message sequences from a device of commune 01849, against an
// in-memory store. Whatever arrives: no crash, and nothing sent back belongs to another
// commune. Each input runs inside a transaction that is rolled back, so inputs are independent.
#include "framing.hpp"

#include <noi/sync/database.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/server_session.hpp>
#include <noi/sync/server_store.hpp>

#include <cstdlib>

namespace {

struct fixture {
    noi::manual_clock wall{1'700'000'000'000};
    std::unique_ptr<noi::server_store> store = noi::server_store::create(":memory:", wall, {1});
    noi::device dev{"tab", "01849", "fuzz"};
    fixture() { store->add_device(dev); }
};

bool in_scope(const noi::proto::row_change& r) {
    const auto* s = std::get_if<std::string>(&r.scope);
    return !s || *s == "01849"; // global tables have no scope
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fixture f;
    auto messages = noi::fuzz::split_messages(data, size);
    auto& db = f.store->rep().db();
    db.exec("BEGIN");
    {
        noi::server_session session(*f.store, f.dev);
        for (const auto& m : messages) {
            noi::server_session::reply r;
            try {
                r = session.on_message(m);
            } catch (const noi::sync_error&) {
                break; // a refused write is an answer, not a crash
            }
            for (const auto& out : r.send)
                if (const auto* c = std::get_if<noi::proto::changes>(&out))
                    for (const auto& row : c->rows)
                        if (!in_scope(row)) std::abort();
            if (r.close) break;
        }
    }
    db.exec("ROLLBACK");
    return 0;
}
