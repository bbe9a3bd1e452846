// What every implementation of the server's store must do, through its public functions only
// (server_store.hpp, server_records.hpp; never rep()), run for each store of the binary's list
// (store_kinds.hpp: SQLite in sync_tests, PostgreSQL in pg_tests). Tablets are real; they
// reach the store through the session state machines and the codec.
#include "loopback.hpp"
#include "replica_query.hpp"
#include "store_kinds.hpp"
#include "temp_dir.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/tablet.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <set>

using namespace noi;
using noi::test::count;
using sim::sync_once;

namespace {

using test::store_kind;

struct store_contract : ::testing::TestWithParam<store_kind> {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    std::unique_ptr<server_store> store = GetParam().make(dir.path(), wall, {});
    device a{"tab-a", "01849", "Dương Quang, máy 1"}, a2{"tab-a2", "01849", "Dương Quang, máy 2"},
        b{"tab-b", "01852", "Xã B"};
    std::unique_ptr<tablet> ta = tablet::create(dir.file("a.db"), wall, {2});
    std::unique_ptr<tablet> ta2 = tablet::create(dir.file("a2.db"), wall, {3});
    std::unique_ptr<tablet> tb = tablet::create(dir.file("b.db"), wall, {4});

    void SetUp() override {
        for (const auto* d : {&a, &a2, &b})
            store->add_device(*d);
    }
    void synced(tablet& t, const device& d) {
        wall.advance(1000);
        auto r = sync_once(t, *store, d);
        ASSERT_TRUE(r.done) << (r.error ? r.error->message : "cut");
    }
};

TEST_P(store_contract, devices_are_enrolled_once_and_listed_with_their_commune) {
    EXPECT_THROW(store->add_device(a), sync_error);
    ASSERT_TRUE(store->find_device("tab-a2"));
    EXPECT_EQ(store->find_device("tab-a2")->name, "Dương Quang, máy 2");
    EXPECT_FALSE(store->find_device("khong-co"));
    EXPECT_EQ(store->devices().size(), 3u);
    auto statuses = store->device_statuses();
    ASSERT_EQ(statuses.size(), 3u);
    EXPECT_EQ(statuses[0].dev.scope, "01849");
    EXPECT_FALSE(statuses[0].commune_name.empty());
    EXPECT_FALSE(statuses[0].last_contact_at_ms);
    synced(*ta, a);
    // The transport records a full round when the last batch of a pull went out.
    store->record_sync("tab-a");
    for (const auto& s : store->device_statuses())
        if (s.dev.id == "tab-a") {
            EXPECT_EQ(s.last_contact_at_ms, wall.now_ms());
            EXPECT_EQ(s.last_sync_at_ms, wall.now_ms());
            EXPECT_EQ(s.app_version, "noi/0.1.0");
        }
    EXPECT_TRUE(store->revoke_device("tab-b"));
    EXPECT_FALSE(store->revoke_device("khong-co"));
    EXPECT_TRUE(store->find_device("tab-b")->revoked);
}

// A lost tablet (noi-admin device revoke --wipe): the order is kept, with its first time, until
// the tablet reports that it deleted its data, and that report is kept once.
TEST_P(store_contract, a_revocation_with_a_wipe_is_kept_until_the_tablet_reports_it_done) {
    EXPECT_TRUE(store->revoke_device("tab-b", true));
    const auto ordered = store->find_device("tab-b");
    ASSERT_TRUE(ordered->revoked);
    ASSERT_EQ(ordered->wipe_ordered_at_ms, wall.now_ms());
    EXPECT_FALSE(ordered->wiped_at_ms);
    wall.advance(1000);
    EXPECT_TRUE(store->revoke_device("tab-b", true));
    EXPECT_EQ(store->find_device("tab-b")->wipe_ordered_at_ms, ordered->wipe_ordered_at_ms);
    store->record_wiped("tab-b");
    const auto done_at = wall.now_ms();
    wall.advance(1000);
    store->record_wiped("tab-b");
    EXPECT_EQ(store->find_device("tab-b")->wiped_at_ms, done_at);
    // A plain revocation orders nothing, and a report without an order records nothing.
    EXPECT_TRUE(store->revoke_device("tab-a"));
    store->record_wiped("tab-a");
    EXPECT_FALSE(store->find_device("tab-a")->wipe_ordered_at_ms);
    EXPECT_FALSE(store->find_device("tab-a")->wiped_at_ms);
    int seen = 0;
    for (const auto& s : store->device_statuses())
        if (s.dev.id == "tab-b") {
            ++seen;
            EXPECT_EQ(s.dev.wipe_ordered_at_ms, ordered->wipe_ordered_at_ms);
            EXPECT_EQ(s.dev.wiped_at_ms, done_at);
        }
    EXPECT_EQ(seen, 1);
}

TEST_P(store_contract, a_replica_is_one_device_s_and_one_session_at_a_time) {
    auto hello = ta->begin_round("test");
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(store->hello(a, hello)));
    auto busy = store->hello(a, hello);
    ASSERT_TRUE(std::holds_alternative<proto::error>(busy));
    EXPECT_EQ(std::get<proto::error>(busy).code, proto::error_code::site_busy);
    auto other = store->hello(a2, hello);
    ASSERT_TRUE(std::holds_alternative<proto::error>(other));
    EXPECT_EQ(std::get<proto::error>(other).code, proto::error_code::site_bound_elsewhere);
    store->release(hello.site);
    EXPECT_TRUE(std::holds_alternative<proto::welcome>(store->hello(a, hello)));
}

