// Change capture (docs/design.md §3): triggers append to the capture log in the writer's
// transaction; folding turns the log into per-cell versions and pending row changes.
#include "temp_dir.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/tablet.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <set>
#include <vector>

using namespace noi;

namespace {

struct capture_fixture : ::testing::Test {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    std::unique_ptr<tablet> t = tablet::create(dir.file("tablet.db"), wall, {7});

    std::int64_t count(const std::string& sql) {
        auto st = t->rep().db().prepare(sql);
        st.step();
        return st.column_int(0);
    }
    std::int64_t captured() { return count("SELECT count(*) FROM noi_capture"); }
    void insert_member(const std::string& id, const std::string& name = "Lý Thị Hoa") {
        t->exec("INSERT INTO militia_member(id, commune_code, full_name, birth_year) VALUES ('" +
                id + "', '01849', '" + name + "', 1999)");
    }
    proto::push push_all() {
        t->begin_round("test");
        auto p = t->next_push(0, 1000);
        EXPECT_TRUE(p.has_value());
        return p ? *p : proto::push{};
    }
    // Pushes everything pending and has the server acknowledge it.
    proto::push push_acked() {
        auto p = push_all();
        t->on_push_ack({p.to_seq, {}});
        return p;
    }
};

} // namespace

TEST_F(capture_fixture, an_insert_is_captured_in_the_same_transaction) {
    insert_member("m1");
    EXPECT_EQ(captured(), 1);
    EXPECT_EQ(count("SELECT op FROM noi_capture WHERE id = 'm1'"), 1);
}

TEST_F(capture_fixture, a_rolled_back_transaction_leaves_no_capture) {
    t->exec(
        "BEGIN; INSERT INTO militia_member(id, commune_code) VALUES ('m1', '01849'); ROLLBACK;");
    EXPECT_EQ(captured(), 0);
    EXPECT_EQ(count("SELECT count(*) FROM militia_member"), 0);
}

TEST_F(capture_fixture, a_multi_row_statement_captures_every_row) {
    t->exec("INSERT INTO household(id, commune_code, village) VALUES ('h1','01849','Nà Pài'),"
            "('h2','01849','Bản Chang'),('h3','01849','Khuổi Bốc')");
    EXPECT_EQ(captured(), 3);
    t->exec("UPDATE household SET is_safe = 1");
    EXPECT_EQ(captured(), 6);
}

TEST_F(capture_fixture, an_update_that_changes_nothing_sends_nothing) {
    insert_member("m1");
    auto first = push_acked();
    t->exec("UPDATE militia_member SET full_name = full_name, notes = NULL WHERE id = 'm1'");
    t->begin_round("test");
    EXPECT_FALSE(t->next_push(first.to_seq, 1000).has_value());
    EXPECT_EQ(t->status().pending, 0u);
}

TEST_F(capture_fixture, an_update_sends_exactly_the_changed_columns) {
    insert_member("m1");
    auto first = push_acked();
    t->exec("UPDATE militia_member SET full_name = 'Lý Thị Hoa', village = 'Nà Pài', "
            "notes = 'mới', birth_year = 1999 WHERE id = 'm1'");
    auto p = push_all();
    ASSERT_EQ(p.rows.size(), 1u);
    std::set<std::string> columns;
    for (const auto& c : p.rows[0].cells)
        columns.insert(c.column);
    EXPECT_EQ(columns, (std::set<std::string>{"village", "notes"}));
}

// The fold finds what changed since the last fold: the net change, under the row's last write.
TEST_F(capture_fixture, a_cell_changed_and_changed_back_before_a_fold_sends_nothing) {
    insert_member("m1", "Hà");
    auto first = push_acked();
    t->exec("UPDATE militia_member SET full_name = 'Hương' WHERE id = 'm1'");
    t->exec("UPDATE militia_member SET full_name = 'Hà' WHERE id = 'm1'");
    t->begin_round("test");
    EXPECT_FALSE(t->next_push(first.to_seq, 1000).has_value());
}

