// The PostgreSQL store's books, each through its interface (store_books.hpp) against a real
// cluster: what the SQLite ones do, with the same data.
#include "pg_audit_trail.hpp"
#include "pg_conflict_book.hpp"
#include "pg_database.hpp"
#include "pg_device_registry.hpp"
#include "pg_feed.hpp"
#include "pg_live_sites.hpp"
#include "pg_quarantine_book.hpp"
#include "pg_rows.hpp"
#include "pg_schema_log.hpp"
#include "pg_tables.hpp"
#include "pg_unit_registry.hpp"

#include <noi/pgstore/pg_store.hpp>
#include <noi/sync/error.hpp>

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <stdexcept>

using namespace noi;

namespace {

struct pg_books : ::testing::Test {
    test::pg_database db;
    pg::connection c{db.conninfo()};
    manual_clock wall{1'700'000'000'000};
    const device a{"tab-a", "01849", "Dương Quang, máy 1"};

    void SetUp() override {
        pg::transaction tx(c);
        pg::create_tables(c);
        c.exec("CREATE TABLE commune (id text PRIMARY KEY, name text)");
        c.run("INSERT INTO commune(id, name) VALUES ('01849', 'Xã Dương Quang')");
        tx.commit();
    }
    static site_id site_of(std::uint8_t b) {
        site_id s;
        s.fill(b);
        return s;
    }
};

TEST_F(pg_books, the_tables_are_made_once_and_a_later_format_is_refused) {
    pg::create_tables(c);
    c.run("UPDATE noi_meta SET value = '99' WHERE key = 'store_format'");
    try {
        pg::create_tables(c);
        ADD_FAILURE() << "a later format was opened";
    } catch (const sync_error& e) {
        EXPECT_EQ(e.code(), errc::refused);
        EXPECT_NE(std::string(e.what()).find("update noi-server"), std::string::npos);
    }
}

TEST_F(pg_books, devices_and_their_sites) {
    pg_device_registry devices(c, wall);
    devices.add(a);
    devices.add({"tab-b", "01852", "Xã B"});
    EXPECT_THROW(devices.add(a), sync_error);
    ASSERT_TRUE(devices.find("tab-a"));
    EXPECT_EQ(devices.find("tab-a")->name, "Dương Quang, máy 1");
    EXPECT_FALSE(devices.find("khong-co"));
    EXPECT_EQ(devices.all().size(), 2u);

    const auto s = site_of(7);
    EXPECT_FALSE(devices.site(s));
    devices.bind(s, a.id);
    EXPECT_EQ(devices.site(s)->device_id, a.id);
    EXPECT_EQ(devices.sites_of(a.id), 1u);
    EXPECT_EQ(devices.acked(s, a.id), 0u);
    EXPECT_FALSE(devices.acked(s, "tab-b"));
    EXPECT_TRUE(devices.set_acked(s, 0, 5));
    EXPECT_FALSE(devices.set_acked(s, 0, 7)) << "read 0, but another push moved it";
    EXPECT_EQ(devices.acked(s, a.id), 5u);
    devices.set_confirmed(s, 3);
    EXPECT_EQ(devices.site(s)->confirmed, 3u);
    devices.bind(s, "tab-b");
    EXPECT_EQ(devices.site(s)->device_id, "tab-b");
    EXPECT_EQ(devices.site(s)->acked, 5u) << "a moved replica keeps what it has";

    devices.move(a.id, "01852");
    devices.move(a.id, "01855");
    auto moved = *devices.find(a.id);
    EXPECT_EQ(moved.scope, "01855");
    EXPECT_EQ(moved.held_scope, "01849,01852");
    EXPECT_EQ(moved.scope_version, 2u);
    devices.confirm_scope(a.id, "01855", 2);
    EXPECT_TRUE(devices.find(a.id)->held_scope.empty());

    proto::hello h;
    h.pending = 12;
    h.clock_ms = static_cast<std::uint64_t>(wall.now_ms() + 250);
    h.app_version = std::string(100, 'x');
    h.schema_version = 1;
    devices.record_contact("tab-b", h);
    devices.lower_pending("tab-b", 5);
    EXPECT_TRUE(devices.revoke(a.id, false));
    EXPECT_FALSE(devices.revoke("khong-co", true));
    devices.record_refusal(a.id);
    const auto statuses = devices.statuses();
    ASSERT_EQ(statuses.size(), 2u);
    const auto& b = statuses[0].dev.id == "tab-b" ? statuses[0] : statuses[1];
    const auto& revoked = statuses[0].dev.id == "tab-b" ? statuses[1] : statuses[0];
    EXPECT_EQ(b.pending, 7);
    EXPECT_EQ(b.clock_skew_ms, 250);
    ASSERT_TRUE(b.app_version);
    EXPECT_LE(b.app_version->size(), device_registry::max_app_version_bytes);
    EXPECT_TRUE(revoked.dev.revoked);
    EXPECT_TRUE(revoked.refused_at_ms);
    wall.advance(10'000);
    const auto silent = devices.silent_by_commune(wall.now_ms());
    EXPECT_EQ(silent.size(), 1u) << "the revoked one is not counted";
    EXPECT_EQ(silent.at("01852"), 1u);
}

TEST_F(pg_books, the_feed_reads_a_unit_s_entries_and_its_answers_in_order) {
    pg_feed f(c, {});
    const auto me = site_of(7), other = site_of(8);
    const std::string name = "Nguyễn Văn Ánh";
    std::uint64_t seqs[5];
    {
        pg::transaction tx(c);
        seqs[0] = f.next();
        f.record(seqs[0], "household", "h1", value{std::string("01849")}, &me, nullptr);
        seqs[1] = f.next();
        const feed_audit audit{wall.now_ms(), a.id, other, "cells", 0};
        f.record(seqs[1], "household", "h2", value{std::string("01852")}, nullptr, &audit);
        seqs[2] = f.next();
        f.record(seqs[2], "commune", name, value{}, nullptr, nullptr);
        seqs[3] = f.next();
        f.answer(seqs[3], "household", "h9", value{std::string("01852")}, me);
        seqs[4] = f.next();
        f.answer(seqs[4], "household", "h9", value{std::string("01852")}, me);
        tx.commit();
    }
    EXPECT_EQ(f.committed_head(), seqs[4]);
    const std::vector<std::string> units{"01849"};
    feed_query q;
    q.limit = 10;
    q.units = &units;
    q.answers_for = &me;
    std::vector<feed_entry> read;
    f.read(q, [&](const feed_entry& e) {
        read.push_back(e);
        return true;
    });
    ASSERT_EQ(read.size(), 3u) << "h1, the commune row, and the newer answer alone";
    EXPECT_EQ(read[0].id, "h1");
    EXPECT_EQ(read[0].pusher, me);
    EXPECT_EQ(read[1].id, name);
    EXPECT_FALSE(read[1].pusher);
    EXPECT_EQ(read[2].seq, seqs[4]);
    EXPECT_TRUE(read[2].answer);
    EXPECT_FALSE(c.in_transaction()) << "the read's snapshot ended with it";

    const std::vector<std::string> merged{"01852", "01849", "01852"};
    q.units = &merged;
    q.limit = 3;
    read.clear();
    f.read(q, [&](const feed_entry& e) {
        read.push_back(e);
        return true;
    });
    ASSERT_EQ(read.size(), 3u) << "two units' entries and a global one, each once, to the limit";
    for (std::size_t i = 0; i < read.size(); ++i)
        EXPECT_EQ(read[i].seq, seqs[i]) << "in the order of the feed";
    q.limit = 10;

    f.supersede({seqs[0]}, row_state{});
    q.units = nullptr;
    q.answers_for = nullptr;
    read.clear();
    f.read(q, [&](const feed_entry& e) {
        read.push_back(e);
        return read.size() < 1;
    });
    ASSERT_EQ(read.size(), 1u) << "fn stops the read";
    EXPECT_EQ(read[0].id, "h2") << "h1's entry is dead";
    f.for_everyone(seqs[1]);
    const auto newest = f.newest_after(0);
    ASSERT_EQ(newest.size(), 2u);
    EXPECT_EQ(newest[0], std::make_pair(value{std::string("01852")}, seqs[1]));
    EXPECT_EQ(newest[1], std::make_pair(value{}, seqs[2]));
}

TEST_F(pg_books, schema_versions_are_logged_with_the_feed_head_they_began_at) {
    pg_schema_log log(c);
    log.record({2, wall.now_ms(), "admin", 40, "table border_patrol"});
    log.record({3, wall.now_ms(), "Trần Thị Hà", 90, "column household.phone TEXT"});
    const auto all = log.all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[1].applied_by, "Trần Thị Hà");
    EXPECT_EQ(log.head_after(1), 40u);
    EXPECT_EQ(log.head_after(2), 90u);
    EXPECT_FALSE(log.head_after(3));
}

TEST_F(pg_books, live_claims_and_their_holders) {
    pg_live_sites live(c);
    const auto s = site_of(7);
    live.beat("h1", "may-chu", 42, wall.now_ms(), true);
    EXPECT_FALSE(live.claimant(s));
    live.claim(s, "h1", wall.now_ms());
    EXPECT_EQ(live.claimant(s), "h1");
    live.claim(s, "h2", wall.now_ms());
    EXPECT_EQ(live.claimant(s), "h2") << "a claim is taken over whole";
    live.release(s, "h1");
    EXPECT_EQ(live.claimant(s), "h2") << "only its holder releases it";
    const auto h = live.find_holder("h1");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->host, "may-chu");
    EXPECT_EQ(h->pid, 42);
    wall.advance(25LL * 3600 * 1000);
    live.beat("h2", "may-chu", 43, wall.now_ms(), true);
    EXPECT_FALSE(live.find_holder("h1")) << "silent for a day";
    live.leave("h2");
    EXPECT_FALSE(live.claimant(s));
    EXPECT_FALSE(live.find_holder("h2"));
}

