// The numbered invariants of server_store.hpp, each checked with two instances serving one
// database (what two noi-server processes on one data directory are), their requests
// interleaved by seed, for each store of the binary's list (store_kinds.hpp: a factory that
// makes the store and one that opens another instance on it). Through public functions only.
#include "loopback.hpp"
#include "replica_query.hpp"
#include "store_kinds.hpp"
#include "temp_dir.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/tablet.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace noi;
using noi::test::count;
using sim::sync_once;

namespace {

using test::store_kind;

struct two_instances : ::testing::TestWithParam<store_kind> {
    test::temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    server_options options;
    std::unique_ptr<server_store> x, y;
    device a{"tab-a", "01849", "Dương Quang, máy 1"}, a2{"tab-a2", "01849", "Dương Quang, máy 2"},
        b{"tab-b", "01852", "Xã B"}, reader{"tab-p", "*", "Tỉnh"};

    void start() {
        x = GetParam().make(dir.path(), wall, options);
        y = GetParam().open(dir.path(), wall, options);
        for (const auto* d : {&a, &a2, &b, &reader})
            x->add_device(*d);
    }
    void SetUp() override { start(); }
    std::unique_ptr<tablet> new_tablet(const std::string& name, std::uint64_t seed) {
        return tablet::create(dir.file(name), wall, {seed});
    }
    static void synced(tablet& t, server_store& s, const device& d) {
        auto r = sync_once(t, s, d);
        ASSERT_TRUE(r.done) << (r.error ? r.error->message : "cut");
    }
    server_store& either(std::mt19937_64& rng) { return rng() % 2 ? *x : *y; }
};

proto::hello hello_of(std::uint8_t site_byte, std::uint32_t schema_version = 1) {
    proto::hello h;
    h.site.fill(site_byte);
    h.schema_version = schema_version;
    return h;
}

bool refused_as(const std::variant<proto::welcome, proto::error>& r, proto::error_code code) {
    const auto* e = std::get_if<proto::error>(&r);
    return e && e->code == code;
}

// Invariant 1: sequences are taken from the committed head under the write lock, so writes
// through either instance, in any order, reach a reader of either, none skipped or doubled.
TEST_P(two_instances, feed_sequences_follow_commit_order_through_either_instance) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        // Named strings: GCC 12 at -O3 warns falsely (-Wrestrict) on a literal + a temporary.
        const auto n = std::to_string(seed);
        SCOPED_TRACE("seed " + n);
        std::mt19937_64 rng(seed);
        auto ta = new_tablet("a" + n + ".db", 10 * seed);
        auto tb = new_tablet("b" + n + ".db", 10 * seed + 1);
        auto tp = new_tablet("p" + n + ".db", 10 * seed + 2);
        int written = 0;
        for (int step = 0; step < 24; ++step) {
            wall.advance(1000);
            const bool in_a = rng() % 2;
            auto& t = in_a ? *ta : *tb;
            const auto k = std::to_string(step);
            t.exec("INSERT INTO household(id, commune_code, members) VALUES ('s" + n + "-" + k +
                   "', '" + (in_a ? "01849" : "01852") + "', " + k + ")");
            ++written;
            synced(t, either(rng), in_a ? a : b);
            if (rng() % 3 == 0) synced(*tp, either(rng), reader);
        }
        synced(*tp, *x, reader);
        synced(*tp, *y, reader);
        EXPECT_EQ(count(*tp, "SELECT count(*) FROM household WHERE id LIKE 's" + n + "-%'"),
                  written);
        EXPECT_EQ(x->committed_head(), y->committed_head());
    }
}