TEST_F(capture_fixture, cells_changed_by_several_updates_before_a_fold_share_the_last_version) {
    insert_member("m1");
    auto first = push_acked();
    t->exec("UPDATE militia_member SET village = 'Bản Chang' WHERE id = 'm1'");
    wall.advance(60'000);
    t->exec("UPDATE militia_member SET notes = 'đã huấn luyện' WHERE id = 'm1'");
    auto p = push_all();
    ASSERT_EQ(p.rows.size(), 1u);
    ASSERT_EQ(p.rows[0].cells.size(), 2u);
    EXPECT_EQ(p.rows[0].cells[0].ver, p.rows[0].cells[1].ver);
    EXPECT_GE(p.rows[0].cells[0].ver.hlc >> 16, 1'700'000'060'000u);
    for (const auto& c : p.rows[0].cells)
        EXPECT_EQ(c.base, first.rows[0].cells[0].ver) << c.column;
}

TEST_F(capture_fixture, an_update_then_a_delete_before_a_fold_keeps_the_updated_values) {
    insert_member("m1", "Hà");
    auto first = push_acked();
    t->exec("UPDATE militia_member SET full_name = 'Hương' WHERE id = 'm1'");
    t->exec("DELETE FROM militia_member WHERE id = 'm1'");
    auto p = push_all();
    ASSERT_FALSE(p.rows.empty());
    ASSERT_TRUE(p.rows.back().exists);
    EXPECT_FALSE(p.rows.back().exists->alive);
    bool renamed = false;
    for (const auto& r : p.rows)
        for (const auto& c : r.cells)
            renamed |= c.column == "full_name" && c.val == value{std::string("Hương")};
    EXPECT_TRUE(renamed);
}

// Simulation seed 334594: a push reads the values as they stand, so a write made after the
// round's fold went out with the earlier version; writing the folded value back must still be
// sent, although it equals that fold's digest.
TEST_F(capture_fixture, a_write_between_a_fold_and_a_push_is_not_compared_away_later) {
    insert_member("m1", "Hà");
    t->begin_round("test");
    t->exec("UPDATE militia_member SET full_name = 'Hương' WHERE id = 'm1'");
    auto first = t->next_push(0, 1000);
    ASSERT_TRUE(first);
    t->on_push_ack({first->to_seq, {}});
    t->exec("UPDATE militia_member SET full_name = 'Hà' WHERE id = 'm1'");
    t->begin_round("test");
    auto p = t->next_push(first->to_seq, 1000);
    ASSERT_TRUE(p);
    ASSERT_EQ(p->rows.size(), 1u);
    ASSERT_EQ(p->rows[0].cells.size(), 1u);
    EXPECT_EQ(p->rows[0].cells[0].val, value{std::string("Hà")});
}

TEST_F(capture_fixture, a_pulled_change_is_not_taken_for_a_local_one) {
    insert_member("m1", "Hà");
    auto first = push_acked();
    site_id other{};
    other[0] = 9;
    proto::row_change r;
    r.table = "militia_member";
    r.id = "m1";
    r.scope = std::string("01849");
    r.cells.push_back({"full_name",
                       std::string("Hà Thị Lan"),
                       {first.rows[0].cells[0].ver.hlc + 1, other},
                       std::nullopt});
    t->apply_changes({{r}, 1, false});
    EXPECT_EQ(count("SELECT count(*) FROM militia_member WHERE full_name = 'Hà Thị Lan'"), 1);
    t->exec("UPDATE militia_member SET notes = 'x' WHERE id = 'm1'");
    auto p = push_all();
    ASSERT_EQ(p.rows.size(), 1u);
    ASSERT_EQ(p.rows[0].cells.size(), 1u);
    EXPECT_EQ(p.rows[0].cells[0].column, "notes");
}

TEST_F(capture_fixture, updating_the_id_or_the_scope_is_refused) {
    insert_member("m1");
    EXPECT_THROW(t->exec("UPDATE militia_member SET id = 'm2' WHERE id = 'm1'"), sync_error);
    EXPECT_THROW(t->exec("UPDATE militia_member SET commune_code = '01852' WHERE id = 'm1'"),
                 sync_error);
    EXPECT_EQ(
        count("SELECT count(*) FROM militia_member WHERE id = 'm1' AND commune_code = '01849'"), 1);
    // A form that saves every field names the key with its own value: that is no change.
    t->exec("UPDATE militia_member SET id = id, commune_code = commune_code, notes = 'x'");
    EXPECT_EQ(count("SELECT count(*) FROM militia_member WHERE notes = 'x'"), 1);
}

TEST_F(capture_fixture, a_connection_without_the_library_functions_fails_loudly) {
    insert_member("m1");
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("tablet.db").c_str(), &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 2000);
    char* err = nullptr;
    int rc = sqlite3_exec(raw, "UPDATE militia_member SET notes = 'x'", nullptr, nullptr, &err);
    EXPECT_NE(rc, SQLITE_OK);
    ASSERT_NE(err, nullptr);
    EXPECT_NE(std::string(err).find("noi_"), std::string::npos) << err;
    sqlite3_free(err);
    sqlite3_close(raw);
    EXPECT_EQ(count("SELECT count(*) FROM militia_member WHERE notes = 'x'"), 0);
}

