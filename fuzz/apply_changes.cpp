// Arbitrary cell batches applied to a tablet's replica (as pulled CHANGES): no crash, no
// exception other than a sync_error, and applying the same batch again changes nothing.
#include "harness.hpp"

#include <noi/sync/database.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/tablet.hpp>

#include <cstdlib>

namespace {

struct fixture {
    noi::manual_clock wall{noi::fuzz::fixed_now_ms};
    std::unique_ptr<noi::tablet> t = noi::tablet::create(":memory:", wall, {3});
    fixture() {
        t->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
                "'Nà Pài', 4)");
    }
};

// Every row's sync state and every table's rows, as text.
std::string snapshot(noi::tablet& t) {
    auto& db = t.rep().db();
    std::string out;
    auto states =
        db.prepare("SELECT tbl || '/' || id || '/' || hex(state) FROM noi_rows ORDER BY tbl, id");
    while (states.step())
        out += states.column_text(0) + "\n";
    for (const auto& table : t.rep().tables().tables) {
        std::string cols = "quote(id)";
        for (const auto& c : table.columns)
            cols += " || ',' || quote(\"" + c.name + "\")";
        auto rows = db.prepare("SELECT group_concat(" + cols + ", '|') FROM (SELECT * FROM \"" +
                               table.name + "\" ORDER BY id)");
        if (rows.step()) out += table.name + ":" + rows.column_text(0) + "\n";
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fixture f;
    auto decoded = noi::proto::decode({data, size});
    auto* m = std::get_if<noi::proto::message>(&decoded);
    if (!m || !std::holds_alternative<noi::proto::changes>(*m)) return 0;
    const auto& c = std::get<noi::proto::changes>(*m);
    noi::fuzz::rolled_back(f.t->rep().db(), [&] {
        try {
            f.t->apply_changes(c);
            auto once = snapshot(*f.t);
            f.t->apply_changes(c);
            if (snapshot(*f.t) != once) std::abort();
        } catch (const noi::sync_error&) {
        }
    });
    return 0;
}
