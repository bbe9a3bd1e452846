// What a storage port (store_port.hpp) promises the sync service, through the port alone, with
// two ports on one database (what two server processes are): transactions that roll back
// whole or, nested, alone; the schema of the transaction; the feed's head, the clock's floor
// and every id read from storage when the write lock is taken; the site's acknowledgement as
// a compare-and-set. For each port of the binary's list (store_kinds.hpp).
#include "store_kinds.hpp"
#include "temp_dir.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/tablet.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <set>

using namespace noi;

namespace {

using test::port_kind;

struct two_ports : ::testing::TestWithParam<port_kind> {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    std::unique_ptr<store_port> p = GetParam().make(dir.path(), wall, 1);
    std::unique_ptr<store_port> q = GetParam().open(dir.path(), wall, 2);
    const device a{"tab-a", "01849", "Dương Quang, máy 1"};

    static site_id site_of(std::uint8_t b) {
        site_id s;
        s.fill(b);
        return s;
    }
    // Runs fn in a committed transaction of `port`.
    static void committed(store_port& port, const std::function<void()>& fn) {
        auto tx = port.begin();
        fn();
        tx->commit();
    }
};

TEST_P(two_ports, a_group_not_committed_leaves_nothing_and_a_nested_one_rolls_back_alone) {
    {
        auto outer = p->begin();
        p->devices().add(a);
        {
            auto inner = p->begin();
            p->devices().add({"tab-b", "01852", "Xã B"});
            EXPECT_TRUE(p->in_transaction());
        }
        outer->commit();
    }
    EXPECT_FALSE(p->in_transaction());
    EXPECT_TRUE(q->devices().find("tab-a"));
    EXPECT_FALSE(q->devices().find("tab-b")) << "its nested group rolled back";
    {
        auto tx = p->begin();
        p->devices().add({"tab-c", "01852", "Xã C"});
    }
    EXPECT_FALSE(p->devices().find("tab-c"));
    EXPECT_FALSE(q->devices().find("tab-c"));
}

TEST_P(two_ports, a_schema_is_the_transaction_s_and_one_rolled_back_leaves_the_one_before) {
    const auto before = p->tables().version;
    auto specs = specs_of(p->tables());
    specs.push_back({"border_patrol", "commune_code", {{"route", "TEXT"}}});
    const auto next = schema_of(before + 1, specs);
    {
        auto tx = p->begin();
        p->adopt_schema(next);
        EXPECT_EQ(p->tables().version, before + 1);
        EXPECT_TRUE(p->tables().find("border_patrol"));
    }
    EXPECT_EQ(p->tables().version, before) << "the group did not commit";
    EXPECT_FALSE(p->tables().find("border_patrol"));
    committed(*p, [&] { p->adopt_schema(next); });
    EXPECT_EQ(q->tables().version, before) << "nothing read it yet";
    committed(*q, [&] { EXPECT_EQ(q->tables().version, before + 1); });
    ASSERT_TRUE(q->tables().find("border_patrol"));
    // A reader reads the schema of the snapshot it reads rows in.
    auto r = GetParam().open(dir.path(), wall, 3);
    committed(*p, [&] { p->adopt_schema(schema_of(before + 2, specs)); });
    r->refresh_schema();
    EXPECT_EQ(r->tables().version, before + 2);
}

TEST_P(two_ports, the_feed_s_head_is_the_committed_one_when_the_write_lock_is_taken) {
    const auto start = p->changes().committed_head(); // the map's reference rows
    std::uint64_t first = 0;
    committed(*p, [&] {
        first = p->changes().next();
        p->changes().record(first, "household", "h1", value{std::string("01849")}, nullptr,
                            nullptr);
    });
    EXPECT_EQ(q->changes().committed_head(), first);
    std::uint64_t second = 0;
    committed(*q, [&] {
        EXPECT_EQ(q->changes().head(), first);
        second = q->changes().next();
        q->changes().record(second, "household", "h2", value{std::string("01852")}, nullptr,
                            nullptr);
    });
    EXPECT_EQ(second, first + 1);
    EXPECT_EQ(first, start + 1);
    committed(*p, [&] { EXPECT_EQ(p->changes().next(), second + 1) << "read again, not kept"; });

    // A pull reads the live entries of its units and of global tables, in order.
    const std::vector<std::string> units{"01849"};
    feed_query fq;
    fq.after = start;
    fq.limit = 10;
    fq.units = &units;
    std::vector<std::string> read;
    p->changes().read(fq, [&](const feed_entry& e) {
        read.push_back(e.id);
        return true;
    });
    EXPECT_EQ(read, std::vector<std::string>{"h1"});
    fq.units = nullptr;
    read.clear();
    q->changes().read(fq, [&](const feed_entry& e) {
        read.push_back(e.id);
        return true;
    });
    EXPECT_EQ(read, (std::vector<std::string>{"h1", "h2"}));
    const auto newest = q->changes().newest_after(first);
    ASSERT_EQ(newest.size(), 1u);
    EXPECT_EQ(newest[0], std::make_pair(value{std::string("01852")}, second));
}

TEST_P(two_ports, the_clock_s_floor_is_read_when_the_write_lock_is_taken) {
    const auto ahead = hlc_from_ms(wall.now_ms() + 5'000);
    committed(*p, [&] {
        p->clock().observe(ahead);
        p->save_clock();
    });
    committed(*q, [&] {
        EXPECT_GE(q->clock().floor(), ahead);
        EXPECT_GT(q->clock().next(), ahead) << "no stamp of q's equals one of p's";
    });
}

// A port that cannot tell whether another instance wrote may tell the service at every write
// lock; none may miss a commit.
TEST_P(two_ports, every_instance_hears_when_another_committed) {
    int heard = 0;
    q->on_catch_up([&] { ++heard; });
    committed(*q, [] {});
    const auto before = heard;
    committed(*p, [&] { p->set_meta_int("wall_high_ms", 42); });
    committed(*q, [&] {
        EXPECT_EQ(heard, before + 1) << "told once, as the lock was taken";
        EXPECT_EQ(q->meta_int("wall_high_ms"), 42);
    });
    q->on_catch_up({});
}

TEST_P(two_ports, ids_come_from_storage) {
    committed(*p, [&] { p->devices().add(a); });
    proto::row_change r;
    r.table = "household";
    r.scope = std::string("01849");
    std::set<std::uint64_t> ids;
    for (int i = 0; i < 6; ++i) {
        auto& port = i % 2 ? *q : *p;
        committed(port, [&] {
            r.id = "h";
            r.id += std::to_string(i);
            quarantine_book::new_entry e;
            e.device_id = a.id;
            e.site = site_of(7);
            e.table = r.table;
            e.row_id = r.id;
            e.reason = proto::reject_reason::wrong_type;
            e.message = "kiểu sai";
            const auto id = port.quarantine().add(e);
            EXPECT_TRUE(ids.insert(id).second) << id;
        });
    }
    EXPECT_EQ(p->quarantine().open_count(), 6u);
    conflict_record c;
    c.device_id = a.id;
    c.table = "household";
    c.row_id = "h1";
    c.scope = "01849";
    committed(*p, [&] { p->conflicts().record(c); });
    committed(*q, [&] { q->conflicts().record(c); });
    const auto found = p->conflicts().find();
    ASSERT_EQ(found.size(), 2u);
    EXPECT_NE(found[0].id, found[1].id);
}

TEST_P(two_ports, the_site_s_acknowledgement_moves_only_from_the_one_expected) {
    const auto s = site_of(7);
    committed(*p, [&] {
        p->devices().add(a);
        EXPECT_FALSE(p->devices().site(s));
        p->devices().bind(s, a.id);
    });
    ASSERT_TRUE(q->devices().site(s));
    EXPECT_EQ(q->devices().site(s)->device_id, a.id);
    EXPECT_EQ(q->devices().sites_of(a.id), 1u);
    EXPECT_EQ(q->devices().acked(s, a.id), 0u);
    committed(*p, [&] { EXPECT_TRUE(p->devices().set_acked(s, 0, 5)); });
    committed(*q, [&] {
        EXPECT_FALSE(q->devices().set_acked(s, 0, 7)) << "read 0, but another push moved it";
        EXPECT_TRUE(q->devices().set_acked(s, 5, 5)) << "a push that adds nothing keeps it";
    });
    EXPECT_EQ(p->devices().acked(s, a.id), 5u);
    EXPECT_FALSE(p->devices().acked(s, "tab-b")) << "bound to another device";
}

// A push's opening reads (sync_service::push), which a store may answer in one round trip,
// say what the books say, through another instance too.
TEST_P(two_ports, a_push_s_gate_reads_what_the_books_hold) {
    const auto s = site_of(7);
    auto gate = [&](const std::string& device_id, const site_id& site) {
        auto tx = q->begin();
        return q->gate_of(device_id, site);
    };
    EXPECT_FALSE(gate(a.id, s).may_push) << "not enrolled";
    committed(*p, [&] {
        p->devices().add(a);
        p->devices().add({"tab-b", "01849", "Xã B"});
        p->devices().bind(s, a.id);
        EXPECT_TRUE(p->devices().set_acked(s, 0, 12));
    });
    auto g = gate(a.id, s);
    EXPECT_TRUE(g.may_push);
    EXPECT_EQ(g.acked, 12u);
    EXPECT_EQ(g.quarantined.rows, 0u);
    EXPECT_EQ(g.quarantined.bytes, 0u);
    EXPECT_EQ(g.open_conflicts, 0u);
    EXPECT_FALSE(gate("tab-b", s).acked) << "the site is another device's";
    EXPECT_TRUE(gate("tab-b", s).may_push);
    committed(*p, [&] {
        quarantine_book::new_entry e;
        e.device_id = a.id;
        e.site = s;
        e.table = "household";
        e.row_id = "h1";
        e.reason = proto::reject_reason::wrong_type;
        e.message = "kiểu sai";
        e.payload = std::string("\x01\x02\x03");
        e.repeats = 3;
        p->quarantine().add(e);
        e.row_id = "h2";
        e.repeats = 1;
        const auto discarded = p->quarantine().add(e);
        EXPECT_TRUE(p->quarantine().discard(discarded));
        conflict_record c;
        c.device_id = a.id;
        c.table = "household";
        c.row_id = "h1";
        c.scope = "01849";
        p->conflicts().record(c);
        p->conflicts().record(c);
        const auto resolved = p->conflicts().find().back().id;
        p->conflicts().mark_resolved(resolved, "admin:lan", "kept");
        c.device_id = "tab-b";
        p->conflicts().record(c);
    });
    g = gate(a.id, s);
    const auto held = p->quarantine().open_of(a.id);
    EXPECT_EQ(g.quarantined.rows, 3u);
    EXPECT_EQ(g.quarantined.rows, held.rows);
    EXPECT_EQ(g.quarantined.bytes, held.bytes);
    EXPECT_EQ(g.quarantined.bytes, 3u + 9 + 2 + std::string("kiểu sai").size());
    EXPECT_EQ(g.open_conflicts, 1u);
    committed(*p, [&] { EXPECT_TRUE(p->devices().revoke(a.id, false)); });
    g = gate(a.id, s);
    EXPECT_FALSE(g.may_push);
    EXPECT_EQ(g.acked, 12u) << "what it holds stays known";
}

TEST_P(two_ports, a_new_row_s_state_is_saved_once) {
    row_state st;
    st.exists = cell_state{{hlc_from_ms(wall.now_ms()), site_of(7)}, std::nullopt, 1};
    committed(*p, [&] { EXPECT_TRUE(p->states().insert_new("household", "h1", st)); });
    committed(*q, [&] {
        EXPECT_FALSE(q->states().insert_new("household", "h1", st)) << "it has one";
        auto held = q->states().load("household", "h1", 0);
        ASSERT_TRUE(held);
        EXPECT_EQ(held->exists, st.exists);
    });
}

INSTANTIATE_TEST_SUITE_P(stores, two_ports, ::testing::ValuesIn(test::port_kinds()),
                         [](const auto& info) { return std::string(info.param.name); });

} // namespace
