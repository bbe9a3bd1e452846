// The device registry's acknowledged sequence is a compare-and-set (invariant 4 of
// server_store.hpp): a push that read an older one changes nothing.
#include "sqlite_device_registry.hpp"
#include "temp_dir.hpp"

#include <noi/sync/sqlite_store.hpp>

#include <gtest/gtest.h>

using namespace noi;

TEST(device_registry, the_acknowledged_sequence_moves_only_from_the_one_expected) {
    test::temp_dir dir;
    manual_clock wall;
    auto store = sqlite_store::create(dir.file("server.db"), wall, {1}, {}, {"06", {}});
    const device d{"tab-a", "01849", "Dương Quang, máy 1"};
    store->add_device(d);
    proto::hello h;
    h.site.fill(7);
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(store->hello(d, h)));
    sqlite_device_registry registry(store->rep());
    EXPECT_EQ(registry.acked(h.site, d.id), 0u);
    EXPECT_TRUE(registry.set_acked(h.site, 0, 5));
    EXPECT_FALSE(registry.set_acked(h.site, 0, 7)) << "read 0, but another push moved it to 5";
    EXPECT_EQ(registry.acked(h.site, d.id), 5u);
    EXPECT_TRUE(registry.set_acked(h.site, 5, 5)) << "a push that adds nothing keeps it";
    EXPECT_FALSE(registry.acked(h.site, "tab-b")) << "bound to another device";
}