// Invariant 1 with real concurrency: two writers on their own instances and a reader on a
// third, in three threads. The reader ends with every row.
TEST_P(two_instances, concurrent_writers_on_two_instances_let_a_reader_skip_nothing) {
    auto z = GetParam().open(dir.path(), wall, options);
    auto ta = new_tablet("a.db", 2), tb = new_tablet("b.db", 3), tp = new_tablet("p.db", 4);
    constexpr int rows = 15;
    std::atomic<int> writers_done{0};
    std::atomic<bool> failed{false};
    // A thread's exception would end the test program: each is counted as a failure instead.
    auto writer = [&](tablet& t, server_store& s, const device& d, const char* commune) {
        try {
            for (int i = 0; i < rows && !failed; ++i) {
                const auto k = std::to_string(i);
                t.exec("INSERT INTO household(id, commune_code, members) VALUES ('" + d.id + "-" +
                       k + "', '" + commune + "', " + k + ")");
                if (!sync_once(t, s, d).done) failed = true;
            }
        } catch (const std::exception&) {
            failed = true;
        }
        ++writers_done;
    };
    std::thread w1(writer, std::ref(*ta), std::ref(*x), std::cref(a), "01849");
    std::thread w2(writer, std::ref(*tb), std::ref(*y), std::cref(b), "01852");
    try {
        for (int round = 0; round < 400 && writers_done < 2; ++round)
            if (!sync_once(*tp, *z, reader).done) failed = true;
    } catch (const std::exception&) {
        failed = true;
    }
    w1.join();
    w2.join();
    ASSERT_FALSE(failed);
    synced(*tp, *z, reader);
    EXPECT_EQ(count(*tp, "SELECT count(*) FROM household"), 2 * rows);
}

// Invariant 2: the server's own writes through both instances, at one wall time, never share
// a stamp.
TEST_P(two_instances, the_server_s_stamps_are_unique_across_instances) {
    std::mt19937_64 rng(7);
    const auto* commune = x->find_table("commune");
    ASSERT_TRUE(commune);
    for (int i = 0; i < 12; ++i) {
        std::vector<value> values(commune->columns.size(), value{std::string("Xã thử")});
        values[commune->column_index("key_area").value()] = value{std::int64_t{0}};
        const auto k = std::to_string(i);
        either(rng).write_local("commune", "t" + k, values, "admin:test");
    }
    std::set<std::uint64_t> stamps;
    std::size_t cells = 0;
    proto::pull p;
    for (int page = 0; page < 100; ++page) {
        auto got = x->pull(reader, p);
        for (const auto& r : got.rows)
            if (r.id.size() > 1 && r.id[0] == 't')
                for (const auto& c : r.cells) {
                    ++cells;
                    stamps.insert(c.ver.hlc);
                }
        p.cursor = got.cursor;
        if (!got.more) break;
    }
    EXPECT_EQ(cells, 12 * commune->columns.size());
    EXPECT_EQ(stamps.size(), 12u) << "each write is one stamp, and no two writes share one";
}

// Invariant 3: a site with a session through one instance is refused by the other until the
// session ends, or its instance goes away or stops beating.
TEST_P(two_instances, one_live_session_per_site_across_instances) {
    const auto h = hello_of(0x31);
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(x->hello(a, h)));
    EXPECT_TRUE(refused_as(y->hello(a, h), proto::error_code::site_busy));
    EXPECT_TRUE(refused_as(x->hello(a, h), proto::error_code::site_busy));
    x->release(h.site);
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(y->hello(a, h)));
    EXPECT_TRUE(refused_as(x->hello(a, h), proto::error_code::site_busy));
    y.reset(); // an instance that stops lets go of its sessions
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(x->hello(a, h)));

    y = GetParam().open(dir.path(), wall, options);
    const auto beating = hello_of(0x32), silent = hello_of(0x33);
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(x->hello(a, beating)));
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(x->hello(a2, silent)));
    wall.advance(30'000);
    x->keep_alive();
    wall.advance(40'000);
    EXPECT_TRUE(refused_as(y->hello(a, beating), proto::error_code::site_busy))
        << "beaten 40 s ago: alive";
    x->keep_alive();
    wall.advance(61'000);
    EXPECT_TRUE(std::holds_alternative<proto::welcome>(y->hello(a2, silent)))
        << "an instance that stopped beating a minute ago holds nothing";
}

// A device revoked through one instance pushes nothing more through a session of the other.
TEST_P(two_instances, a_device_revoked_through_one_instance_pushes_nothing_through_the_other) {
    auto ta = new_tablet("a.db", 2);
    synced(*ta, *y, a);
    proto::hello h;
    h.site = ta->rep().site();
    h.schema_version = 1;
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(y->hello(a, h)));
    ASSERT_TRUE(x->revoke_device(a.id));
    proto::push p;
    auto refused = y->push(a, h.site, p);
    ASSERT_TRUE(std::holds_alternative<proto::error>(refused));
    EXPECT_EQ(std::get<proto::error>(refused).code, proto::error_code::unknown_device);
}

// Invariant 4: a push replayed through the other instance applies nothing again.
TEST_P(two_instances, a_push_replayed_through_the_other_instance_applies_nothing_twice) {
    auto ta = new_tablet("a.db", 2), ta2 = new_tablet("a2.db", 3);
    ta->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
    auto first = sync_once(*ta, *x, a);
    ASSERT_TRUE(first.done);
    synced(*ta2, *y, a2);
    ta2->exec("UPDATE household SET members = 9");
    synced(*ta2, *y, a2);
    const auto head = y->committed_head();
    const auto& sent = first.sent_by_client;
    ASSERT_GE(sent.size(), 2u);
    const auto* h = std::get_if<proto::hello>(&sent[0]);
    const auto* push = std::get_if<proto::push>(&sent[1]);
    ASSERT_TRUE(h && push);
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(y->hello(a, *h)));
    auto again = y->push(a, h->site, *push);
    ASSERT_TRUE(std::holds_alternative<proto::push_ack>(again));
    EXPECT_EQ(x->committed_head(), head) << "nothing emitted";
    EXPECT_EQ(x->read_row("household", "h1")->at("members"), value(std::int64_t{9}));
    EXPECT_TRUE(x->conflicts({.status = conflict_status::open}).empty());
}

