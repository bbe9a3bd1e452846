// What a hostile or broken tablet can send the server store directly, past any client library:
// crafted names, other communes' rows, global tables, forged cursors. Each is refused or
// quarantined, and nothing of another commune comes back.
#include "hostile_fixture.hpp"

#include <noi/sync/server_session.hpp>

#include <algorithm>

using namespace noi;
using noi::test::hostile_fixture;

TEST_F(hostile_fixture, an_absurd_tablet_clock_is_recorded_as_a_saturated_skew) {
    device d{"tab-c", "01849", "Xã A, máy lạ"};
    server->add_device(d);
    proto::hello h;
    h.site[0] = 0xc;
    h.clock_ms = ~0ull; // found by the server-session fuzzer: the skew overflowed
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(server->hello(d, h)));
    EXPECT_GT(count("SELECT clock_skew_ms FROM noi_devices WHERE device_id = 'tab-c'"), 0);
}

TEST_F(hostile_fixture, table_and_column_names_crafted_as_sql_are_quarantined_and_run_nothing) {
    auto ack = push_a({row("incident\"; DROP TABLE household; --", "x1", "01849", {}),
                       row("incident", "x2", "01849",
                           {{"summary\" = 1; DROP TABLE household; --", std::string("x")}}),
                       row("incident", "x3'); DROP TABLE household; --", "01849",
                           {{"summary", std::string("tên 'lạ'")}})});
    ASSERT_EQ(ack.rejections.size(), 2u);
    EXPECT_EQ(ack.rejections[0].reason, proto::reject_reason::unknown_table);
    EXPECT_EQ(ack.rejections[1].reason, proto::reject_reason::unknown_column);
    EXPECT_EQ(count("SELECT count(*) FROM sqlite_schema WHERE name = 'household'"), 1);
    // An id is data, bound as a parameter: the row with the odd id is stored as it came.
    EXPECT_EQ(count("SELECT count(*) FROM incident WHERE id = 'x3''); DROP TABLE household; --'"),
              1);
}