TEST_F(pg_books, quarantine_entries_take_ids_from_storage_and_collapse_by_replica) {
    pg_quarantine_book book(c);
    quarantine_book::new_entry e;
    e.device_id = a.id;
    e.site = site_of(7);
    e.table = "household";
    e.row_id = "h1";
    e.seq = 3;
    e.reason = proto::reject_reason::wrong_type;
    e.message = "cột members: kiểu sai";
    e.payload = std::string("\x00payload\xff", 9);
    e.at = wall.now_ms();
    EXPECT_EQ(book.repeats(e), 0u);
    const auto first = book.add(e);
    e.repeats = 1 + book.repeats(e);
    EXPECT_EQ(e.repeats, 2u);
    const auto second = book.add(e);
    EXPECT_GT(second, first);
    EXPECT_FALSE(book.status(first)) << "collapsed into the second";
    EXPECT_EQ(book.open_count(), 1u);
    const auto held = book.open_of(a.id);
    EXPECT_EQ(held.rows, 2u);
    EXPECT_EQ(held.bytes, 9 + e.table.size() + e.row_id.size() + e.message.size());
    const auto after = book.after(e.site, 0);
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0].message, e.message);
    EXPECT_TRUE(book.after(site_of(8), 0).empty());

    c.run("INSERT INTO noi_meta(key, value) VALUES ('quarantine_id_floor', '500')");
    e.row_id = "h2";
    e.repeats = 1;
    e.payload.reset();
    const auto third = book.add(e);
    EXPECT_EQ(third, 500u) << "above the floor a restore set";
    EXPECT_EQ(book.newest_id(), 500u);
    EXPECT_EQ(book.closed(second, e.site), false);
    EXPECT_TRUE(book.discard(second));
    EXPECT_FALSE(book.discard(second));
    EXPECT_EQ(book.closed(second, e.site), true);
    EXPECT_EQ(book.closed(second, site_of(8)), false) << "another replica's";
    EXPECT_FALSE(book.closed(7, e.site));
    const auto kept = book.find(third);
    ASSERT_TRUE(kept);
    EXPECT_FALSE(kept->kept);
    EXPECT_EQ(kept->pusher, e.site);
    book.mark_released(third);
    EXPECT_EQ(book.status(third), quarantine_state::released);
    EXPECT_TRUE(book.released().empty()) << "a release with no payload carries nothing";
    const auto all = book.all();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].status, quarantine_state::discarded);
}

