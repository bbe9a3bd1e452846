// Whole sync rounds between tablets and a server store through the session state machines
// and the real codec, in one process.
#include "loopback.hpp"
#include "replica_query.hpp"
#include "temp_dir.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/sqlite_store.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <set>

using namespace noi;
using noi::test::count;
using noi::test::text;
using sim::sync_once;

namespace {

struct round_fixture : ::testing::Test {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    std::unique_ptr<sqlite_store> server =
        sqlite_store::create(dir.file("server.db"), wall, {1}, {}, {"06", {}});
    device dev_a{"tab-a", "01849", "Xã A, máy 1"}, dev_a2{"tab-a2", "01849", "Xã A, máy 2"},
        dev_b{"tab-b", "01852", "Xã B"}, province{"prov", "*", "Tỉnh"};
    std::unique_ptr<tablet> a = tablet::create(dir.file("a.db"), wall, {2});
    std::unique_ptr<tablet> a2 = tablet::create(dir.file("a2.db"), wall, {3});
    std::unique_ptr<tablet> b = tablet::create(dir.file("b.db"), wall, {4});
    std::unique_ptr<tablet> p = tablet::create(dir.file("p.db"), wall, {5});

    void SetUp() override {
        for (const auto* d : {&dev_a, &dev_a2, &dev_b, &province})
            server->add_device(*d);
    }

    sim::round_result sync(tablet& t, const device& d) {
        wall.advance(1000);
        auto r = sync_once(t, *server, d);
        EXPECT_TRUE(r.done) << (r.error ? r.error->message : "cut");
        return r;
    }

    void reopen_server() {
        server.reset();
        server = sqlite_store::open(dir.file("server.db"), wall, {12});
    }
    // a and a2 set h1's members to 5 and 6 from 4: one conflict, recorded by a2's push.
    void conflict_on_h1() {
        a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
        sync(*a, dev_a);
        sync(*a2, dev_a2);
        a->exec("UPDATE household SET members = 5 WHERE id = 'h1'");
        a2->exec("UPDATE household SET members = 6 WHERE id = 'h1'");
        sync(*a, dev_a);
        wall.advance(10);
        sync(*a2, dev_a2);
        ASSERT_EQ(server->conflicts().size(), 1u);
    }
    std::int64_t server_count(const std::string& sql) {
        auto st = server->rep().db().prepare(sql);
        st.step();
        return st.column_int(0);
    }
};

} // namespace

TEST_F(round_fixture, a_row_written_offline_reaches_the_other_tablet_of_the_commune) {
    a->exec("INSERT INTO militia_member(id, commune_code, full_name) VALUES ('m1', '01849', 'Hoàng "
            "Thị Lan')");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    EXPECT_EQ(text(*a2, "SELECT full_name FROM militia_member WHERE id = 'm1'"), "Hoàng Thị Lan");
    EXPECT_EQ(a->status().pending, 0u);
    EXPECT_GT(a->status().server_seq, 0u);
    EXPECT_TRUE(a->status().last_sync_at_ms.has_value());
}

TEST_F(round_fixture, reference_communes_reach_every_tablet_by_pull) {
    sync(*b, dev_b);
    EXPECT_EQ(count(*b, "SELECT count(*) FROM commune"), 108);
    EXPECT_EQ(text(*b, "SELECT name FROM commune WHERE id = '01834'"),
              "Phường Nguyễn Thị Minh Khai");
}

TEST_F(round_fixture, a_tablet_never_receives_another_communes_rows) {
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01849', 'secret')");
    sync(*a, dev_a);
    sync(*b, dev_b);
    EXPECT_EQ(count(*b, "SELECT count(*) FROM incident"), 0);
    sync(*p, province);
    EXPECT_EQ(count(*p, "SELECT count(*) FROM incident"), 1);
}

TEST_F(round_fixture, edits_of_different_columns_of_one_row_both_win) {
    a->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', 'Nà "
            "Pài', 4)");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a->exec("UPDATE household SET members = 5 WHERE id = 'h1'");
    a2->exec("UPDATE household SET village = 'Bản Chang' WHERE id = 'h1'");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    sync(*a, dev_a);
    for (auto* t : {a.get(), a2.get()}) {
        EXPECT_EQ(count(*t, "SELECT members FROM household WHERE id = 'h1'"), 5);
        EXPECT_EQ(text(*t, "SELECT village FROM household WHERE id = 'h1'"), "Bản Chang");
    }
    EXPECT_TRUE(server->conflicts().empty());
}

TEST_F(round_fixture, the_audit_keeps_each_cells_version_and_base) {
    a->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', 'Nà "
            "Pài', 4)");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a2->exec("UPDATE household SET village = 'Bản Chang', members = 5 WHERE id = 'h1'");
    sync(*a2, dev_a2);
    auto records = server->audit("household", "h1");
    ASSERT_EQ(records.size(), 2u);
    const auto& insert = records[0].cells;
    ASSERT_GE(insert.size(), 4u);
    EXPECT_EQ(insert[0].column, "*exists");
    for (const auto& c : insert) {
        EXPECT_EQ(c.ver, insert[0].ver) << c.column;
        EXPECT_FALSE(c.base) << c.column;
        EXPECT_EQ(c.ver.site, a->rep().site()) << c.column;
    }
    const auto& update = records[1].cells;
    ASSERT_EQ(update.size(), 2u);
    for (const auto& c : update) {
        EXPECT_EQ(c.ver.site, a2->rep().site()) << c.column;
        ASSERT_TRUE(c.base) << c.column;
        EXPECT_EQ(*c.base, insert[0].ver) << c.column;
    }
    EXPECT_LT(insert[0].ver, update[0].ver);
    EXPECT_EQ(std::get<std::string>(update[0].old_value), "Nà Pài");
    EXPECT_EQ(std::get<std::string>(update[0].new_value), "Bản Chang");
}

// An insert's record is most of the audit: it names its table's column list by number instead
// of naming every column, and reads back whole.
TEST_F(round_fixture, an_inserts_audit_record_names_its_tables_column_list) {
    a->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
            "'Nà Pài', 4)");
    sync(*a, dev_a);
    EXPECT_LT(server_count("SELECT length(cells) FROM noi_feed WHERE id = 'h1' AND cells IS NOT "
                           "NULL"),
              40);
    // Its writer is the pushing site, which the feed entry holds already.
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_feed WHERE id = 'h1' AND writer IS NULL AND "
                           "site IS NOT NULL"),
              1);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log JOIN noi_feed ON noi_audit_log.id "
                           "= noi_feed.seq WHERE row_id = 'h1' AND noi_audit_log.site = "
                           "noi_feed.site"),
              1);
    auto records = server->audit("household", "h1");
    ASSERT_EQ(records.size(), 1u);
    EXPECT_EQ(records[0].site, a->rep().site());
    const auto* def = server->rep().tables().find("household");
    ASSERT_TRUE(def);
    const auto& cells = records[0].cells;
    ASSERT_EQ(cells.size(), def->columns.size() + 1);
    EXPECT_EQ(cells[0].column, "*exists");
    for (std::size_t i = 0; i < def->columns.size(); ++i) {
        EXPECT_EQ(cells[i + 1].column, def->columns[i].name);
        EXPECT_TRUE(is_null(cells[i + 1].old_value)) << cells[i + 1].column;
        EXPECT_EQ(cells[i + 1].ver, cells[0].ver) << cells[i + 1].column;
    }
    auto cell = [&](const std::string& column) {
        return std::find_if(cells.begin(), cells.end(),
                            [&](const auto& c) { return c.column == column; })
            ->new_value;
    };
    EXPECT_EQ(cell("commune_code"), value(std::string("01849")));
    EXPECT_EQ(cell("village"), value(std::string("Nà Pài")));
    EXPECT_EQ(cell("members"), value(std::int64_t{4}));
    // Without its list the record cannot be read, and the error says what to do.
    server->rep().db().exec("DELETE FROM noi_audit_columns");
    try {
        server->audit("household", "h1");
        ADD_FAILURE() << "a record naming a missing list was read";
    } catch (const sync_error& e) {
        EXPECT_EQ(e.code(), errc::corrupt_state);
        EXPECT_NE(std::string(e.what()).find("restore the database"), std::string::npos);
    }
}

