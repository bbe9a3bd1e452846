#include <noi/sync/random_bytes.hpp>
#include <noi/sync/replica.hpp>

#include "temp_dir.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace noi;

TEST(random_bytes, unseeded_sources_never_repeat_each_other_and_a_seed_replays) {
    // Issue 14, item 6: ids came from mt19937_64 seeded with 32 bits, so one visible site id
    // gave away every later id. The system's CSPRNG shares no state between sources.
    random_bytes a(std::nullopt), b(std::nullopt);
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 2000; ++i) { // across the 4 KiB blocks the source reads at a time
        EXPECT_TRUE(seen.insert(a.next64()).second);
        EXPECT_TRUE(seen.insert(b.next64()).second);
    }
    random_bytes s1(42), s2(42);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(s1.next64(), s2.next64());
}

TEST(random_bytes, replicas_made_without_a_seed_get_unrelated_site_ids_and_uuids) {
    test::temp_dir dir;
    manual_clock wall;
    auto r1 = replica::create(dir.file("a.db"), replica_role::tablet, wall);
    auto r2 = replica::create(dir.file("b.db"), replica_role::tablet, wall);
    EXPECT_NE(r1->site(), r2->site());
    EXPECT_NE(r1->new_uuid(), r2->new_uuid());
    auto s1 = replica::create(dir.file("c.db"), replica_role::tablet, wall, {7});
    auto s2 = replica::create(dir.file("d.db"), replica_role::tablet, wall, {7});
    EXPECT_EQ(s1->site(), s2->site());
    EXPECT_EQ(s1->new_uuid(), s2->new_uuid());
}