TEST_F(pg_books, conflicts_keep_their_sides_values_and_filter_in_storage) {
    pg_device_registry devices(c, wall);
    devices.add(a);
    devices.bind(site_of(7), a.id);
    pg_conflict_book book(c, wall);
    conflict_record rec;
    rec.device_id = a.id;
    rec.table = "household";
    rec.row_id = "h1";
    rec.column = "head_name";
    rec.scope = "01849";
    rec.created_at_ms = wall.now_ms();
    rec.winner = {value{std::string("Lò Văn Páo")}, site_of(7), "", 10, false};
    rec.loser = {value{std::int64_t{-4}}, site_of(9), "", 9, false};
    book.record(rec);
    rec.scope = "";
    rec.table = "commune";
    rec.device_id = "";
    rec.winner.val = value{2.5};
    book.record(rec);
    const auto all = book.find();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_LT(all[0].id, all[1].id);
    EXPECT_EQ(all[0].winner.val, value{std::string("Lò Văn Páo")});
    EXPECT_EQ(all[0].loser.val, value{std::int64_t{-4}});
    EXPECT_EQ(all[0].winner.device_id, a.id) << "looked up by its site when recorded";
    EXPECT_EQ(all[0].loser.device_id, "");
    EXPECT_EQ(all[1].winner.val, value{2.5});
    EXPECT_EQ(all[1].scope, "");

    EXPECT_EQ(book.count({.scopes = {"01849"}}), 1u) << "a global table's is no commune's";
    EXPECT_EQ(book.find({.limit = 1}).size(), 1u);
    EXPECT_EQ(book.find({.offset = 1, .limit = 1})[0].id, all[1].id);
    EXPECT_EQ(book.count({.device_id = a.id}), 1u);
    EXPECT_EQ(book.resolve_open_of(a.id, "Hà", "kept"), 1u);
    book.mark_resolved(all[1].id, "admin", "kept the winner");
    book.restamp(all[1].id, true, {99, site_of(1)});
    const auto done = book.find({.id = all[1].id});
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].status, conflict_status::resolved);
    EXPECT_EQ(done[0].resolved_by, "admin");
    EXPECT_EQ(done[0].winner.hlc, 99u);
    const auto totals = book.count();
    EXPECT_EQ(totals.all, 2u);
    EXPECT_EQ(totals.open, 0u);
}