// The audit stores each change's values before; the values after are read back from the next
// change, or the row as it is now. A whole history, a delete and a re-insert included.
TEST_F(round_fixture, the_audit_gives_every_changes_values_before_and_after) {
    a->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
            "'Nà Pài', 4)");
    sync(*a, dev_a);
    a->exec("UPDATE household SET members = 5 WHERE id = 'h1'");
    sync(*a, dev_a);
    a->exec("UPDATE household SET village = 'Bản Chang', members = 6 WHERE id = 'h1'");
    a->exec("DELETE FROM household WHERE id = 'h1'");
    sync(*a, dev_a);
    auto records = server->audit("household", "h1");
    ASSERT_EQ(records.size(), 4u);
    auto cell = [&](std::size_t k, const std::string& column) {
        for (const auto& c : records[k].cells)
            if (c.column == column) return c;
        ADD_FAILURE() << "record " << k << " has no " << column;
        return audit_cell{};
    };
    EXPECT_EQ(cell(0, "*exists").new_value, value(std::int64_t{1}));
    EXPECT_TRUE(is_null(cell(0, "village").old_value));
    EXPECT_EQ(cell(0, "village").new_value, value(std::string("Nà Pài")));
    EXPECT_EQ(cell(0, "members").new_value, value(std::int64_t{4}));
    EXPECT_EQ(cell(1, "members").old_value, value(std::int64_t{4}));
    EXPECT_EQ(cell(1, "members").new_value, value(std::int64_t{5}));
    // The row is deleted now: its tombstone holds the values after the last update.
    EXPECT_EQ(cell(2, "members").old_value, value(std::int64_t{5}));
    EXPECT_EQ(cell(2, "members").new_value, value(std::int64_t{6}));
    EXPECT_EQ(cell(2, "village").new_value, value(std::string("Bản Chang")));
    EXPECT_EQ(cell(3, "*exists").old_value, value(std::int64_t{1}));
    EXPECT_EQ(cell(3, "*exists").new_value, value(std::int64_t{0}));
}

TEST_F(round_fixture, audit_records_of_older_databases_still_read) {
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
    sync(*a, dev_a);
    // Move the insert's record where older databases kept it, as the first format stored it:
    // in noi_audit, every cell flat with its value after, a repeated version as hlc 0.
    auto insert = server->audit("household", "h1").at(0);
    std::vector<value> flat;
    bool first = true;
    // One push_back a field: GCC 12 at -O2 warns falsely of an uninitialised variant in the
    // initializer lists these were.
    for (const auto& c : insert.cells) {
        flat.push_back(c.column);
        flat.push_back(c.old_value);
        flat.push_back(c.new_value);
        flat.emplace_back(std::in_place_type<std::int64_t>, first ? c.ver.hlc : 0);
        flat.push_back(first ? value(blob{{c.ver.site.begin(), c.ver.site.end()}}) : value{});
        flat.emplace_back();
        flat.emplace_back();
        first = false;
    }
    auto old_format = pack_values(flat);
    auto& db = server->rep().db();
    auto st = db.prepare("INSERT INTO noi_audit(at, device_id, site, tbl, row_id, cells) "
                         "VALUES (?1, ?2, ?3, 'household', 'h1', ?4)");
    st.bind(1, insert.at_ms).bind(2, insert.device_id);
    st.bind_blob(3, insert.site.data(), insert.site.size());
    st.bind_blob(4, old_format.data(), old_format.size());
    st.run();
    db.exec("UPDATE noi_feed SET at = NULL, device_id = NULL, writer = NULL, cells = NULL WHERE "
            "seq = " +
            std::to_string(insert.id));
    a->exec("UPDATE household SET members = 7 WHERE id = 'h1'");
    sync(*a, dev_a);
    auto records = server->audit("household", "h1");
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].cells, insert.cells);
    EXPECT_EQ(records[0].device_id, "tab-a");
    ASSERT_EQ(records[1].cells.size(), 1u);
    EXPECT_EQ(records[1].cells[0].old_value, value(std::int64_t{4}));
    EXPECT_EQ(records[1].cells[0].new_value, value(std::int64_t{7}));
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log WHERE row_id = 'h1'"), 2);
}

TEST_F(round_fixture, concurrent_edits_of_one_cell_converge_and_record_a_conflict) {
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a->exec("UPDATE household SET members = 5 WHERE id = 'h1'");
    wall.advance(10);
    a2->exec("UPDATE household SET members = 6 WHERE id = 'h1'");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    sync(*a, dev_a);
    EXPECT_EQ(count(*a, "SELECT members FROM household"), 6);
    EXPECT_EQ(count(*a2, "SELECT members FROM household"), 6);
    auto c = server->conflicts();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].kind, merge::conflict_kind::update);
    EXPECT_EQ(c[0].column, "members");
    EXPECT_EQ(c[0].winner.val, value(std::int64_t{6}));
    EXPECT_EQ(c[0].loser.val, value(std::int64_t{5}));
    EXPECT_EQ(c[0].winner.device_id, "tab-a2");
    EXPECT_EQ(c[0].loser.device_id, "tab-a");
}

TEST_F(round_fixture, a_delete_against_an_unseen_update_records_delete_update) {
    a->exec("INSERT INTO recruit(id, commune_code, stage) VALUES ('r1', '01849', 'registered')");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a2->exec("UPDATE recruit SET stage = 'commune_screened' WHERE id = 'r1'");
    sync(*a2, dev_a2);
    wall.advance(10);
    a->exec("DELETE FROM recruit WHERE id = 'r1'");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    EXPECT_EQ(count(*a, "SELECT count(*) FROM recruit"), 0);
    EXPECT_EQ(count(*a2, "SELECT count(*) FROM recruit"), 0);
    auto c = server->conflicts();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].kind, merge::conflict_kind::delete_update);
    EXPECT_FALSE(c[0].column.has_value());
    EXPECT_TRUE(c[0].winner.deleted);
}

TEST_F(round_fixture, an_update_into_a_row_deleted_elsewhere_stays_deleted_and_conflicts) {
    a->exec("INSERT INTO recruit(id, commune_code, stage) VALUES ('r1', '01849', 'registered')");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a->exec("DELETE FROM recruit WHERE id = 'r1'");
    sync(*a, dev_a);
    wall.advance(10);
    a2->exec("UPDATE recruit SET stage = 'verified' WHERE id = 'r1'");
    sync(*a2, dev_a2);
    sync(*a, dev_a);
    EXPECT_EQ(count(*a2, "SELECT count(*) FROM recruit"), 0);
    auto c = server->conflicts();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].kind, merge::conflict_kind::delete_update);
    EXPECT_EQ(a2->status().pending, 0u);
}

TEST_F(round_fixture, an_out_of_scope_row_is_quarantined_while_the_rest_of_the_batch_applies) {
    // Before its first sync the tablet does not know its scope, so the trigger cannot refuse.
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('good', '01849', 'ok')");
    a->exec(
        "INSERT INTO incident(id, commune_code, summary) VALUES ('bad', '01852', 'wrong commune')");
    a->exec("INSERT INTO commune(id, name, kind) VALUES ('09999', 'Giả', 'xa')");
    auto r = sync(*a, dev_a);
    EXPECT_EQ(r.stats.rejected, 2u);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident"), 1);
    EXPECT_EQ(server_count("SELECT count(*) FROM commune WHERE id = '09999'"), 0);
    auto q = server->quarantine();
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q[0].reason, proto::reject_reason::out_of_scope);
    EXPECT_EQ(q[1].reason, proto::reject_reason::global_table);
    auto rej = a->rejected();
    ASSERT_EQ(rej.size(), 2u);
    EXPECT_EQ(rej[0].row_id, "bad");
    EXPECT_EQ(std::get<std::string>(
                  rej[0].values[*a->rep().tables().find("incident")->column_index("summary")]),
              "wrong commune");
    EXPECT_EQ(a->status().rejected, 2u);
    EXPECT_EQ(count(*a, "SELECT count(*) FROM incident WHERE id = 'bad'"), 0);
    // The reference row the tablet wrote over is back as the server has it.
    EXPECT_EQ(count(*a, "SELECT count(*) FROM commune"), 108);
    EXPECT_EQ(a->status().pending, 0u);
    // The next WELCOME does not repeat what the tablet confirmed.
    auto again = sync(*a, dev_a);
    EXPECT_EQ(again.stats.rejected, 0u);
}