TEST_F(hostile_fixture, another_communes_rows_and_global_tables_are_quarantined) {
    auto ack =
        push_a({row("incident", "i-b", "01852", {{"summary", std::string("viết hộ xã khác")}}),
                row("commune", "09999", "", {{"name", std::string("Xã giả")}}),
                row("incident", "i-a", "01849", {{"summary", std::string("của mình")}})});
    ASSERT_EQ(ack.rejections.size(), 2u);
    EXPECT_EQ(ack.rejections[0].reason, proto::reject_reason::out_of_scope);
    EXPECT_EQ(ack.rejections[1].reason, proto::reject_reason::global_table);
    EXPECT_EQ(count("SELECT count(*) FROM incident"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM commune WHERE id = '09999'"), 0);
}

TEST_F(hostile_fixture, no_cursor_reaches_another_communes_rows) {
    push_a({row("incident", "i-a1", "01849", {{"summary", std::string("bí mật")}}),
            row("household", "h-a1", "01849", {{"members", std::int64_t{3}}})});
    // Every cursor a forger could send: zero, each sequence, far beyond, the largest.
    std::vector<std::uint64_t> cursors{0, 1, 2, 3, 1000, 1ull << 62, ~0ull};
    for (std::uint64_t c = 0; c < 2000; c += 37)
        cursors.push_back(c);
    for (auto cursor : cursors)
        for (std::uint32_t max_rows : {0u, 1u, 500u, ~0u}) {
            auto ch = server->pull(dev_b, proto::pull{cursor, max_rows});
            for (const auto& r : ch.rows) {
                const auto* s = std::get_if<std::string>(&r.scope);
                EXPECT_TRUE(!s || *s == "01852")
                    << r.table << "/" << r.id << " at cursor " << cursor;
            }
        }
}

TEST_F(hostile_fixture, a_row_naming_a_column_twice_is_quarantined) {
    // Its two values would each be merged against the stored cell, and the later one win by
    // position alone.
    auto ack = push_a({row("incident", "i-2", "01849",
                           {{"summary", std::string("một")}, {"summary", std::string("hai")}}),
                       row("incident", "i-1", "01849", {{"summary", std::string("một lần")}})});
    ASSERT_EQ(ack.rejections.size(), 1u);
    EXPECT_EQ(ack.rejections[0].id, "i-2");
    EXPECT_EQ(ack.rejections[0].reason, proto::reject_reason::wrong_type);
    EXPECT_NE(ack.rejections[0].message.find("twice"), std::string::npos);
    EXPECT_EQ(count("SELECT count(*) FROM incident"), 1);
}

// Issue 14, item 1: a tablet of 01849 pushed a row stamped at the greatest HLC under a made-up
// site; the server adopted the stamp, and its clock, every WELCOME and every later stamp with it.
TEST_F(hostile_fixture, a_version_stamped_in_another_replicas_name_is_quarantined_not_adopted) {
    const auto floor_before = server->rep().clock().floor();
    site_id forged{};
    forged[0] = 0xf0;
    const version evil{((std::uint64_t{1} << 48) - 1) << 16 | 0xfffe, forged};
    auto forged_row = row("household", "h9", "01849", {{"village", std::string("Bản Chang")}});
    forged_row.exists->ver = evil;
    for (auto& c : forged_row.cells)
        c.ver = evil;
    // A colleague's real site (item 9): its conflicts would name the wrong author.
    auto colleague_row = row("household", "h8", "01849", {{"members", std::int64_t{3}}});
    colleague_row.cells[0].ver.site = site_b;
    auto ack = push_a({forged_row, colleague_row});
    ASSERT_EQ(ack.rejections.size(), 2u);
    for (const auto& r : ack.rejections)
        EXPECT_EQ(r.reason, proto::reject_reason::foreign_version) << r.id;
    EXPECT_EQ(count("SELECT count(*) FROM household"), 0);
    EXPECT_EQ(server->rep().clock().floor(), floor_before);
    // Every commune's WELCOME still tells the wall's time.
    EXPECT_EQ(welcome_b_again().clock_ms, static_cast<std::uint64_t>(wall.now_ms()));
}

TEST_F(hostile_fixture, a_stamp_beyond_the_clock_bound_is_refused_and_never_adopted) {
    const auto floor_before = server->rep().clock().floor();
    auto far = row("household", "h1", "01849", {{"members", std::int64_t{1}}});
    far.exists->ver.hlc = ((std::uint64_t{1} << 48) - 1) << 16 | 0xfffe;
    proto::push p{0, 1, {far}};
    auto r = server->push(dev_a, site_a, p);
    ASSERT_TRUE(std::holds_alternative<proto::error>(r));
    EXPECT_EQ(std::get<proto::error>(r).code, proto::error_code::clock_ahead);
    EXPECT_EQ(server->rep().clock().floor(), floor_before);
    EXPECT_EQ(count("SELECT count(*) FROM household"), 0);
}

TEST_F(hostile_fixture, stamps_at_the_bound_do_not_carry_the_clock_further) {
    const std::int64_t bound = server_options{}.clock_bound_ms;
    // Just inside the bound: accepted, and the server's clock follows it...
    auto edge = row("household", "h1", "01849", {{"members", std::int64_t{1}}});
    edge.exists->ver.hlc = hlc_from_ms(wall.now_ms() + bound - 1000);
    edge.cells[0].ver = edge.exists->ver;
    push_a({edge});
    // ...but the bound stays the wall's: a second stamp one bound further is refused.
    auto further = row("household", "h2", "01849", {{"members", std::int64_t{2}}});
    further.exists->ver.hlc = hlc_from_ms(wall.now_ms() + 2 * bound - 2000);
    further.cells[0].ver = further.exists->ver;
    auto r = server->push(dev_a, site_a, proto::push{further.seq - 1, further.seq, {further}});
    ASSERT_TRUE(std::holds_alternative<proto::error>(r));
    EXPECT_EQ(std::get<proto::error>(r).code, proto::error_code::clock_ahead);
    // WELCOME tells the wall's time, not the stamp's.
    EXPECT_EQ(welcome_b_again().clock_ms, static_cast<std::uint64_t>(wall.now_ms()));
}

TEST_F(hostile_fixture, a_base_from_beyond_the_servers_clock_is_stored_as_none) {
    push_a({row("household", "h1", "01849", {{"members", std::int64_t{1}}})});
    const version future{hlc_from_ms(wall.now_ms() + 365LL * 86'400'000), site_b};
    auto upd = row("household", "h1", "01849", {{"members", std::int64_t{2}}});
    upd.exists.reset();
    upd.existence_base = future;
    upd.cells[0].base = future;
    auto del = row("incident", "i1", "01849", {{"summary", std::string("x")}});
    push_a({upd, del});
    auto gone = row("incident", "i1", "01849", {});
    gone.exists->alive = false;
    gone.seen = {future};
    push_a({gone});
    for (const auto& rec : server->audit("household", "h1"))
        for (const auto& c : rec.cells)
            EXPECT_FALSE(c.base && c.base->hlc >= future.hlc) << c.column;
    auto seen = server->tombstone_seen("incident", "i1");
    ASSERT_TRUE(seen.has_value());
    EXPECT_TRUE(std::find(seen->begin(), seen->end(), future) == seen->end());
}

TEST_F(hostile_fixture, the_servers_own_site_and_the_zero_site_cannot_be_bound) {
    device d{"tab-c", "01849", "Xã A, máy 3"};
    server->add_device(d);
    for (const auto& s : {site_id{}, server->rep().site()}) {
        proto::hello h;
        h.site = s;
        h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
        auto r = server->hello(d, h);
        ASSERT_TRUE(std::holds_alternative<proto::error>(r));
        EXPECT_EQ(std::get<proto::error>(r).code, proto::error_code::site_bound_elsewhere);
        EXPECT_EQ(std::get<proto::error>(r).cond, proto::condition::permanent);
    }
    EXPECT_EQ(count("SELECT count(*) FROM noi_sites WHERE device_id = 'tab-c'"), 0);
}

// Issue 14, item 2: one token held 150 sessions, each HELLO binding a new site for good.
TEST_F(hostile_fixture, a_device_binds_a_bounded_number_of_replicas) {
    device d{"tab-c", "01849", "Xã A, máy 3"};
    server->add_device(d);
    const auto most = server_options{}.max_sites_per_device;
    for (std::size_t i = 0; i <= most; ++i) {
        proto::hello h;
        h.site[0] = 0xc;
        h.site[1] = static_cast<std::uint8_t>(i);
        h.site[2] = static_cast<std::uint8_t>(i >> 8);
        h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
        auto r = server->hello(d, h);
        if (i < most) {
            ASSERT_TRUE(std::holds_alternative<proto::welcome>(r)) << i;
            server->release(h.site);
            continue;
        }
        ASSERT_TRUE(std::holds_alternative<proto::error>(r));
        EXPECT_EQ(std::get<proto::error>(r).cond, proto::condition::permanent);
        EXPECT_NE(std::get<proto::error>(r).message.find("enrol"), std::string::npos);
    }
    EXPECT_EQ(count("SELECT count(*) FROM noi_sites WHERE device_id = 'tab-c'"),
              static_cast<std::int64_t>(most));
    // A replica it has already made keeps working.
    proto::hello again;
    again.site[0] = 0xc;
    again.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
    EXPECT_TRUE(std::holds_alternative<proto::welcome>(server->hello(d, again)));
}

// Issue 14, item 11: NOTIFY went to the scopes named in pushed rows before they were checked,
// and to every device for a rejected row without scope.
TEST_F(hostile_fixture, a_push_emits_only_into_scopes_it_may_write) {
    push_a({row("incident", "i-b", "01849", {{"summary", std::string("mình")}})});
    auto rows = std::vector<proto::row_change>{
        row("incident", "i-x", "01852", {{"summary", std::string("viết hộ")}}),
        row("commune", "09999", "", {{"name", std::string("Xã giả")}}),
        row("incident", "i-y", "", {{"summary", std::string("không xã")}})};
    rows[2].scope = value{};
    proto::push p{rows.front().seq - 1, rows.back().seq, rows};
    emissions emitted;
    auto r = server->push(dev_a, site_a, p, &emitted);
    ASSERT_TRUE(std::holds_alternative<proto::push_ack>(r));
    EXPECT_EQ(std::get<proto::push_ack>(r).rejections.size(), 3u);
    EXPECT_TRUE(emitted.scopes.empty());
    EXPECT_EQ(emitted.global, 0u);

    // A row of another commune under a known id is refused without waking that commune.
    auto b_row = row("incident", "i-b2", "01852", {{"summary", std::string("của B")}});
    b_row.exists->ver.site = site_b;
    for (auto& c : b_row.cells)
        c.ver.site = site_b;
    proto::push pb{0, 1, {b_row}};
    pb.rows[0].seq = 1;
    ASSERT_TRUE(std::holds_alternative<proto::push_ack>(server->push(dev_b, site_b, pb)));
    auto steal = row("incident", "i-b2", "01849", {{"summary", std::string("cướp")}});
    emissions stolen;
    const auto acked = std::get<proto::push_ack>(r).acked_seq; // b_row took a number of seq_a
    auto r2 = server->push(dev_a, site_a, proto::push{acked, steal.seq, {steal}}, &stolen);
    ASSERT_TRUE(std::holds_alternative<proto::push_ack>(r2));
    ASSERT_EQ(std::get<proto::push_ack>(r2).rejections.size(), 1u);
    EXPECT_EQ(std::get<proto::push_ack>(r2).rejections[0].message.find("another scope"),
              std::string::npos);
    EXPECT_TRUE(stolen.scopes.empty());

    auto own = row("incident", "i-a9", "01849", {{"summary", std::string("mới")}});
    emissions mine;
    ASSERT_TRUE(std::holds_alternative<proto::push_ack>(
        server->push(dev_a, site_a, proto::push{own.seq - 1, own.seq, {own}}, &mine)));
    ASSERT_EQ(mine.scopes.size(), 1u);
    EXPECT_EQ(mine.scopes.begin()->first, "01849");
    EXPECT_EQ(mine.for_device(device{"d", "01849", ""}), server->server_seq());
    EXPECT_EQ(mine.for_device(device{"d", "01852", ""}), 0u);
    EXPECT_EQ(mine.for_device(device{"d", "*", ""}), server->server_seq());
}

// Issue 14, item 5: one tablet added 31 MiB in 0.3 s through quarantined rows, each keeping its
// whole payload, and discarding them freed nothing.
TEST_F(hostile_fixture, repeated_rejections_collapse_and_large_ones_are_recorded_not_kept) {
    // Each repeat has a number of its own, above the last: a tablet acts only on a rejection
    // it has not recorded (the simulation, seed 400000: a reused number left a row behind).
    std::uint64_t last_id = 0;
    for (int i = 0; i < 50; ++i) {
        auto ack = push_a({row("incident", "i-b", "01852", {{"summary", std::string("lần nữa")}})});
        ASSERT_EQ(ack.rejections.size(), 1u);
        EXPECT_GT(ack.rejections[0].quarantine_id, last_id);
        last_id = ack.rejections[0].quarantine_id;
    }
    EXPECT_EQ(count("SELECT count(*) FROM noi_quarantine"), 1);
    EXPECT_EQ(count("SELECT repeats FROM noi_quarantine"), 50);

    auto ack =
        push_a({row("incident", "i-big", "01852", {{"summary", std::string(200'000, 'x')}})});
    ASSERT_EQ(ack.rejections.size(), 1u);
    EXPECT_NE(ack.rejections[0].message.find("too large"), std::string::npos);
    EXPECT_EQ(
        count("SELECT count(*) FROM noi_quarantine WHERE row_id = 'i-big' AND payload IS NULL"), 1);
    auto rel = server->release_quarantined(ack.rejections[0].quarantine_id);
    EXPECT_EQ(rel.status, server_store::quarantine_status::still_rejected);
    EXPECT_NE(rel.message.find("discard"), std::string::npos);
    EXPECT_LT(count("SELECT coalesce(sum(length(payload)), 0) FROM noi_quarantine"), 4096);

    const auto id =
        static_cast<std::uint64_t>(count("SELECT id FROM noi_quarantine WHERE row_id = 'i-b'"));
    EXPECT_EQ(server->discard_quarantined(id).status, server_store::quarantine_status::done);
    EXPECT_EQ(count("SELECT count(*) FROM noi_quarantine WHERE payload IS NOT NULL"), 0);
}

TEST(hostile_quota, a_device_at_its_quarantine_quota_has_its_pushes_refused_until_reviewed) {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    server_options so;
    so.max_quarantine_rows_per_device = 5;
    auto server = sqlite_store::create(dir.file("server.db"), wall, {1}, so);
    device bad{"tab-bad", "01849", "Xã A"}, good{"tab-good", "01849", "Xã A, máy 2"};
    site_id sb{}, sg{};
    sb[0] = 0xba;
    sg[0] = 0x60;
    for (auto [d, s] : {std::pair{&bad, &sb}, std::pair{&good, &sg}}) {
        server->add_device(*d);
        proto::hello h;
        h.site = *s;
        h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
        ASSERT_TRUE(std::holds_alternative<proto::welcome>(server->hello(*d, h)));
    }
    auto row = [&](const site_id& s, std::uint64_t seq, const std::string& scope) {
        proto::row_change r;
        r.table = "incident";
        r.id = "i-" + std::to_string(seq) + "-" + std::to_string(s[0]);
        r.scope = scope;
        r.seq = seq;
        r.exists = proto::existence_change{true, {hlc_from_ms(wall.now_ms()) + seq, s}, {}};
        return r;
    };
    for (std::uint64_t i = 1; i <= 5; ++i)
        ASSERT_TRUE(std::holds_alternative<proto::push_ack>(
            server->push(bad, sb, proto::push{i - 1, i, {row(sb, i, "01852")}})));
    auto refused = server->push(bad, sb, proto::push{5, 6, {row(sb, 6, "01849")}});
    ASSERT_TRUE(std::holds_alternative<proto::error>(refused));
    EXPECT_EQ(std::get<proto::error>(refused).code, proto::error_code::quota_exceeded);
    EXPECT_EQ(std::get<proto::error>(refused).cond, proto::condition::transient);
    // Nothing of the refused batch was applied; another device of the commune is served.
    auto st = server->rep().db().prepare("SELECT count(*) FROM incident");
    st.step();
    EXPECT_EQ(st.column_int(0), 0);
    st.reset();
    EXPECT_TRUE(std::holds_alternative<proto::push_ack>(
        server->push(good, sg, proto::push{0, 1, {row(sg, 1, "01849")}})));
    // Once the admin discards its rows the device pushes again.
    for (const auto& q : server->quarantine())
        server->discard_quarantined(q.id);
    EXPECT_TRUE(std::holds_alternative<proto::push_ack>(
        server->push(bad, sb, proto::push{5, 6, {row(sb, 6, "01849")}})));
}

TEST_F(hostile_fixture, a_tablet_ahead_of_the_servers_schema_is_refused_and_nothing_is_bound) {
    device d{"tab-c", "01849", "Xã A, máy mới"};
    server->add_device(d);
    proto::hello h;
    h.site[0] = 0xc;
    h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
    h.schema_version = static_cast<std::uint32_t>(server->schema_version()) + 1;
    auto r = server->hello(d, h);
    ASSERT_TRUE(std::holds_alternative<proto::error>(r));
    const auto& e = std::get<proto::error>(r);
    EXPECT_EQ(e.code, proto::error_code::schema_ahead);
    EXPECT_EQ(e.cond, proto::condition::permanent);
    EXPECT_NE(e.message.find("noi-admin schema apply"), std::string::npos) << e.message;
    EXPECT_EQ(count("SELECT count(*) FROM noi_sites WHERE device_id = 'tab-c'"), 0);
    h.schema_version = static_cast<std::uint32_t>(server->schema_version());
    EXPECT_TRUE(std::holds_alternative<proto::welcome>(server->hello(d, h)));
}

TEST_F(hostile_fixture, a_pull_cursor_beyond_the_feed_is_refused_and_its_head_is_accepted) {
    push_a({row("household", "h1", "01849", {{"commune_code", std::string("01849")}})});
    server_session s(*server, dev_a);
    proto::hello h;
    h.site = site_a;
    h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
    server->release(site_a);
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(s.on_message(h).send.at(0)));
    const auto head = server->committed_head();
    ASSERT_GT(head, 0u);
    EXPECT_FALSE(s.answer_pull(*server, {head, 500, true}).refused);
    for (std::uint64_t cursor : {head + 1, std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
        auto r = s.answer_pull(*server, {cursor, 500, true});
        ASSERT_TRUE(r.refused) << cursor;
        EXPECT_EQ(r.refused->code, proto::error_code::bad_cursor);
        EXPECT_TRUE(r.changes.rows.empty());
    }
}

// Issue 17: a new row without its scope cell was stored where no tablet could show it.
TEST_F(hostile_fixture, an_insert_without_its_scope_cell_is_quarantined) {
    auto r = row("incident", "i-noscope", "01849", {{"summary", std::string("không mã xã")}});
    std::erase_if(r.cells, [](const auto& c) { return c.column == "commune_code"; });
    auto ack = push_a({r});
    ASSERT_EQ(ack.rejections.size(), 1u);
    EXPECT_EQ(ack.rejections[0].reason, proto::reject_reason::missing_scope);
    EXPECT_NE(ack.rejections[0].message.find("commune_code"), std::string::npos);
    EXPECT_EQ(count("SELECT count(*) FROM incident WHERE id = 'i-noscope'"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM noi_quarantine WHERE row_id = 'i-noscope'"), 1);
}

// Issue 17: an update of a row the server never held created a row no tablet could show.
TEST_F(hostile_fixture, an_update_of_a_row_the_server_never_held_is_quarantined) {
    const version earlier{hlc_from_ms(wall.now_ms() - 1000), site_a};
    auto upd = row("household", "h-never", "01849", {{"members", std::int64_t{4}}});
    std::erase_if(upd.cells, [](const auto& c) { return c.column == "commune_code"; });
    upd.exists.reset();
    upd.existence_base = earlier;
    upd.cells[0].base = earlier;
    auto ack = push_a({upd});
    ASSERT_EQ(ack.rejections.size(), 1u);
    EXPECT_EQ(ack.rejections[0].reason, proto::reject_reason::unknown_row);
    EXPECT_NE(ack.rejections[0].message.find("release"), std::string::npos);
    EXPECT_EQ(count("SELECT count(*) FROM noi_rows WHERE id = 'h-never'"), 0);
}

// After a restore a tablet re-sends what the server lost; an update's re-send is taken, and the
// insert's re-send from its writer places the row.
TEST_F(hostile_fixture, a_resent_update_of_a_row_the_server_lost_is_accepted) {
    auto upd = row("household", "h-lost", "01849", {{"members", std::int64_t{5}}});
    std::erase_if(upd.cells, [](const auto& c) { return c.column == "commune_code"; });
    upd.exists.reset();
    upd.cells[0].base = upd.cells[0].ver;
    auto ack = push_a({upd});
    EXPECT_TRUE(ack.rejections.empty());
    auto ins = row("household", "h-lost", "01849", {});
    ack = push_a({ins});
    EXPECT_TRUE(ack.rejections.empty());
    EXPECT_EQ(count("SELECT members FROM household WHERE id = 'h-lost'"), 5);
}