TEST_F(pg_books, a_synced_table_s_rows_and_their_states_round_trip) {
    table_def def{"ho_gia_dinh",
                  {{"commune_code", col_type::text},
                   {"members", col_type::integer},
                   {"area", col_type::real},
                   {"photo", col_type::blob},
                   {"extra", col_type::any}},
                  0};
    for (const auto& sql : table_ddl(def, nullptr))
        c.exec(sql);
    pg_table_rows rows(c, def);
    const std::vector<value> v{std::string("01849"), std::int64_t{5}, 12.25, blob{{0, 1, 255}},
                               value{std::string("Bản Tàn")}};
    rows.insert("h1", v);
    EXPECT_EQ(rows.read("h1"), v);
    EXPECT_FALSE(rows.read("h2"));
    auto changed = v;
    changed[1] = value{};
    changed[4] = std::int64_t{7};
    rows.upsert("h1", changed);
    rows.upsert("h2", v);
    EXPECT_EQ(rows.read("h1"), changed);
    std::vector<std::string> ids;
    rows.for_each([&](const std::string& id, std::vector<value>) { ids.push_back(id); });
    EXPECT_EQ(ids, (std::vector<std::string>{"h1", "h2"}));
    rows.remove("h1");
    EXPECT_FALSE(rows.read("h1"));

    auto more = def;
    more.columns.push_back({"phone", col_type::text});
    const auto added = table_ddl(more, &def);
    ASSERT_EQ(added.size(), 1u);
    c.exec(added[0]);
    pg_table_rows wider(c, more);
    auto read = wider.read("h2");
    ASSERT_TRUE(read);
    EXPECT_TRUE(is_null(read->back())) << "a new column is empty";

    pg_row_states states(c);
    row_state st;
    st.exists = cell_state{{hlc_from_ms(wall.now_ms()), site_of(7)}, std::nullopt, 3};
    st.cells.resize(5);
    st.cells[1] = cell_state{{hlc_from_ms(wall.now_ms()) + 1, site_of(8)}, std::nullopt, 4};
    EXPECT_TRUE(states.insert_new("ho_gia_dinh", "h2", st));
    EXPECT_FALSE(states.insert_new("ho_gia_dinh", "h2", st));
    EXPECT_EQ(states.load("ho_gia_dinh", "h2", 5), st);
    st.alive = false;
    st.tomb = v;
    states.save("ho_gia_dinh", "h2", st);
    EXPECT_EQ(states.load("ho_gia_dinh", "h2", 5), st);
    schema tables;
    tables.tables.push_back(def);
    EXPECT_EQ(states.all(tables).size(), 1u);
    states.erase("ho_gia_dinh", "h2");
    EXPECT_FALSE(states.load("ho_gia_dinh", "h2", 5));
}