TEST_F(round_fixture,
       a_lost_push_ack_is_not_applied_twice_and_its_rejections_come_back_in_welcome) {
    a->exec("INSERT INTO incident(id, commune_code) VALUES ('i1', '01849')");
    a->exec("INSERT INTO incident(id, commune_code) VALUES ('bad', '01852')");
    sim::link_faults cut_ack;
    cut_ack.cut = [](const proto::message& m, bool to_server) {
        return !to_server && std::holds_alternative<proto::push_ack>(m);
    };
    auto r = sync_once(*a, *server, dev_a, {}, cut_ack);
    EXPECT_TRUE(r.cut);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident"), 1);
    auto audits = server_count("SELECT count(*) FROM noi_audit_log WHERE tbl = 'incident'");
    auto again = sync(*a, dev_a);
    EXPECT_EQ(again.stats.rejected, 1u);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log WHERE tbl = 'incident'"), audits);
    EXPECT_EQ(a->rejected().size(), 1u);
    EXPECT_EQ(server->quarantine().size(), 1u);
}

TEST_F(round_fixture, a_replayed_push_on_a_new_connection_changes_nothing) {
    a->exec("INSERT INTO incident(id, commune_code, persons) VALUES ('i1', '01849', 2)");
    auto r = sync(*a, dev_a);
    auto feed = server->server_seq();
    server_session ghost(*server, dev_a);
    ghost.on_message(std::get<proto::hello>(r.sent_by_client[0]));
    for (std::size_t i = 1; i < r.sent_by_client.size(); ++i) {
        auto reply = ghost.on_message(r.sent_by_client[i]);
        EXPECT_FALSE(reply.close);
    }
    EXPECT_EQ(server->server_seq(), feed);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log WHERE tbl = 'incident'"), 1);
}

TEST_F(round_fixture, a_push_that_leaves_a_gap_is_refused) {
    server_session s(*server, dev_a);
    auto hello = a->begin_round("test");
    s.on_message(hello);
    auto reply = s.on_message(proto::push{5, 9, {}});
    ASSERT_EQ(reply.send.size(), 1u);
    EXPECT_EQ(std::get<proto::error>(reply.send[0]).code, proto::error_code::sequence_gap);
    EXPECT_TRUE(reply.close);
}

TEST_F(round_fixture, a_session_says_what_follows_each_reply) {
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 3)");
    server_session s(*server, dev_a);
    const proto::message pull = proto::pull{0, 500, true};
    // Before HELLO a PULL is the writer's to refuse, never the reader's to answer.
    EXPECT_FALSE(s.for_reader(pull));
    s.on_message(a->begin_round("test"));
    EXPECT_TRUE(s.for_reader(pull));
    auto push = a->next_push(0, 100);
    ASSERT_TRUE(push);
    EXPECT_FALSE(s.for_reader(*push));
    auto reply = s.on_message(*push);
    EXPECT_EQ(reply.rows_pushed, 1u);
    EXPECT_EQ(reply.cells_pushed, push->rows[0].cells.size());
    EXPECT_EQ(reply.emitted.for_device(device{"d", "01849", ""}), server->server_seq());
    EXPECT_EQ(reply.emitted.for_device(device{"d", "01852", ""}), 0u);
    auto answer = s.answer_pull(*server, std::get<proto::pull>(pull));
    EXPECT_TRUE(answer.round_finished);
    EXPECT_FALSE(answer.changes.rows.empty());
    auto first = s.answer_pull(*server, proto::pull{0, 1, true});
    EXPECT_FALSE(first.round_finished);
}

TEST_F(round_fixture, a_second_live_session_for_one_site_and_a_site_of_another_device_are_refused) {
    auto hello = a->begin_round("test");
    server_session first(*server, dev_a);
    EXPECT_FALSE(first.on_message(hello).close);
    server_session second(*server, dev_a);
    auto r = second.on_message(hello);
    EXPECT_TRUE(r.close);
    EXPECT_EQ(std::get<proto::error>(r.send[0]).code, proto::error_code::site_busy);
    server_session thief(*server, dev_b);
    auto t = thief.on_message(hello);
    EXPECT_EQ(std::get<proto::error>(t.send[0]).code, proto::error_code::site_bound_elsewhere);
}

TEST_F(round_fixture, applying_the_same_changes_twice_changes_nothing) {
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 3)");
    sync(*a, dev_a);
    auto ch = server->pull(dev_a2, {0, 500});
    a2->apply_changes(ch);
    auto dump = [&] {
        auto st = a2->rep().db().prepare("SELECT id, state FROM noi_rows ORDER BY tbl, id");
        std::string out;
        while (st.step())
            out += st.column_text(0) + st.column_blob(1);
        return out + text(*a2, "SELECT group_concat(id || members) FROM household");
    };
    auto once = dump();
    a2->apply_changes(ch);
    EXPECT_EQ(dump(), once);
}

TEST_F(round_fixture, a_pulled_change_never_overwrites_a_pending_cell) {
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 3)");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a->exec("UPDATE household SET members = 7");
    sync(*a, dev_a);
    a2->exec("UPDATE household SET members = 9"); // not folded yet when the pull lands
    a2->apply_changes(server->pull(dev_a2, {a2->cursor(), 500}));
    EXPECT_EQ(count(*a2, "SELECT members FROM household"), 9);
    sync(*a2, dev_a2);
    sync(*a, dev_a);
    EXPECT_EQ(count(*a, "SELECT members FROM household"), 9);
}

TEST_F(round_fixture, a_clock_far_ahead_is_refused_then_restamped_and_accepted) {
    manual_clock fast(wall.now_ms() + 3LL * 86'400'000);
    auto f = tablet::create(dir.file("f.db"), fast, {9});
    f->exec("INSERT INTO incident(id, commune_code) VALUES ('i1', '01849')");
    auto r1 = sync_once(*f, *server, dev_a);
    ASSERT_TRUE(r1.error.has_value());
    EXPECT_EQ(r1.error->code, proto::error_code::clock_ahead);
    auto r2 = sync_once(*f, *server, dev_a);
    EXPECT_TRUE(r2.done) << (r2.error ? r2.error->message : "");
    EXPECT_EQ(server_count("SELECT count(*) FROM incident"), 1);
    // Later writes use the server's corrected clock.
    f->exec("UPDATE incident SET persons = 2");
    EXPECT_TRUE(sync_once(*f, *server, dev_a).done);
}

TEST_F(round_fixture, a_new_server_epoch_makes_the_tablet_repush_and_pull_from_zero) {
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01849', 'giữ lại')");
    sync(*a, dev_a);
    // Restore an old backup: a fresh server that knows the device but not the data.
    server.reset();
    test::temp_dir other;
    server = sqlite_store::create(other.file("restored.db"), wall, {11}, {}, {"06", {}});
    server->add_device(dev_a);
    sync(*a, dev_a);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident WHERE summary = 'giữ lại'"), 1);
    EXPECT_EQ(count(*a, "SELECT count(*) FROM commune"), 108);
    // Only its own write went up again: the 108 reference communes it pulled are the
    // server's, which a tablet may not send (they were quarantined, 108 rows per tablet).
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine"), 0);
    EXPECT_EQ(a->status().rejected, 0u);
}