// Invariant 5: a schema published through one instance is the other's at its next request.
TEST_P(two_instances, a_schema_published_through_one_instance_is_the_other_s_at_once) {
    auto specs = specs_of(x->current_schema());
    specs.push_back({"border_patrol", "commune_code", {{"route", "TEXT"}}});
    x->apply_schema(schema_of(2, specs), "admin",
                    schema_labels({{"border_patrol", "route", std::nullopt, "Tuyến", "Route"}}));
    EXPECT_EQ(y->current_labels().column_text("border_patrol", "route", language::vi), "Tuyến");
    auto ta = new_tablet("a.db", 2);
    synced(*ta, *y, a); // told of version 2 by the instance that did not publish it
    EXPECT_EQ(ta->labels().column_text("border_patrol", "route", language::en), "Route");
    ta->exec("INSERT INTO border_patrol(id, commune_code, route) VALUES ('r1', '01849', "
             "'Mốc 12 – Khuổi Khe')");
    synced(*ta, *y, a);
    auto row = x->read_row("border_patrol", "r1");
    ASSERT_TRUE(row);
    EXPECT_EQ(row->at("route"), value(std::string("Mốc 12 – Khuổi Khe")));
    EXPECT_TRUE(y->quarantine().empty());
    try {
        y->apply_schema(schema_of(2, specs), "admin", {});
        ADD_FAILURE() << "a second version 2 was published";
    } catch (const sync_error& e) {
        EXPECT_EQ(e.code(), errc::schema);
    }
    EXPECT_EQ(y->schema_history().size(), 1u);
}

// Invariant 6: ids and counts are read from the store: quarantine ids through both instances
// are distinct, and the sites-per-device bound counts the sites bound through either.
TEST_P(two_instances, ids_and_counts_come_from_the_store) {
    std::mt19937_64 rng(3);
    for (int i = 0; i < 6; ++i) {
        // A tablet writes another commune's row only before it learns its own.
        const auto k = std::to_string(i);
        const device d{"tab-q" + k, "01849", "Dương Quang"};
        x->add_device(d);
        auto t = new_tablet("q" + k + ".db", 20 + i);
        t->exec("INSERT INTO incident(id, commune_code, summary) VALUES ('q" + k +
                "', '01852', 'ghi nhầm xã')");
        synced(*t, either(rng), d);
    }
    std::set<std::uint64_t> ids;
    for (const auto& q : y->quarantine())
        ids.insert(q.id);
    EXPECT_EQ(ids.size(), 6u);

    y.reset();
    x.reset();
    std::filesystem::create_directory(dir.file("bound"));
    options.max_sites_per_device = 2;
    x = GetParam().make(dir.file("bound"), wall, options);
    y = GetParam().open(dir.file("bound"), wall, options);
    x->add_device(a2);
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(y->hello(a2, hello_of(0x41))));
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(x->hello(a2, hello_of(0x42))));
    EXPECT_TRUE(refused_as(y->hello(a2, hello_of(0x43)), proto::error_code::site_bound_elsewhere))
        << "a third replica of one device, whichever instance binds it";
}