TEST_P(store_contract, rows_reach_their_commune_only_and_read_back) {
    ta->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
             "'Nà Pài', 4)");
    tb->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h2', '01852', "
             "'Bản Chang', 2)");
    synced(*ta, a);
    synced(*tb, b);
    synced(*ta2, a2);
    EXPECT_EQ(count(*ta2, "SELECT count(*) FROM household WHERE id = 'h1'"), 1);
    EXPECT_EQ(count(*ta2, "SELECT count(*) FROM household WHERE id = 'h2'"), 0);
    auto row = store->read_row("household", "h1");
    ASSERT_TRUE(row);
    EXPECT_EQ(row->at("village"), value(std::string("Nà Pài")));
    EXPECT_EQ(store->row_scope("household", "h1"), value(std::string("01849")));
    EXPECT_FALSE(store->read_row("household", "khong-co"));
    auto rows = store->live_rows("household", "commune_code", value(std::string("01852")));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].id, "h2");
    EXPECT_GT(rows[0].newest_hlc, 0u);
    auto history = store->audit("household", "h1");
    ASSERT_EQ(history.size(), 1u);
    EXPECT_EQ(history[0].device_id, "tab-a");
}

TEST_P(store_contract, concurrent_edits_make_one_conflict_that_an_admin_resolves) {
    ta->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
    synced(*ta, a);
    synced(*ta2, a2);
    ta->exec("UPDATE household SET members = 5");
    ta2->exec("UPDATE household SET members = 6");
    synced(*ta, a);
    synced(*ta2, a2);
    auto open = store->conflicts({.status = conflict_status::open});
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].kind, merge::conflict_kind::update);
    EXPECT_EQ(open[0].column, "members");
    EXPECT_EQ(store->counts(wall.now_ms()).conflicts_open, 1u);
    server_store::resolution how;
    how.keep_device = "tab-a";
    how.by = "hoa.nguyen";
    EXPECT_EQ(store->resolve_conflict(open[0].id, how).status,
              server_store::resolve_status::resolved);
    EXPECT_EQ(store->resolve_conflict(open[0].id, how).status,
              server_store::resolve_status::already_resolved);
    auto done = store->conflicts({.id = open[0].id});
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].status, conflict_status::resolved);
    EXPECT_EQ(done[0].resolved_by, "hoa.nguyen");
    EXPECT_TRUE(store->conflicts({.status = conflict_status::open}).empty());
    synced(*ta2, a2);
    EXPECT_EQ(count(*ta2, "SELECT members FROM household"), 5);
}

TEST_P(store_contract, a_row_outside_the_device_s_commune_is_quarantined_until_decided) {
    ta->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('x', '01852', 'ghi nhầm')");
    synced(*ta, a);
    auto q = store->quarantine();
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0].reason, proto::reject_reason::out_of_scope);
    EXPECT_EQ(q[0].status, quarantine_state::open);
    EXPECT_EQ(store->counts(wall.now_ms()).quarantined_open, 1u);
    ASSERT_TRUE(store->quarantined_row(q[0].id));
    EXPECT_EQ(store->release_quarantined(q[0].id).status,
              server_store::quarantine_status::still_rejected);
    EXPECT_EQ(store->discard_quarantined(q[0].id).status, server_store::quarantine_status::done);
    EXPECT_EQ(store->discard_quarantined(q[0].id).status,
              server_store::quarantine_status::already_closed);
    EXPECT_EQ(store->quarantine()[0].status, quarantine_state::discarded);
    EXPECT_EQ(store->counts(wall.now_ms()).quarantined_open, 0u);
}

// Bytes that are not text, sent where text goes, fail neither a push nor a HELLO on any store
// (PostgreSQL's text takes neither): the rows are quarantined, what is kept of them escaped.
TEST_P(store_contract, bytes_that_are_not_text_are_quarantined_escaped_and_fail_nothing) {
    auto hello = tb->begin_round(std::string("noi/\xff\0x", 7));
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(store->hello(b, hello)));
    store->release(hello.site);
    for (const auto& s : store->device_statuses()) {
        if (s.dev.id == "tab-b") {
            EXPECT_EQ(s.app_version, "noi/\\xff\\x00x");
        }
    }
    ta->exec("INSERT INTO incident(id, commune_code, summary) VALUES (CAST(X'69ff' AS TEXT), "
             "'01849', 'a'), ('ok', '01849', CAST(X'4e6100c3a0' AS TEXT)), ('fine', '01849', "
             "'Nà Pài')");
    synced(*ta, a);
    auto q = store->quarantine();
    ASSERT_EQ(q.size(), 2u);
    std::set<std::string> ids;
    for (const auto& e : q) {
        EXPECT_EQ(e.reason, proto::reject_reason::wrong_type) << e.message;
        ids.insert(e.row_id);
    }
    EXPECT_EQ(ids, (std::set<std::string>{"i\\xff", "ok"}));
    EXPECT_EQ(store->live_rows("incident").size(), 1u) << "the row that is text went through";
}

TEST_P(store_contract, requests_not_committed_leave_nothing) {
    {
        auto tx = store->begin();
        store->add_device({"tab-x", "01849", "rolled back", false});
    }
    EXPECT_FALSE(store->find_device("tab-x"));
    {
        auto tx = store->begin();
        store->add_device({"tab-y", "01849", "kept", false});
        tx->commit();
    }
    EXPECT_TRUE(store->find_device("tab-y"));
}

INSTANTIATE_TEST_SUITE_P(stores, store_contract, ::testing::ValuesIn(test::store_kinds()),
                         [](const auto& info) { return std::string(info.param.name); });

} // namespace