TEST_F(round_fixture, a_welcome_clock_outside_sane_years_does_not_set_the_tablets_clock) {
    sync(*a, dev_a);
    const auto offset = a->rep().clock().offset();
    proto::welcome w;
    w.clock_ms = hlc_max_ms; // year 10889: what a poisoned server said
    w.scope = "01849";
    w.epoch = server->epoch();
    a->begin_round("test");
    a->on_welcome(w);
    EXPECT_EQ(a->rep().clock().offset(), offset);
    a->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
            "'Nà Pài', 4)");
    sync(*a, dev_a);
    EXPECT_EQ(server_count("SELECT count(*) FROM household"), 1);
    EXPECT_LT(a->rep().clock().floor(), hlc_from_ms(wall.now_ms() + 60'000));
}

TEST_F(round_fixture, a_tablet_restored_from_backup_moves_its_sequence_above_the_servers) {
    a->exec("INSERT INTO incident(id, commune_code) VALUES ('i1', '01849')");
    sync(*a, dev_a);
    a.reset();
    std::filesystem::copy_file(dir.file("a.db"), dir.file("a-backup.db"));
    a = tablet::open(dir.file("a.db"), wall);
    a->exec("INSERT INTO incident(id, commune_code) VALUES ('i2', '01849')");
    sync(*a, dev_a);
    a.reset();
    // Restore the backup taken before i2 and write again.
    std::filesystem::remove(dir.file("a.db"));
    std::filesystem::remove(dir.file("a.db-wal"));
    std::filesystem::copy_file(dir.file("a-backup.db"), dir.file("a.db"));
    a = tablet::open(dir.file("a.db"), wall);
    a->exec("INSERT INTO incident(id, commune_code) VALUES ('i3', '01849')");
    sync(*a, dev_a);
    sync(*a, dev_a);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident"), 3);
    EXPECT_EQ(count(*a, "SELECT count(*) FROM incident"), 3);
    EXPECT_EQ(a->status().pending, 0u);
}

TEST_F(round_fixture, a_round_does_not_bring_the_tablets_own_writes_back) {
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 3)");
    a2->exec("INSERT INTO household(id, commune_code, members) VALUES ('h2', '01849', 4)");
    sync(*a2, dev_a2);
    auto r = sync(*a, dev_a);
    EXPECT_EQ(r.stats.rows_pushed, 1u);
    // h2 and the reference communes; not h1.
    EXPECT_EQ(r.stats.rows_pulled, 109u);
    EXPECT_EQ(sync(*a, dev_a).stats.rows_pulled, 0u);
    // Another tablet's edit of the row a wrote comes back, and only that cell.
    sync(*a2, dev_a2);
    a2->exec("UPDATE household SET members = 5 WHERE id = 'h1'");
    sync(*a2, dev_a2);
    r = sync(*a, dev_a);
    EXPECT_EQ(r.stats.rows_pulled, 1u);
    EXPECT_EQ(r.stats.cells_pulled, 1u);
    EXPECT_EQ(count(*a, "SELECT members FROM household WHERE id = 'h1'"), 5);
}

TEST_F(round_fixture, a_tablet_restored_from_backup_gets_back_its_own_later_writes) {
    a->exec("INSERT INTO household(id, commune_code, members, village) VALUES ('h1', '01849', 3, "
            "'Nà Pài')");
    sync(*a, dev_a);
    a.reset();
    std::filesystem::copy_file(dir.file("a.db"), dir.file("a-backup.db"));
    a = tablet::open(dir.file("a.db"), wall);
    a->exec("UPDATE household SET members = 6 WHERE id = 'h1'");
    a->exec("DELETE FROM household WHERE id = 'h1'");
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h2', '01849', 2)");
    a->exec("UPDATE household SET village = 'Bản Mới' WHERE id = 'h2'");
    sync(*a, dev_a);
    a.reset();
    std::filesystem::remove(dir.file("a.db"));
    std::filesystem::remove(dir.file("a.db-wal"));
    std::filesystem::copy_file(dir.file("a-backup.db"), dir.file("a.db"));
    a = tablet::open(dir.file("a.db"), wall);
    auto r = sync(*a, dev_a);
    EXPECT_GE(r.stats.rows_pulled, 2u);
    EXPECT_EQ(count(*a, "SELECT count(*) FROM household WHERE id = 'h1'"), 0);
    EXPECT_EQ(text(*a, "SELECT village FROM household WHERE id = 'h2'"), "Bản Mới");
    // Once a round has finished, the tablet's own writes stay home again.
    a->exec("UPDATE household SET members = 9 WHERE id = 'h2'");
    EXPECT_EQ(sync(*a, dev_a).stats.rows_pulled, 0u);
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h2'"), 9);
}

TEST_F(round_fixture, a_server_database_from_before_the_feed_named_sites_is_upgraded_on_open) {
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 3)");
    sync(*a, dev_a);
    server->rep().db().exec(
        "DROP VIEW noi_audit_log; ALTER TABLE noi_feed DROP COLUMN site; ALTER TABLE noi_feed "
        "DROP COLUMN at; ALTER TABLE noi_feed DROP COLUMN device_id; ALTER TABLE noi_feed DROP "
        "COLUMN writer; ALTER TABLE noi_feed DROP COLUMN cells; ALTER TABLE noi_feed DROP COLUMN "
        "prev; DROP TABLE noi_audit_columns; UPDATE noi_meta SET value = 1 WHERE key = 'format'");
    reopen_server();
    auto has = [](const proto::changes& ch, const std::string& id) {
        return std::any_of(ch.rows.begin(), ch.rows.end(), [&](auto& r) { return r.id == id; });
    };
    // Rows from before the upgrade go to everyone, their writer too; later ones skip it.
    EXPECT_TRUE(has(server->pull(dev_a, {0, 500, false}, a->rep().site()), "h1"));
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h2', '01849', 4)");
    EXPECT_EQ(sync(*a, dev_a).stats.rows_pulled, 0u);
    EXPECT_FALSE(has(server->pull(dev_a, {0, 500, false}, a->rep().site()), "h2"));
    sync(*a2, dev_a2);
    EXPECT_EQ(count(*a2, "SELECT count(*) FROM household"), 2);
    EXPECT_EQ(server->audit("household", "h2").size(), 1u);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_audit_log WHERE row_id = 'h2'"), 1);
    // The column lists came with the upgrade: a later insert's record names its list.
    EXPECT_LT(server_count("SELECT length(cells) FROM noi_feed WHERE id = 'h2' AND cells IS NOT "
                           "NULL"),
              40);
}

TEST_F(round_fixture, an_older_audit_view_is_made_anew_on_open_and_a_current_one_is_kept) {
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 3)");
    sync(*a, dev_a);
    // The view of databases from before a feed entry's writer could be left NULL.
    server->rep().db().exec(
        "DROP VIEW noi_audit_log; CREATE VIEW noi_audit_log AS SELECT id, at, device_id, site, "
        "tbl, row_id, cells FROM noi_audit UNION ALL SELECT seq, at, device_id, writer, tbl, id, "
        "cells FROM noi_feed WHERE cells IS NOT NULL; UPDATE noi_meta SET value = 1 WHERE key = "
        "'format'");
    const std::string with_writer =
        "SELECT count(*) FROM noi_audit_log WHERE row_id = 'h1' AND site IS NOT NULL";
    EXPECT_EQ(server_count(with_writer), 0);
    reopen_server();
    EXPECT_EQ(server_count(with_writer), 1);
    const auto schema = server_count("PRAGMA schema_version");
    reopen_server();
    EXPECT_EQ(server_count("PRAGMA schema_version"), schema);
}

