// A tablet's client session fed arbitrary server answers after its HELLO: no crash, and the
// replica stays consistent (SQLite's integrity check) whatever the server says.
#include "harness.hpp"

#include <noi/sync/client_session.hpp>
#include <noi/sync/database.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/tablet.hpp>

#include <cstdlib>

namespace {

struct fixture {
    noi::manual_clock wall{noi::fuzz::fixed_now_ms};
    std::unique_ptr<noi::tablet> t = noi::tablet::create(":memory:", wall, {2});
    fixture() {
        t->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
                "'Nà Pài', 4)");
        t->exec(
            "INSERT INTO incident(id, commune_code, category) VALUES ('i1', '01849', 'trom_cap')");
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fixture f;
    auto messages = noi::fuzz::split_messages(data, size);
    auto& db = f.t->rep().db();
    noi::fuzz::rolled_back(db, [&] {
        noi::client_session session(*f.t);
        (void)session.start();
        for (const auto& m : messages) {
            try {
                (void)session.on_message(m);
            } catch (const noi::sync_error&) {
                break;
            }
            if (session.finished()) break;
        }
        auto check = db.prepare("PRAGMA integrity_check");
        if (!check.step() || check.column_text(0) != "ok") std::abort();
    });
    return 0;
}