TEST_F(capture_fixture, a_cell_edited_ten_times_offline_is_sent_once) {
    insert_member("m1");
    auto first = push_acked();
    for (int i = 0; i < 10; ++i)
        t->exec("UPDATE militia_member SET notes = 'lần " + std::to_string(i) + "'");
    auto p = push_all();
    std::size_t cells = 0;
    for (const auto& r : p.rows)
        cells += r.cells.size();
    EXPECT_EQ(cells, 1u);
    ASSERT_FALSE(p.rows.empty());
    EXPECT_EQ(std::get<std::string>(p.rows.back().cells[0].val), "lần 9");
}

TEST_F(capture_fixture, the_base_is_what_the_cell_held_before_its_first_unacknowledged_change) {
    insert_member("m1");
    auto first = push_all();
    auto inserted = first.rows[0].cells[0].ver;
    t->on_push_ack({first.to_seq, {}});
    t->exec("UPDATE militia_member SET full_name = 'A'");
    t->exec("UPDATE militia_member SET full_name = 'B'");
    auto p = push_all();
    ASSERT_EQ(p.rows.back().cells.size(), 1u);
    EXPECT_EQ(p.rows.back().cells[0].base, inserted);
}

TEST_F(capture_fixture, delete_then_reinsert_of_the_same_id_sends_a_live_row) {
    insert_member("m1", "Cũ");
    t->exec("DELETE FROM militia_member WHERE id = 'm1'");
    insert_member("m1", "Mới");
    auto p = push_all();
    ASSERT_FALSE(p.rows.empty());
    const auto& last = p.rows.back();
    ASSERT_TRUE(last.exists);
    EXPECT_TRUE(last.exists->alive);
    bool has_name = false;
    for (const auto& c : last.cells)
        has_name |= c.column == "full_name" && std::get<std::string>(c.val) == "Mới";
    EXPECT_TRUE(has_name);
}

TEST_F(capture_fixture, a_delete_keeps_the_rows_last_values_and_what_it_had_seen) {
    insert_member("m1", "Hà");
    auto first = push_acked();
    t->exec("DELETE FROM militia_member WHERE id = 'm1'");
    auto p = push_all();
    ASSERT_EQ(p.rows.size(), 1u);
    ASSERT_TRUE(p.rows[0].exists);
    EXPECT_FALSE(p.rows[0].exists->alive);
    EXPECT_FALSE(p.rows[0].seen.empty());
    EXPECT_EQ(std::get<std::string>(p.rows[0].scope), "01849");
}

TEST_F(capture_fixture, local_sequence_and_hlc_never_move_backwards_across_reopen) {
    insert_member("m1");
    auto p1 = push_all();
    auto hlc1 = p1.rows[0].cells[0].ver.hlc;
    t.reset();
    wall.set(1'600'000'000'000); // the wall clock jumped back by years
    t = tablet::open(dir.file("tablet.db"), wall);
    insert_member("m2");
    auto p2 = [&] {
        t->begin_round("test");
        return *t->next_push(p1.to_seq, 1000);
    }();
    ASSERT_EQ(p2.rows.size(), 1u);
    EXPECT_GT(p2.rows[0].seq, p1.rows[0].seq);
    EXPECT_GT(p2.rows[0].cells[0].ver.hlc, hlc1);
}

TEST_F(capture_fixture, hlc_floor_holds_across_processes_writing_the_same_file) {
    auto other = tablet::open(dir.file("tablet.db"), wall);
    wall.set(1'800'000'000'000);
    other->exec(
        "INSERT INTO recruit(id, commune_code, full_name) VALUES ('r1', '01849', 'Ma Văn Sơn')");
    wall.set(1'700'000'000'000);
    insert_member("m1");
    auto st = t->rep().db().prepare("SELECT hlc FROM noi_capture ORDER BY seq");
    st.step();
    auto a = st.column_int(0);
    st.step();
    EXPECT_GT(st.column_int(0), a);
}