TEST_F(round_fixture, a_push_that_loses_one_cell_still_brings_the_winner_back_to_its_writer) {
    // One emission carries a's winning cell and a2's kept one: a must pull it although it
    // comes from a's own push.
    a->exec("INSERT INTO recruit(id, commune_code, stage, full_name) VALUES ('r1', '01849', "
            "'registered', 'Lò Văn Tủa')");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a->exec("UPDATE recruit SET stage = 'verified', full_name = 'Lò Văn Tủa (B)' WHERE id = 'r1'");
    wall.advance(10);
    a2->exec("UPDATE recruit SET stage = 'enlisted' WHERE id = 'r1'");
    sync(*a2, dev_a2);
    sync(*a, dev_a);
    EXPECT_EQ(text(*a, "SELECT stage || ', ' || full_name FROM recruit WHERE id = 'r1'"),
              "enlisted, Lò Văn Tủa (B)");
    sync(*a2, dev_a2);
    EXPECT_EQ(text(*a2, "SELECT stage || ', ' || full_name FROM recruit WHERE id = 'r1'"),
              "enlisted, Lò Văn Tủa (B)");
}

TEST_F(round_fixture, vietnamese_text_round_trips_byte_for_byte) {
    const std::string s = "Mô hình \"Tiếng mõ an ninh trật tự\" — thôn Nà Pài, xã Cẩm Giàng 🇻🇳";
    auto st = a->rep().db().prepare(
        "INSERT INTO security_model(id, commune_code, name) VALUES ('s1', '01849', ?1)");
    st.bind(1, s);
    st.step();
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    EXPECT_EQ(text(*a2, "SELECT name FROM security_model"), s);
}

TEST_F(round_fixture, a_pending_write_that_loses_learns_the_winner_by_re_emission) {
    // docs/design.md §4: the tablet pulled the winner while its own write was pending (so skipped
    // it, and its cursor passed it); its write then loses at the server, which must re-emit.
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 3)");
    sync(*a, dev_a);
    manual_clock ahead(wall.now_ms() + 60'000);
    auto u = tablet::create(dir.file("u.db"), ahead, {21});
    sync_once(*u, *server, dev_a2);
    a->exec("UPDATE household SET members = 5");
    ahead.set(wall.now_ms() + 60'000);
    u->exec("UPDATE household SET members = 6");
    EXPECT_TRUE(sync_once(*u, *server, dev_a2).done);
    a->apply_changes(server->pull(dev_a, {a->cursor(), 500}));
    EXPECT_EQ(count(*a, "SELECT members FROM household"), 5); // pending: never overwritten
    sync(*a, dev_a);
    EXPECT_EQ(count(*a, "SELECT members FROM household"), 6);
    auto c = server->conflicts();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].winner.val, value(std::int64_t{6}));
    EXPECT_EQ(c[0].loser.val, value(std::int64_t{5}));
}

TEST_F(round_fixture, a_quarantined_row_is_released_once_its_reason_no_longer_holds) {
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('x', '01852', 'ghi nhầm xã')");
    sync(*a, dev_a);
    auto q = server->quarantine();
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(server->release_quarantined(q[0].id).status,
              server_store::quarantine_status::still_rejected);
    // The province makes the device province-wide: the row is no longer outside its scope.
    server->rep().db().exec("UPDATE noi_devices SET scope = '*' WHERE device_id = 'tab-a'");
    EXPECT_EQ(server->release_quarantined(q[0].id).status, server_store::quarantine_status::done);
    EXPECT_EQ(server->release_quarantined(q[0].id).status,
              server_store::quarantine_status::already_closed);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident WHERE id = 'x'"), 1);
    sync(*b, dev_b);
    EXPECT_EQ(text(*b, "SELECT summary FROM incident WHERE id = 'x'"), "ghi nhầm xã");
}

// docs/protocol.md, Conflicts: both officers whose values met are told their value went for
// review, and, once an admin decides, what the province kept.
TEST_F(round_fixture, both_tablets_hear_of_a_conflict_and_of_the_admin_s_decision) {
    conflict_on_h1();
    const auto c = server->conflicts();
    ASSERT_EQ(c.size(), 1u);
    EXPECT_TRUE(a2->conflicts().empty()) << "told at the next WELCOME, not in the PUSH_ACK";
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    sync(*b, dev_b);
    EXPECT_TRUE(b->conflicts().empty()) << "another commune's tablet hears nothing of it";
    for (auto* t : {a.get(), a2.get()}) {
        const auto told = t->conflicts();
        ASSERT_EQ(told.size(), 1u);
        EXPECT_EQ(told[0].conflict_id, c[0].id);
        EXPECT_EQ(told[0].table, "household");
        EXPECT_EQ(told[0].row_id, "h1");
        EXPECT_EQ(told[0].column, "members");
        EXPECT_FALSE(told[0].decided);
        EXPECT_FALSE(told[0].decided_at_ms);
    }
    sync(*a, dev_a);
    EXPECT_EQ(a->conflicts().size(), 1u) << "told once, kept";

    server_store::resolution how;
    how.new_value = std::int64_t{7};
    how.by = "test";
    ASSERT_EQ(server->resolve_conflict(c[0].id, how).status,
              server_store::resolve_status::resolved);
    for (auto [t, d] : {std::pair{a.get(), dev_a}, std::pair{a2.get(), dev_a2}}) {
        sync(*t, d);
        const auto told = t->conflicts();
        ASSERT_EQ(told.size(), 1u);
        EXPECT_TRUE(told[0].decided);
        EXPECT_EQ(told[0].kept, value{std::int64_t{7}});
        EXPECT_TRUE(told[0].decided_at_ms);
        EXPECT_EQ(count(*t, "SELECT members FROM household WHERE id = 'h1'"), 7);
    }
    // Kept thirty days after the decision reached the tablet, then let go.
    wall.advance(29LL * 24 * 3600 * 1000);
    sync(*a, dev_a);
    EXPECT_EQ(a->conflicts().size(), 1u);
    wall.advance(2LL * 24 * 3600 * 1000);
    sync(*a, dev_a);
    EXPECT_TRUE(a->conflicts().empty());
}

TEST_F(round_fixture, a_delete_against_an_update_is_resolved_by_keeping_the_row) {
    a->exec("INSERT INTO recruit(id, commune_code, stage) VALUES ('r1', '01849', 'registered')");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a2->exec("UPDATE recruit SET stage = 'verified' WHERE id = 'r1'");
    sync(*a2, dev_a2);
    wall.advance(10);
    a->exec("DELETE FROM recruit WHERE id = 'r1'");
    sync(*a, dev_a);
    auto c = server->conflicts();
    ASSERT_EQ(c.size(), 1u);
    ASSERT_EQ(c[0].kind, merge::conflict_kind::delete_update);
    server_store::resolution how;
    how.keep_device = "tab-a2";
    how.by = "test";
    auto r = server->resolve_conflict(c[0].id, how);
    EXPECT_EQ(r.status, server_store::resolve_status::resolved) << r.message;
    EXPECT_EQ(server->resolve_conflict(c[0].id, how).status,
              server_store::resolve_status::already_resolved);
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    for (auto* t : {a.get(), a2.get()})
        EXPECT_EQ(text(*t, "SELECT stage FROM recruit WHERE id = 'r1'"), "verified");
    EXPECT_EQ(server->conflicts()[0].status, conflict_status::resolved);
}

TEST_F(round_fixture, resolving_refuses_when_the_cell_changed_again_unless_forced) {
    a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a->exec("UPDATE household SET members = 5");
    a2->exec("UPDATE household SET members = 6");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    sync(*a, dev_a);
    a->exec("UPDATE household SET members = 8");
    sync(*a, dev_a);
    auto id = server->conflicts()[0].id;
    server_store::resolution how;
    how.new_value = std::int64_t{7};
    EXPECT_EQ(server->resolve_conflict(id, how).status,
              server_store::resolve_status::changed_since);
    how.force = true;
    EXPECT_EQ(server->resolve_conflict(id, how).status, server_store::resolve_status::resolved);
    sync(*a, dev_a);
    EXPECT_EQ(count(*a, "SELECT members FROM household"), 7);
}