TEST_F(pg_books, whole_table_passes_read_page_by_page_and_see_every_row_once) {
    table_def def{"ho_gia_dinh", {{"commune_code", col_type::text}}, 0};
    for (const auto& sql : table_ddl(def, nullptr))
        c.exec(sql);
    pg_table_rows rows(c, def);
    pg_row_states states(c);
    row_state st;
    st.exists = cell_state{{hlc_from_ms(wall.now_ms()), site_of(7)}, std::nullopt, 3};
    st.cells.resize(1);
    // More than two pages, with ids whose order is not their numbers'.
    constexpr int n = 2'345;
    {
        pg::transaction tx(c);
        for (int i = 0; i < n; ++i) {
            const auto id = "hộ-" + std::to_string(i);
            rows.insert(id, {std::string("01849")});
            states.save("ho_gia_dinh", id, st);
            states.save("commune", id, st);
        }
        tx.commit();
    }
    std::set<std::string> seen;
    rows.for_each([&](const std::string& id, std::vector<value> v) {
        EXPECT_TRUE(seen.insert(id).second) << id << " twice";
        EXPECT_EQ(v, std::vector<value>{std::string("01849")});
    });
    EXPECT_EQ(seen.size(), std::size_t{n});
    schema tables;
    tables.tables.push_back(def);
    std::map<std::string, int> by_table;
    states.for_each(tables,
                    [&](const std::string& table, const std::string& id, const row_state& s) {
                        ++by_table[table];
                        EXPECT_EQ(s, st) << id;
                    });
    EXPECT_EQ(by_table, (std::map<std::string, int>{{"ho_gia_dinh", n}}))
        << "a table the schema does not hold is passed over";
}

TEST_F(pg_books, states_a_push_expects_are_read_at_once_and_kept_current_until_it_ends) {
    pg_row_states states(c);
    pg::connection other(db.conninfo());
    row_state st;
    st.exists = cell_state{{hlc_from_ms(wall.now_ms()), site_of(7)}, std::nullopt, 3};
    st.cells.resize(1);
    states.save("commune", "held", st);
    const std::string odd = "quote \" and \\ – Bản Nà, {x}";
    const std::string not_text("\xff\0", 2);
    auto gone = st;
    gone.alive = false;
    {
        pg::transaction tx(c);
        // An id PostgreSQL cannot hold is left out, not a failure of the push's read.
        states.expect({{"commune", "held"}, {"commune", odd}, {"commune", not_text}});
        // Nothing else writes these under the write lock; written anyway, the rows show what
        // was read at expect().
        other.run("DELETE FROM noi_rows");
        EXPECT_EQ(states.load("commune", "held", 1), st);
        EXPECT_FALSE(states.insert_new("commune", "held", st));
        EXPECT_FALSE(states.load("commune", odd, 1));
        EXPECT_TRUE(states.insert_new("commune", odd, st));
        EXPECT_FALSE(states.insert_new("commune", odd, st)) << "it has one now";
        EXPECT_EQ(states.load("commune", odd, 1), st);
        states.save("commune", "held", gone);
        EXPECT_EQ(states.load("commune", "held", 1), gone) << "read again after a write";
        tx.commit();
    }
    EXPECT_EQ(states.load("commune", odd, 1), st);
    {
        pg::transaction tx(c);
        states.expect({{"commune", odd}});
        tx.commit();
    }
    other.run("DELETE FROM noi_rows WHERE id = $1", {odd});
    pg::transaction next(c);
    EXPECT_FALSE(states.load("commune", odd, 1)) << "what expect() read ends with its transaction";
}

TEST_F(pg_books, audit_column_lists_are_stored_once_and_records_read_from_the_feed) {
    schema tables;
    tables.tables.push_back(
        {"household", {{"commune_code", col_type::text}, {"members", col_type::integer}}, 0});
    tables.tables.push_back({"commune", {{"name", col_type::text}}, std::nullopt});
    pg_audit_trail trail(c, tables);
    const auto* list = trail.creation_list("household");
    ASSERT_TRUE(list);
    EXPECT_EQ(trail.column_list(list->id),
              (std::vector<std::string>{exists_column, "commune_code", "members"}));
    EXPECT_FALSE(trail.creation_list("khong_co"));
    pg_audit_trail again(c, tables);
    EXPECT_EQ(again.creation_list("household")->id, list->id) << "stored once";
    EXPECT_NE(again.creation_list("commune")->id, list->id);
    EXPECT_THROW(trail.column_list(999), sync_error);

    pg_feed f(c, {});
    const auto writer = site_of(9);
    const feed_audit record{wall.now_ms(), "tab-a", writer, "packed cells", 0};
    f.record(1, "household", "h1", value{std::string("01849")}, nullptr, &record);
    f.record(2, "household", "h1", value{std::string("01849")}, nullptr, nullptr);
    const auto read = trail.on_entry(1);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->device_id, "tab-a");
    EXPECT_EQ(read->writer, writer);
    EXPECT_EQ(read->cells, "packed cells");
    EXPECT_FALSE(trail.on_entry(2)) << "an entry with no record";
    EXPECT_TRUE(trail.before_feed("household", "h1").empty());
}