TEST_F(capture_fixture, writes_outside_a_known_scope_are_refused_at_the_keyboard) {
    t->rep().set_scope("01849");
    try {
        t->exec("INSERT INTO incident(id, commune_code) VALUES ('i1', '01852')");
        FAIL() << "the write went through";
    } catch (const sync_error& e) {
        EXPECT_NE(std::string(e.what()).find("enrolled for commune 01849"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(t->exec("INSERT INTO commune(id, name) VALUES ('09999', 'X')"), sync_error);
    EXPECT_NO_THROW(t->exec("INSERT INTO incident(id, commune_code) VALUES ('i2', '01849')"));
    EXPECT_EQ(count("SELECT count(*) FROM incident"), 1);
}

// Issue 28, item 12: a province-wide tablet writes every commune's rows, but reference data no
// more than a commune's tablet does; the province office changes it with noi-admin.
TEST_F(capture_fixture, a_province_wide_tablet_refuses_reference_data_at_the_keyboard) {
    t->rep().set_scope("*");
    // A commune as a pull brings it (capture off).
    t->rep().set_capture(false);
    t->exec("INSERT INTO commune(id, name) VALUES ('01849', 'Dương Quang')");
    t->rep().set_capture(true);
    for (const char* sql : {"INSERT INTO commune(id, name) VALUES ('09999', 'X')",
                            "UPDATE commune SET name = 'Y' WHERE id = '01849'",
                            "DELETE FROM commune WHERE id = '01849'"}) {
        try {
            t->exec(sql);
            ADD_FAILURE() << "the write went through: " << sql;
        } catch (const sync_error& e) {
            EXPECT_NE(std::string(e.what()).find("noi-admin reference set"), std::string::npos)
                << e.what();
            EXPECT_NE(std::string(e.what()).find("the whole province"), std::string::npos)
                << e.what();
        }
    }
    EXPECT_EQ(count("SELECT count(*) FROM commune WHERE name = 'Dương Quang'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM commune"), 1);
    EXPECT_NO_THROW(t->exec("INSERT INTO incident(id, commune_code) VALUES ('i1', '01852')"));
    EXPECT_NO_THROW(t->exec("INSERT INTO incident(id, commune_code) VALUES ('i2', '01849')"));
    EXPECT_EQ(captured(), 2);
}

TEST_F(capture_fixture, default_ids_are_time_ordered_uuids) {
    t->exec("INSERT INTO incident(commune_code, summary) VALUES ('01849', 'a')");
    wall.advance(5);
    t->exec("INSERT INTO incident(commune_code, summary) VALUES ('01849', 'b')");
    auto st = t->rep().db().prepare("SELECT id FROM incident ORDER BY rowid");
    st.step();
    auto a = st.column_text(0);
    st.step();
    auto b = st.column_text(0);
    EXPECT_EQ(a.size(), 36u);
    EXPECT_EQ(a[14], '7');
    EXPECT_LT(a, b);
}

TEST_F(capture_fixture, opening_a_file_that_is_not_a_replica_is_refused) {
    {
        database raw(dir.file("plain.db"));
        raw.exec("CREATE TABLE x (a)");
    }
    EXPECT_THROW(tablet::open(dir.file("plain.db"), wall), sync_error);
    EXPECT_THROW(tablet::create(dir.file("tablet.db"), wall), sync_error);
}

// A tablet made before format 2 (capture_log.hpp): NOT NULL log columns, update entries with
// their masks, row states without digests, and triggers that call noi_stamp with four arguments.
TEST_F(capture_fixture, a_format_1_log_is_upgraded_on_open_and_its_entries_still_fold) {
    insert_member("m1", "Hà");
    auto first = push_acked();
    const auto* def = t->rep().tables().find("militia_member");
    const auto notes_bit = std::to_string(1ull << *def->column_index("notes"));
    {
        row_state_store store(t->rep().db());
        auto st = *store.load("militia_member", "m1", def->columns.size());
        ASSERT_FALSE(st.digests.empty());
        st.digests.clear();
        store.save("militia_member", "m1", st);
    }
    t->rep().set_capture(false);
    t->exec("UPDATE militia_member SET notes = 'cũ' WHERE id = 'm1'");
    t->rep().set_capture(true);
    t->exec("DROP TABLE noi_capture; CREATE TABLE noi_capture (seq INTEGER PRIMARY KEY, tbl TEXT "
            "NOT NULL, id TEXT NOT NULL, op INTEGER NOT NULL, cols INTEGER NOT NULL, hlc INTEGER "
            "NOT NULL, old BLOB);"
            "INSERT INTO noi_capture(tbl, id, op, cols, hlc) VALUES ('militia_member', 'm1', 2, " +
            notes_bit + ", " + std::to_string(first.rows[0].cells[0].ver.hlc + 5) +
            "); DELETE FROM noi_meta WHERE key = 'capture_format';"
            "UPDATE noi_meta SET value = 1 WHERE key = 'format';"
            "DROP TRIGGER noi_militia_member_upd; DROP TRIGGER noi_militia_member_key;"
            "CREATE TRIGGER noi_militia_member_upd AFTER UPDATE ON militia_member WHEN "
            "noi_capture_on() BEGIN INSERT INTO noi_capture(tbl, id, op, cols, hlc) VALUES "
            "('militia_member', NEW.id, 2, 0, noi_stamp('militia_member', NEW.commune_code, 0, "
            "0)); END");
    t.reset();
    t = tablet::open(dir.file("tablet.db"), wall);
    EXPECT_EQ(t->rep().meta_int("capture_format"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM pragma_table_info('noi_capture') WHERE \"notnull\""), 0);
    EXPECT_EQ(count("SELECT cols FROM noi_capture"), std::stoll(notes_bit));
    t->exec("UPDATE militia_member SET full_name = 'Hương' WHERE id = 'm1'");
    EXPECT_THROW(t->exec("UPDATE militia_member SET id = 'm2' WHERE id = 'm1'"), sync_error);
    auto p = push_all();
    std::map<std::string, value> sent;
    for (const auto& r : p.rows)
        for (const auto& c : r.cells)
            sent[c.column] = c.val;
    EXPECT_EQ(sent, (std::map<std::string, value>{{"full_name", std::string("Hương")},
                                                  {"notes", std::string("cũ")}}));
}

// The fold saves each row at its last entry in the log, so that a big log does not sit in
// memory (tablet_fold.cpp): a row's cells take the versions of docs/capture.md's rules whether
// the log holds its row alone or thousands of others' entries around its own.
TEST(capture, a_row_s_versions_do_not_depend_on_the_other_rows_folded_with_it) {
    const std::int64_t t0 = 1'700'000'000'000;
    for (const int others : {0, 3000}) {
        test::temp_dir dir;
        manual_clock wall(t0);
        auto t = tablet::create(dir.file("t.db"), wall, {7});
        const std::string rows =
            others ? "(k < " + std::to_string(others) + " OR k > 9000)" : "k > 9000";
        for (const auto& sql : std::vector<std::string>{
                 "WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 9005) "
                 "INSERT INTO household(id, commune_code, village, members) "
                 "SELECT 'h' || k, '01849', 'Nà Pài', 1 FROM n WHERE " +
                     rows,
                 "UPDATE household SET members = 2 WHERE CAST(substr(id, 2) AS INTEGER) % 3 = 0",
                 "DELETE FROM household WHERE CAST(substr(id, 2) AS INTEGER) % 10 = 1",
                 "UPDATE household SET village = 'Bản Chang' WHERE id IN ('h9003', 'h2997')",
                 "INSERT INTO household(id, commune_code, village, members) VALUES ('h9001', "
                 "'01849', 'Khuổi Luông', 3)",
                 "UPDATE household SET members = 4 WHERE id = 'h9001'"}) {
            t->exec(sql);
            wall.advance(10);
        }
        const auto p = t->next_push(0, 100'000);
        ASSERT_TRUE(p);
        // Each row's pushed cells by column, and its existence, at the ms of their versions.
        std::map<std::string, std::map<std::string, std::int64_t>> at;
        for (const auto& r : p->rows) {
            if (r.exists) at[r.id]["*exists"] = hlc_to_ms(r.exists->ver.hlc) - t0;
            for (const auto& c : r.cells)
                at[r.id][c.column] = hlc_to_ms(c.ver.hlc) - t0;
        }
        // Inserted, then updated in the same fold: every cell takes the update's version.
        EXPECT_EQ(at["h9003"]["*exists"], 0) << others;
        EXPECT_EQ(at["h9003"]["members"], 30) << others;
        EXPECT_EQ(at["h9003"]["village"], 30) << others;
        EXPECT_EQ(at["h9002"]["village"], 0) << others;
        // Deleted, inserted again and updated.
        EXPECT_EQ(at["h9001"]["*exists"], 40) << others;
        EXPECT_EQ(at["h9001"]["members"], 50) << others;
        EXPECT_EQ(at["h9004"]["*exists"], 0) << others;
        EXPECT_EQ(at["h9004"]["members"], 0) << others;
        EXPECT_EQ(at.size(), static_cast<std::size_t>(others) + 5) << others;
    }
}