TEST_F(round_fixture, a_restamped_insert_and_delete_keep_their_order) {
    // Found by the simulation: re-stamping after a clock refusal must not put a row's delete
    // before the cells of its insert.
    manual_clock fast(wall.now_ms() + 3LL * 86'400'000);
    auto f = tablet::create(dir.file("f.db"), fast, {31});
    f->exec(
        "INSERT INTO incident(id, commune_code, summary) VALUES ('i1', '01849', 'ghi rồi xoá')");
    f->exec("DELETE FROM incident WHERE id = 'i1'");
    auto refused = sync_once(*f, *server, dev_a);
    ASSERT_TRUE(refused.error.has_value());
    EXPECT_EQ(refused.error->code, proto::error_code::clock_ahead);
    EXPECT_TRUE(sync_once(*f, *server, dev_a).done);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident"), 0);
    sync(*a2, dev_a2);
    EXPECT_EQ(count(*a2, "SELECT count(*) FROM incident"), 0);
}

TEST_F(round_fixture, cells_of_an_unknown_row_get_the_existence_they_were_written_with) {
    // The insert's existence moved on to a later change that the server never accepts: the
    // row must still reach every replica, not wait for an existence that never comes.
    a->exec("INSERT INTO household(id, commune_code, village) VALUES ('h1', '01849', 'Nà Pài')");
    a->begin_round("test");
    auto p = *a->next_push(0, 100);
    ASSERT_EQ(p.rows.size(), 1u);
    auto cells_only = p.rows[0];
    cells_only.exists.reset();
    server_session s(*server, dev_a);
    s.on_message(a->begin_round("test"));
    auto reply = s.on_message(proto::push{0, p.to_seq, {cells_only}});
    ASSERT_TRUE(std::holds_alternative<proto::push_ack>(reply.send[0]));
    sync(*a2, dev_a2);
    EXPECT_EQ(text(*a2, "SELECT village FROM household WHERE id = 'h1'"), "Nà Pài");
}

TEST_F(round_fixture, a_pull_reads_about_what_it_sends_however_long_the_feed_after_it) {
    a->exec("BEGIN");
    for (int i = 0; i < 2000; ++i)
        a->exec("INSERT INTO household(id, commune_code) VALUES ('h" + std::to_string(i) +
                "', '01849')");
    a->exec("COMMIT");
    sync(*a, dev_a);
    // SQLite's count of virtual-machine steps over every statement of the connection: the work
    // a pull did, independent of the machine's speed.
    auto steps_of_pull = [&](std::uint64_t cursor) {
        auto* db = server->rep().db().handle();
        for (auto* st = sqlite3_next_stmt(db, nullptr); st; st = sqlite3_next_stmt(db, st))
            sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
        auto ch = server->pull(dev_a2, {cursor, 10});
        EXPECT_EQ(ch.rows.size(), 10u);
        std::int64_t steps = 0;
        for (auto* st = sqlite3_next_stmt(db, nullptr); st; st = sqlite3_next_stmt(db, st))
            steps += sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
        return steps;
    };
    auto head = server->pull(dev_a2, {0, 500});
    ASSERT_TRUE(head.more);
    auto with_long_feed = steps_of_pull(head.cursor);
    auto last = server_count("SELECT max(seq) FROM noi_feed");
    auto with_short_feed = steps_of_pull(static_cast<std::uint64_t>(last) - 10);
    EXPECT_LT(with_long_feed, 2 * with_short_feed)
        << with_long_feed << " steps with 1,500 rows after the cursor, " << with_short_feed
        << " with 10";
}

TEST_F(round_fixture, the_next_pull_goes_out_before_a_batch_is_applied_and_only_once) {
    client_options small;
    small.pull_rows = 50;
    client_session c(*b, small);
    server_session s(*server, dev_b);
    auto welcome = s.on_message(c.start()).send.at(0);
    auto pull = c.on_message(welcome).at(0);
    ASSERT_TRUE(std::holds_alternative<proto::pull>(pull));
    auto first = s.on_message(pull).send.at(0);
    const auto& batch = std::get<proto::changes>(first);
    ASSERT_TRUE(batch.more);
    auto early = c.ahead_of(first);
    ASSERT_EQ(early.size(), 1u);
    EXPECT_EQ(std::get<proto::pull>(early[0]).cursor, batch.cursor);
    EXPECT_EQ(b->cursor(), 0u) << "nothing is applied before on_message";
    EXPECT_TRUE(c.on_message(first).empty());
    EXPECT_EQ(b->cursor(), batch.cursor);
    // Without the early PULL, on_message asks for the next batch itself.
    auto second = s.on_message(early[0]).send.at(0);
    ASSERT_TRUE(std::get<proto::changes>(second).more);
    auto next = c.on_message(second);
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(std::get<proto::pull>(next[0]).cursor, std::get<proto::changes>(second).cursor);
    EXPECT_EQ(c.stats().pulls_sent, 3u);
}

// A server's clock that no HLC holds (the wire field is 64 bits, an HLC keeps 48 of them)
// ends the session with a protocol error and leaves the tablet's clock alone (found by
// fuzz/client_session: the offset overflowed).
TEST_F(round_fixture, a_welcome_with_a_clock_no_hlc_holds_is_refused) {
    client_session c(*b, client_options{});
    server_session s(*server, dev_b);
    auto welcome = std::get<proto::welcome>(s.on_message(c.start()).send.at(0));
    welcome.clock_ms = std::uint64_t{1} << 63;
    const auto offset = b->rep().clock().offset();
    EXPECT_TRUE(c.on_message(welcome).empty());
    EXPECT_TRUE(c.finished());
    ASSERT_TRUE(c.error());
    EXPECT_EQ(c.error()->cond, proto::condition::protocol);
    EXPECT_NE(c.error()->message.find("check the server's clock"), std::string::npos);
    EXPECT_EQ(b->rep().clock().offset(), offset);
}

TEST_F(round_fixture, an_insert_of_a_row_the_server_already_has_merges_as_a_concurrent_write) {
    // The server merges a tablet's insert as a new row without looking it up; a row it already
    // has makes it merge again, looked up, with no trace of the first try.
    a->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
            "'Nà Pài', 3)");
    sync(*a, dev_a);
    wall.advance(10);
    a2->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
             "'Nà Pài', 4)");
    sync(*a2, dev_a2);
    sync(*a, dev_a);
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h1'"), 4);
    EXPECT_EQ(count(*a, "SELECT members FROM household WHERE id = 'h1'"), 4);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_conflicts WHERE row_id = 'h1'"), 1);
    auto history = server->audit("household", "h1");
    ASSERT_EQ(history.size(), 2u);
    // The later insert's versions win every cell; its record has the values before.
    auto members = std::find_if(history[1].cells.begin(), history[1].cells.end(),
                                [](const auto& c) { return c.column == "members"; });
    ASSERT_NE(members, history[1].cells.end());
    EXPECT_EQ(members->old_value, value(std::int64_t{3}));
    EXPECT_EQ(members->new_value, value(std::int64_t{4}));
    EXPECT_EQ(members->ver.site, a2->rep().site());
    EXPECT_EQ(server_count("SELECT max(seq) - min(seq) + 1 - count(*) FROM noi_feed"), 0)
        << "a server sequence was skipped";
}

TEST_F(round_fixture, a_restore_records_no_conflict_for_changes_the_server_had_taken) {
    a->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', 'Nà "
            "Pài', 4)");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    server->rep().db().exec("VACUUM INTO '" + dir.file("snapshot.db") + "'");
    // After the snapshot: a2 corrects a's row, a then corrects a2's value; both in order.
    a2->exec("UPDATE household SET members = 5 WHERE id = 'h1'");
    sync(*a2, dev_a2);
    sync(*a, dev_a);
    a->exec("UPDATE household SET village = 'Bản Chang' WHERE id = 'h1'");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a2->exec("UPDATE household SET village = 'Bản Pjạc' WHERE id = 'h1'");
    sync(*a2, dev_a2);
    ASSERT_TRUE(server->conflicts().empty());

    server.reset();
    server = sqlite_store::open(dir.file("snapshot.db"), wall, {13});
    {
        transaction tx(server->rep().db());
        server->new_epoch();
        tx.commit();
    }
    // The older writer syncs first: its re-sent values lose by version order, quietly.
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    sync(*a, dev_a);
    for (const auto& c : server->conflicts())
        ADD_FAILURE() << "a conflict from the restore: " << to_string(c.kind) << " on " << c.row_id
                      << "." << c.column.value_or("");
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine"), 0);
    for (auto* t : {a.get(), a2.get()}) {
        EXPECT_EQ(count(*t, "SELECT members FROM household WHERE id = 'h1'"), 5);
        EXPECT_EQ(text(*t, "SELECT village FROM household WHERE id = 'h1'"), "Bản Pjạc");
    }
    EXPECT_EQ(server_count("SELECT members FROM household WHERE id = 'h1'"), 5);
}

