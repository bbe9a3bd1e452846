// A server and two tablets poisoned under release 166a116 (tests/fixtures/poisoned-clock): a
// hostile tablet's stamp at the greatest HLC was adopted, so later edits were lost silently.
// After noi-server repair-clock's repair, both tablets sync, converge, and keep later edits.
#include "loopback.hpp"
#include "temp_dir.hpp"

#include <noi/sync/row_state.hpp>
#include <noi/sync/sqlite_store.hpp>

#include <gtest/gtest.h>

#include <filesystem>

using namespace noi;

namespace {

struct clock_repair_fixture : ::testing::Test {
    test::temp_dir dir;
    system_clock wall;
    std::unique_ptr<sqlite_store> server;
    std::unique_ptr<tablet> honest, province;
    device dev_honest{"dev-honest", "01849", "Dương Quang, máy 1"},
        dev_prov{"dev-prov", "*", "Tỉnh"};

    void SetUp() override {
        const std::string from = NOI_FIXTURES_DIR "/poisoned-clock";
        for (const char* f : {"server/noi.db", "tablet-01849.db", "tablet-province.db"}) {
            std::filesystem::create_directories(std::filesystem::path(dir.file(f)).parent_path());
            std::filesystem::copy_file(from + "/" + f, dir.file(f));
        }
        server = sqlite_store::open(dir.file("server/noi.db"), wall);
        honest = tablet::open(dir.file("tablet-01849.db"), wall);
        province = tablet::open(dir.file("tablet-province.db"), wall);
    }
    std::uint64_t limit() const { return hlc_from_ms(wall.now_ms() + 24LL * 3600 * 1000); }
    bool sync(tablet& t, const device& d) {
        for (int round = 0; round < 3; ++round) {
            auto r = sim::sync_once(t, *server, d);
            if (r.done) return true;
            if (r.error) ADD_FAILURE() << d.id << ": " << r.error->message;
        }
        return false;
    }
    static std::int64_t number(replica& r, const std::string& sql) {
        auto st = r.db().prepare(sql);
        return st.step() ? st.column_int(0) : -1;
    }
    static std::string text(replica& r, const std::string& sql) {
        auto st = r.db().prepare(sql);
        return st.step() ? st.column_text(0) : "<none>";
    }
    // The greatest version any row state of the replica holds.
    static std::uint64_t newest(replica& r) {
        std::uint64_t top = 0;
        for (const auto& [table, id, st] : row_state_store(r.db()).all(r.tables())) {
            if (st.exists) top = std::max(top, st.exists->ver.hlc);
            for (const auto& c : st.cells)
                if (c) top = std::max(top, c->ver.hlc);
        }
        return top;
    }
};

} // namespace

TEST_F(clock_repair_fixture, the_fixture_is_poisoned_as_the_attack_left_it) {
    EXPECT_TRUE(server->holds_stamps_beyond_clock());
    EXPECT_EQ(server->rep().clock().floor(), hlc_max);
    EXPECT_GT(newest(honest->rep()), limit());
    EXPECT_EQ(number(server->rep(), "SELECT members FROM household WHERE id = 'h1'"), 7);
    // Unrepaired, the server cannot stamp a resolution at all: it refuses instead of wrapping.
    try {
        server->write_local("commune", "01849",
                            {std::string("x"), std::string("xa"), std::string("d"),
                             std::string("1"), std::string("p"), std::int64_t{0}});
        FAIL() << "the server stamped past the greatest HLC";
    } catch (const sync_error& e) {
        EXPECT_EQ(e.code(), errc::clock_exhausted);
    }
}

TEST_F(clock_repair_fixture, after_the_repair_tablets_converge_and_keep_their_later_edits) {
    const auto epoch = server->epoch();
    auto r = server->repair_clock();
    EXPECT_GE(r.versions, 2u); // h9's stamp and the province's edit (the commune's was lost)
    EXPECT_GE(r.rows, 2u);
    EXPECT_FALSE(server->holds_stamps_beyond_clock());
    EXPECT_LE(newest(server->rep()), limit());
    EXPECT_NE(server->epoch(), epoch);
    EXPECT_EQ(server->repair_clock().versions, 0u); // a second run finds nothing

    ASSERT_TRUE(sync(*honest, dev_honest));
    ASSERT_TRUE(sync(*province, dev_prov));
    for (auto* t : {honest.get(), province.get()}) {
        EXPECT_LE(newest(t->rep()), limit());
        EXPECT_LE(t->rep().clock().floor(), limit());
        EXPECT_EQ(number(t->rep(), "SELECT members FROM household WHERE id = 'h1'"), 7);
        EXPECT_EQ(text(t->rep(), "SELECT village FROM household WHERE id = 'h9'"), "Bản Chang");
    }
    // The commune's correction, lost without a trace under the poisoned clock, now holds.
    honest->exec("UPDATE household SET members = 5 WHERE id = 'h1'");
    ASSERT_TRUE(sync(*honest, dev_honest));
    ASSERT_TRUE(sync(*province, dev_prov));
    EXPECT_EQ(number(server->rep(), "SELECT members FROM household WHERE id = 'h1'"), 5);
    EXPECT_EQ(number(province->rep(), "SELECT members FROM household WHERE id = 'h1'"), 5);

    // Concurrent edits make a conflict, and the admin's resolution changes the row.
    honest->exec("UPDATE household SET village = 'Nà Pài 2' WHERE id = 'h1'");
    province->exec("UPDATE household SET village = 'Nà Pài 3' WHERE id = 'h1'");
    ASSERT_TRUE(sync(*honest, dev_honest));
    ASSERT_TRUE(sync(*province, dev_prov));
    auto conflicts = server->conflicts();
    ASSERT_EQ(conflicts.size(), 1u);
    server_store::resolution how;
    how.new_value = std::string("Nà Pài");
    how.by = "admin";
    ASSERT_EQ(server->resolve_conflict(conflicts[0].id, how).status,
              server_store::resolve_status::resolved);
    ASSERT_TRUE(sync(*honest, dev_honest));
    ASSERT_TRUE(sync(*province, dev_prov));
    for (auto* t : {honest.get(), province.get()})
        EXPECT_EQ(text(t->rep(), "SELECT village FROM household WHERE id = 'h1'"), "Nà Pài");
    EXPECT_EQ(honest->status().pending, 0u);
    EXPECT_EQ(honest->status().rejected, 0u);
}