// Invariant 7: edits of one row through the two instances merge as through one: different
// cells both kept, one cell edited on both sides one conflict.
TEST_P(two_instances, edits_of_one_row_through_both_instances_merge_as_through_one) {
    auto ta = new_tablet("a.db", 2), ta2 = new_tablet("a2.db", 3);
    ta->exec("INSERT INTO household(id, commune_code, village, members) VALUES ('h1', '01849', "
             "'Nà Pài', 4)");
    synced(*ta, *x, a);
    synced(*ta2, *y, a2);
    ta->exec("UPDATE household SET members = 5, village = 'Bản Chang'");
    ta2->exec("UPDATE household SET members = 6, head_name = 'Hoàng Văn Hải'");
    synced(*ta, *x, a);
    synced(*ta2, *y, a2);
    synced(*ta, *y, a);
    auto row = x->read_row("household", "h1");
    ASSERT_TRUE(row);
    EXPECT_EQ(row->at("village"), value(std::string("Bản Chang")));
    EXPECT_EQ(row->at("head_name"), value(std::string("Hoàng Văn Hải")));
    const auto open = y->conflicts({.status = conflict_status::open});
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].column, "members");
    EXPECT_EQ(count(*ta, "SELECT members FROM household"),
              count(*ta2, "SELECT members FROM household"));
}

// What a process learns of the other's pushes, to NOTIFY its own sessions.
TEST_P(two_instances, each_instance_learns_where_the_other_s_pushes_went) {
    auto ta = new_tablet("a.db", 2), tb = new_tablet("b.db", 3);
    const auto before = y->committed_head();
    ta->exec("INSERT INTO household(id, commune_code, members) VALUES ('h1', '01849', 4)");
    synced(*ta, *x, a);
    const auto after_a = x->committed_head();
    tb->exec("INSERT INTO household(id, commune_code, members) VALUES ('h2', '01852', 2)");
    synced(*tb, *x, b);
    auto seen = y->emitted_since(before);
    EXPECT_EQ(seen.for_device(x->find_device("tab-a2").value()), after_a);
    EXPECT_EQ(seen.for_device(x->find_device("tab-b").value()), x->committed_head());
    EXPECT_EQ(y->emitted_since(x->committed_head()).for_device(reader), 0u);
}

// What one process does in the two-process test: `rounds` writes of its two tablets, each
// synced through its own instance, an edit of one row every tablet of 01849 edits too, paced
// by seed. Returns false at the first round that does not finish; throws on a store's error.
bool write_through(const store_kind& kind, const std::string& dir, const std::string& tag,
                   std::uint64_t seed, int rounds) {
    manual_clock wall{1'700'000'000'000};
    auto s = kind.open(dir, wall, {});
    const device da{"tab-" + tag + "-a", "01849", "Dương Quang"},
        db{"tab-" + tag + "-b", "01852", "Xã B"};
    auto ta = tablet::create(dir + "/" + tag + "-a.db", wall, {seed});
    auto tb = tablet::create(dir + "/" + tag + "-b.db", wall, {seed + 1});
    std::mt19937_64 rng(seed);
    for (int r = 0; r < rounds; ++r) {
        wall.advance(1000);
        const bool in_a = rng() % 2;
        auto& t = in_a ? *ta : *tb;
        const auto k = std::to_string(r);
        const std::string unit = in_a ? "01849" : "01852";
        t.exec("INSERT INTO household(id, commune_code, members) VALUES ('" + tag + "-" + k +
               "', '" + unit + "', " + k + ")");
        if (in_a) {
            t.exec("INSERT OR IGNORE INTO household(id, commune_code, members) VALUES ('shared', "
                   "'01849', 0)");
            t.exec("UPDATE household SET members = " + k + " WHERE id = 'shared'");
        }
        if (!sync_once(t, *s, in_a ? da : db).done) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    }
    return true;
}