TEST_F(round_fixture, the_tablets_rejected_rows_clear_once_an_admin_settles_them) {
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('x', '01852', 'ghi nhầm xã')");
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('y', '01852', 'cũng nhầm')");
    a->exec("INSERT INTO commune(id, name, kind) VALUES ('09999', 'Giả', 'xa')");
    sync(*a, dev_a);
    ASSERT_EQ(a->rejected().size(), 3u);
    auto q = server->quarantine();
    ASSERT_EQ(q.size(), 3u);
    EXPECT_EQ(server->discard_quarantined(q[0].id).status, server_store::quarantine_status::done);
    sync(*a, dev_a);
    auto left = a->rejected();
    ASSERT_EQ(left.size(), 2u);
    EXPECT_EQ(left[0].quarantine_id, q[1].id);
    // A row rejected again takes the place of its earlier entry (a collapse, which deletes
    // it; only a tablet that keeps writing rows its keyboard would refuse does that).
    const auto old_id = std::to_string(q[2].id);
    server->rep().db().exec("INSERT INTO noi_quarantine(device_id, site, tbl, row_id, seq, "
                            "reason, message, received_at, repeats) SELECT device_id, site, tbl, "
                            "row_id, seq, reason, message, received_at, 2 FROM noi_quarantine "
                            "WHERE id = " +
                            old_id);
    server->rep().db().exec("DELETE FROM noi_quarantine WHERE id = " + old_id);
    sync(*a, dev_a);
    left = a->rejected();
    ASSERT_EQ(left.size(), 2u);
    EXPECT_EQ(left[0].row_id, "y");
    EXPECT_EQ(left[1].row_id, "09999");
    EXPECT_GT(left[1].quarantine_id, q[2].id);
    // A release settles too: the row then comes down as the server took it.
    server->rep().db().exec("UPDATE noi_devices SET scope = '*' WHERE device_id = 'tab-a'");
    EXPECT_EQ(server->release_quarantined(q[1].id).status, server_store::quarantine_status::done);
    auto wide = dev_a;
    wide.scope = "*";
    sync(*a, wide);
    ASSERT_EQ(a->rejected().size(), 1u);
    EXPECT_EQ(a->rejected()[0].row_id, "09999");
    EXPECT_EQ(text(*a, "SELECT summary FROM incident WHERE id = 'y'"), "cũng nhầm");
}

// docs/protocol.md, Rejections: the officer drops one rejected row and corrects another; the
// server closes both entries on the record and takes the corrected row as a new change.
TEST_F(round_fixture, an_officer_drops_one_rejected_row_and_resends_another_corrected) {
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('x', '01852', 'ghi nhầm xã')");
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('y', '01852', 'cũng nhầm')");
    sync(*a, dev_a);
    auto kept = a->rejected();
    ASSERT_EQ(kept.size(), 2u);
    const auto x = kept[0].quarantine_id, y = kept[1].quarantine_id;
    EXPECT_EQ(count(*a, "SELECT count(*) FROM incident"), 0);

    // Its keyboard now knows the commune: the row as it was is refused, and nothing is written.
    EXPECT_THROW(a->resend_rejected(x, {}), sync_error);
    EXPECT_THROW(a->resend_rejected(x, {{"no_such_column", std::string("?")}}), sync_error);
    EXPECT_THROW(a->drop_rejected(9999), sync_error);
    EXPECT_EQ(count(*a, "SELECT count(*) FROM incident"), 0);
    EXPECT_FALSE(a->rejected()[0].answer);

    a->resend_rejected(x, {{"commune_code", std::string("01849")}});
    a->drop_rejected(y);
    EXPECT_THROW(a->drop_rejected(y), sync_error) << "answered once";
    EXPECT_EQ(text(*a, "SELECT summary FROM incident WHERE id = 'x'"), "ghi nhầm xã");
    kept = a->rejected();
    ASSERT_EQ(kept.size(), 2u);
    EXPECT_EQ(kept[0].answer, "resent");
    EXPECT_EQ(kept[1].answer, "dropped");
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine WHERE status = 'open'"), 2);

    sync(*a, dev_a);
    EXPECT_TRUE(a->rejected().empty());
    EXPECT_EQ(a->status().pending, 0u);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine WHERE status = 'discarded'"), 2);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_admin_log WHERE account = 'device:tab-a' "
                           "AND action = 'discard'"),
              2);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_admin_log WHERE detail LIKE 'dropped%' AND "
                           "target = 'quarantine " +
                           std::to_string(y) + "'"),
              1);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident WHERE id = 'x' AND commune_code = "
                           "'01849' AND summary = 'ghi nhầm xã'"),
              1);
    EXPECT_EQ(server_count("SELECT count(*) FROM incident WHERE id = 'y'"), 0);
    sync(*a2, dev_a2);
    EXPECT_EQ(text(*a2, "SELECT summary FROM incident WHERE id = 'x'"), "ghi nhầm xã");
    sync(*a, dev_a);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_admin_log WHERE account = 'device:tab-a'"), 2)
        << "an answer is taken once";
}

// A server of an earlier release reads no `answered`: the answer waits on the tablet, and is
// told again to a server that takes it.
TEST_F(round_fixture, an_answer_waits_on_the_tablet_until_a_server_takes_it) {
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('y', '01852', 'nhầm xã')");
    sync(*a, dev_a);
    ASSERT_EQ(a->rejected().size(), 1u);
    const auto y = a->rejected()[0].quarantine_id;
    a->drop_rejected(y);
    sim::link_faults earlier;
    earlier.alter = [](proto::message& m, bool to_server) {
        if (auto* h = std::get_if<proto::hello>(&m); h && to_server) h->answered.clear();
    };
    wall.advance(1000);
    ASSERT_TRUE(sync_once(*a, *server, dev_a, {}, earlier).done);
    ASSERT_EQ(a->rejected().size(), 1u) << "kept while no server has heard the answer";
    EXPECT_EQ(a->rejected()[0].answer, "dropped");
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine WHERE status = 'open'"), 1);
    sync(*a, dev_a);
    EXPECT_TRUE(a->rejected().empty());
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine WHERE status = 'discarded'"), 1);
}

// An earlier release's tablet sends no `confirmed_conflict` and is told of no conflict; an
// earlier server's WELCOME carries none, and the tablet keeps what it holds and asks again.
TEST_F(round_fixture, releases_before_conflict_notices_tell_and_hear_none) {
    conflict_on_h1();

    std::size_t notices_sent = 0;
    sim::link_faults old_tablet;
    old_tablet.alter = [&](proto::message& m, bool to_server) {
        if (auto* h = std::get_if<proto::hello>(&m); h && to_server) h->confirmed_conflict.reset();
        if (auto* w = std::get_if<proto::welcome>(&m); w && !to_server)
            notices_sent += w->conflicts.size();
    };
    wall.advance(1000);
    ASSERT_TRUE(sync_once(*a, *server, dev_a, {}, old_tablet).done);
    EXPECT_EQ(notices_sent, 0u);

    sim::link_faults old_server;
    old_server.alter = [](proto::message& m, bool to_server) {
        if (auto* w = std::get_if<proto::welcome>(&m); w && !to_server) {
            w->conflicts.clear();
            w->conflict_head = 0;
        }
    };
    wall.advance(1000);
    ASSERT_TRUE(sync_once(*a, *server, dev_a, {}, old_server).done);
    EXPECT_TRUE(a->conflicts().empty());
    sync(*a, dev_a);
    ASSERT_EQ(a->conflicts().size(), 1u) << "a current server tells it from the start";
    wall.advance(1000);
    ASSERT_TRUE(sync_once(*a, *server, dev_a, {}, old_server).done);
    EXPECT_EQ(a->conflicts().size(), 1u) << "an earlier server's silence takes nothing away";
    sync(*a, dev_a);
    EXPECT_EQ(a->conflicts().size(), 1u) << "and told once, not twice";
}