TEST_F(pg_books, the_map_its_changes_lineage_and_row_moves) {
    pg_unit_registry units(c);
    units.add({"01849", "01849", "Xã Dương Quang", "Xã", "06", "Bắc Kạn", "058", "Bạch Thông", "",
               "2025-07-01", 0});
    units.add({"01852", "01852", "Xã Đôn Phong", "Xã", "06", "Bắc Kạn", "", "", "", "", 0});
    EXPECT_EQ(units.find("01849")->district, "Bạch Thông");
    EXPECT_EQ(units.find("01852")->valid_from, "");
    EXPECT_TRUE(units.on("01849", "2025-06-30"));
    EXPECT_FALSE(units.on("01849", "2025-07-01"));
    EXPECT_EQ(units.retired("01849", "2025-07-02")->id, "01849");
    EXPECT_FALSE(units.retired("01852", "2025-07-02"));
    const auto change = units.record_change({0, "merge", "2025-07-01", "NQ 1683", "admin", 7});
    EXPECT_EQ(units.record_change({0, "merge", "2025-08-01", "", "admin", 8}), change + 1);
    units.link({change, "01849", "01852", true});
    units.link({change, "01855", "01852", false});
    EXPECT_EQ(units.whole_parts("01852"), std::vector<std::string>{"01849"});
    EXPECT_EQ(units.successors("01849"), std::vector<std::string>{"01852"});
    EXPECT_EQ(units.lineage().size(), 2u);
    EXPECT_EQ(units.changes()[0].basis, "NQ 1683");
    units.retire("01852", "2026-01-01");
    EXPECT_EQ(units.find("01852")->valid_until, "2026-01-01");
    EXPECT_EQ(units.all().size(), 2u);

    units.record_row_move("household", "h1", "01849", "01852", 9, "Hà");
    units.record_row_move("household", "h1", "01852", "01855", 10, "Hà");
    EXPECT_EQ(units.moved_from("household", "h1"), (std::vector<std::string>{"01849", "01852"}));
    table_def def{
        "household", {{"commune_code", col_type::text}, {"head_name", col_type::text}}, 0};
    for (const auto& sql : table_ddl(def, nullptr))
        c.exec(sql);
    pg_table_rows rows(c, def);
    rows.insert("h1", {std::string("01852"), std::string("Lò")});
    rows.insert("h2", {std::string("01852"), value{}});
    const auto held = units.rows_by_unit(def);
    ASSERT_EQ(held.size(), 1u);
    EXPECT_EQ(held.at("01852").rows, 2u);
    EXPECT_EQ(held.at("01852").bytes, 2 * 5 + 3u) << "each value's bytes, NULL none";
}

} // namespace

namespace {

TEST(pg_store_creation, a_store_whose_making_fails_part_way_leaves_the_database_empty) {
    test::pg_database db;
    manual_clock wall{1'700'000'000'000};
    EXPECT_THROW(create_pg_store(db.conninfo(), wall, {}, {}, {"06", {}},
                                 [](server_store&) { throw std::runtime_error("no account"); }),
                 std::runtime_error);
    EXPECT_FALSE(pg_store_exists(db.conninfo())) << "a second init would only have joined";
    site_id epoch{};
    {
        auto made = create_pg_store(db.conninfo(), wall, {}, {}, {"06", {}},
                                    [&](server_store& s) { epoch = s.epoch(); });
        // Opened and writing after its making, its write lock taken as any transaction's.
        auto tx = made->begin();
        made->record_sync("no-such-device");
        tx->commit();
    }
    EXPECT_TRUE(pg_store_exists(db.conninfo()));
    EXPECT_EQ(open_pg_store(db.conninfo(), wall)->epoch(), epoch);
}

} // namespace