// A tablet's households as "id:members", sorted.
std::vector<std::string> households(tablet& t) {
    std::vector<std::string> rows;
    auto st = t.rep().db().prepare("SELECT id || ':' || members FROM household");
    while (st.step())
        rows.push_back(st.column_text(0));
    std::sort(rows.begin(), rows.end());
    return rows;
}

// Two processes, each with its own instance on one database and its own tablets, write at
// once, paced by seed: then every tablet of a commune, synced through either, holds every row
// of it the store holds, each once, with the same value of the row all of them edited.
struct two_processes : ::testing::TestWithParam<store_kind> {};

TEST_P(two_processes, write_at_once_and_every_tablet_ends_with_every_row_of_its_commune) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        const auto n = std::to_string(seed);
        SCOPED_TRACE("seed " + n);
        test::temp_dir dir;
        manual_clock wall{1'700'000'000'000};
        {
            // Made and closed before the fork: no connection crosses it.
            auto s = GetParam().make(dir.path(), wall, {});
            for (const auto* tag : {"p", "c"}) {
                s->add_device({std::string("tab-") + tag + "-a", "01849", "Dương Quang"});
                s->add_device({std::string("tab-") + tag + "-b", "01852", "Xã B"});
            }
        }
        constexpr int rounds = 20;
        const pid_t child = fork();
        ASSERT_NE(child, -1);
        if (child == 0) {
            bool ok = false;
            try {
                ok = write_through(GetParam(), dir.path(), "c", 100 * seed, rounds);
            } catch (const std::exception&) {
            }
            _exit(ok ? 0 : 1);
        }
        bool mine = false;
        try {
            mine = write_through(GetParam(), dir.path(), "p", 100 * seed + 50, rounds);
        } catch (const std::exception& e) {
            ADD_FAILURE() << e.what();
        }
        int status = -1;
        for (int waited = 0; waited < 600; ++waited) { // 60 s at most
            if (waitpid(child, &status, WNOHANG) == child) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (!WIFEXITED(status)) {
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
            FAIL() << "the second process did not finish in 60 s";
        }
        ASSERT_TRUE(mine);
        ASSERT_EQ(WEXITSTATUS(status), 0) << "a round of the second process did not finish";

        auto s = GetParam().open(dir.path(), wall, {});
        std::vector<std::pair<std::unique_ptr<tablet>, device>> tablets;
        for (const auto* tag : {"p", "c"})
            for (const auto* which : {"a", "b"}) {
                const std::string t = tag, w = which;
                tablets.emplace_back(tablet::open(dir.file(t + "-" + w + ".db"), wall),
                                     *s->find_device("tab-" + t + "-" + w));
            }
        for (int pass = 0; pass < 2; ++pass)
            for (auto& [t, d] : tablets) {
                wall.advance(1000);
                ASSERT_TRUE(sync_once(*t, *s, d).done);
            }
        EXPECT_TRUE(s->quarantine().empty());
        for (const auto* unit : {"01849", "01852"}) {
            std::vector<std::string> held;
            for (const auto& r : s->live_rows("household", "commune_code", std::string(unit)))
                held.push_back(r.id + ":" +
                               std::to_string(std::get<std::int64_t>(r.values.at("members"))));
            std::sort(held.begin(), held.end());
            EXPECT_GE(held.size(), static_cast<std::size_t>(rounds / 4));
            for (auto& [t, d] : tablets) {
                if (d.scope == unit) {
                    EXPECT_EQ(households(*t), held) << d.id;
                }
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(stores, two_instances, ::testing::ValuesIn(test::store_kinds()),
                         [](const auto& info) { return std::string(info.param.name); });
INSTANTIATE_TEST_SUITE_P(stores, two_processes, ::testing::ValuesIn(test::store_kinds()),
                         [](const auto& info) { return std::string(info.param.name); });

} // namespace