// A device that moves hears no more of its old commune's conflicts, and, back in a commune,
// of those it was not told while it read elsewhere.
TEST_F(round_fixture, a_moved_device_hears_the_conflicts_of_the_commune_it_reads) {
    conflict_on_h1();
    sync(*a, dev_a);
    ASSERT_EQ(a->conflicts().size(), 1u);
    auto move = [&](const std::string& id, const std::string& to) {
        auto group = server->begin();
        server->move_device(id, to);
        group->commit();
    };
    move("tab-a", "01852");
    move("tab-a2", "01852");
    for (auto [t, d] : {std::pair{a.get(), &dev_a}, std::pair{a2.get(), &dev_a2}})
        for (int round = 0; round < 3; ++round)
            sync(*t, *server->find_device(d->id));
    EXPECT_TRUE(a->conflicts().empty()) << "what it heard of 01849 went with its rows";
    EXPECT_TRUE(a2->conflicts().empty()) << "a row it no longer reads is not told";
    move("tab-a2", "01849");
    for (int round = 0; round < 3; ++round)
        sync(*a2, *server->find_device("tab-a2"));
    ASSERT_EQ(a2->conflicts().size(), 1u) << "back in 01849, told of what it missed";
    EXPECT_EQ(a2->conflicts()[0].row_id, "h1");
}

// A WELCOME carries at most 100 notices; the next carries the rest, from where it ended.
TEST_F(round_fixture, more_conflicts_than_a_welcome_carries_are_told_over_two_rounds) {
    constexpr int rows = 130;
    for (int i = 0; i < rows; ++i)
        a->exec("INSERT INTO household(id, commune_code, members) VALUES ('h" + std::to_string(i) +
                "', '01849', 1)");
    sync(*a, dev_a);
    sync(*a2, dev_a2);
    a->exec("UPDATE household SET members = 2");
    a2->exec("UPDATE household SET members = 3");
    sync(*a, dev_a);
    wall.advance(10);
    sync(*a2, dev_a2);
    ASSERT_EQ(server->conflicts().size(), static_cast<std::size_t>(rows));
    sync(*a2, dev_a2);
    EXPECT_EQ(a2->conflicts().size(), 100u);
    sync(*a2, dev_a2);
    const auto told = a2->conflicts();
    ASSERT_EQ(told.size(), static_cast<std::size_t>(rows));
    std::set<std::uint64_t> ids;
    for (const auto& n : told)
        ids.insert(n.conflict_id);
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(rows)) << "none told twice";
}

// A resent row the pull brought back, as another device wrote it since: only the officer's
// corrections change it, the rest is the row as it stands.
TEST_F(round_fixture, a_resent_row_the_pull_brought_back_keeps_the_others_values) {
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('x', '01852', 'nhầm xã')");
    sync(*a, dev_a);
    ASSERT_EQ(a->rejected().size(), 1u);
    const auto id = a->rejected()[0].quarantine_id;
    p->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('x', '01849', 'bản tỉnh')");
    sync(*p, province);
    sync(*a, dev_a);
    ASSERT_EQ(text(*a, "SELECT summary FROM incident WHERE id = 'x'"), "bản tỉnh");
    a->resend_rejected(id, {{"summary", std::string("đã sửa")}});
    EXPECT_EQ(text(*a, "SELECT commune_code FROM incident WHERE id = 'x'"), "01849");
    sync(*a, dev_a);
    EXPECT_TRUE(a->rejected().empty());
    EXPECT_EQ(server_count("SELECT count(*) FROM incident WHERE id = 'x' AND commune_code = "
                           "'01849' AND summary = 'đã sửa'"),
              1);
}

// An answer counts only for the replica's own open entries: one replayed or naming another
// replica's entry, or one an admin decided, changes nothing.
TEST_F(round_fixture, an_answer_to_another_replica_s_or_a_settled_rejection_changes_nothing) {
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('x', '01852', 'nhầm')");
    a->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('y', '01852', 'nhầm')");
    sync(*a, dev_a);
    const auto q = server->quarantine();
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(server->discard_quarantined(q[1].id).status, server_store::quarantine_status::done);
    auto h = a2->begin_round("test");
    h.answered = {{q[0].id, proto::rejection_answer::dropped}};
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(server->hello(dev_a2, h)));
    server->release(h.site);
    h = a->begin_round("test");
    h.answered = {{q[1].id, proto::rejection_answer::dropped},
                  {q[0].id, static_cast<proto::rejection_answer>(9)}};
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(server->hello(dev_a, h)));
    server->release(h.site);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_quarantine WHERE status = 'open'"), 1);
    EXPECT_EQ(server_count("SELECT count(*) FROM noi_admin_log WHERE account LIKE 'device:%'"), 0);
}

TEST_F(round_fixture, the_fleet_status_counts_what_is_pending_after_the_round) {
    a->exec("INSERT INTO incident(id, commune_code) VALUES ('i1', '01849')");
    a->exec("INSERT INTO incident(id, commune_code) VALUES ('i2', '01849')");
    sync(*a, dev_a);
    EXPECT_EQ(server_count("SELECT pending FROM noi_devices WHERE device_id = 'tab-a'"), 0);
    // A round cut after its HELLO leaves the count the tablet gave.
    a->exec("INSERT INTO incident(id, commune_code) VALUES ('i3', '01849')");
    sim::link_faults cut_push;
    cut_push.cut = [](const proto::message& m, bool to_server) {
        return to_server && std::holds_alternative<proto::push>(m);
    };
    EXPECT_TRUE(sync_once(*a, *server, dev_a, {}, cut_push).cut);
    EXPECT_EQ(server_count("SELECT pending FROM noi_devices WHERE device_id = 'tab-a'"), 1);
}

TEST_F(round_fixture, a_date_that_is_not_iso_is_refused_at_the_keyboard_and_by_the_server) {
    EXPECT_THROW(a->exec("INSERT INTO assessment(commune_code, year, decided_on) VALUES ('01849', "
                         "2026, '05/12/2026')"),
                 std::exception);
    a->exec("INSERT INTO assessment(id, commune_code, year, decided_on) VALUES ('ok', '01849', "
            "2026, '2026-12-05')");
    EXPECT_THROW(a->exec("UPDATE assessment SET decided_on = '2026-02-30' WHERE id = 'ok'"),
                 std::exception);
    // A tablet of an earlier release had no such check at its keyboard.
    a->rep().db().exec("DROP TRIGGER noi_assessment_ins");
    a->rep().db().exec("CREATE TRIGGER noi_assessment_ins AFTER INSERT ON assessment WHEN "
                       "noi_capture_on() BEGIN INSERT INTO noi_capture(tbl, id, op, hlc) VALUES "
                       "('assessment', NEW.id, 1, noi_stamp('assessment', NEW.commune_code, 0)); "
                       "END");
    a->exec("INSERT INTO assessment(id, commune_code, year, decided_on) VALUES ('old', '01849', "
            "2026, '05/12/2026')");
    sync(*a, dev_a);
    auto q = server->quarantine();
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0].row_id, "old");
    EXPECT_EQ(q[0].reason, proto::reject_reason::wrong_type);
    EXPECT_NE(q[0].message.find("write 2026-12-05, not 05/12/2026"), std::string::npos)
        << q[0].message;
    EXPECT_EQ(server_count("SELECT count(*) FROM assessment"), 1);
}
