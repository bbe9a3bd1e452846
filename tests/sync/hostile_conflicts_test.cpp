// Issue 28, items 5 and 11: two replicas of one device flooding the inbox with conflicts are
// stopped at a quota that an admin lifts in one step, and a conflict names the devices that
// wrote its sides when it was recorded, whatever device their replicas move to later.
#include "hostile_fixture.hpp"

using namespace noi;
using noi::test::hostile_fixture;

namespace {

struct conflict_fixture : hostile_fixture {
    site_id site_a2{};
    std::uint64_t seq_a2 = 0;

    void bind_second_replica() {
        site_a2[0] = 0xa2;
        proto::hello h;
        h.site = site_a2;
        h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
        ASSERT_TRUE(std::holds_alternative<proto::welcome>(server->hello(dev_a, h)));
    }

    // An update of i-1's summary from `site`, written without having seen any other version:
    // concurrent with whatever the server holds, so each one records a conflict.
    std::variant<proto::push_ack, proto::error> blind_update(const site_id& site,
                                                             std::uint64_t& seq, int n) {
        proto::row_change r;
        r.table = "incident";
        r.id = "i-1";
        r.scope = std::string("01849");
        r.seq = ++seq;
        const version v{hlc_from_ms(wall.now_ms()) + static_cast<std::uint64_t>(n), site};
        r.cells.push_back({"summary", "bản " + std::to_string(n), v, std::nullopt});
        return server->push(dev_a, site, proto::push{r.seq - 1, r.seq, {r}});
    }
};

} // namespace

TEST_F(conflict_fixture, two_replicas_of_one_device_are_stopped_at_the_conflict_quota) {
    server_options so;
    so.max_open_conflicts_per_device = 20;
    restart(so);
    bind_second_replica();
    ASSERT_TRUE(push_a({row("incident", "i-1", "01849", {{"summary", std::string("bản 0")}})})
                    .rejections.empty());
    std::optional<proto::error> refused;
    int n = 1;
    for (; n < 100 && !refused; ++n) {
        auto& seq = n % 2 ? seq_a2 : seq_a;
        auto res = blind_update(n % 2 ? site_a2 : site_a, seq, n);
        if (auto* e = std::get_if<proto::error>(&res)) {
            refused = *e;
            --seq; // nothing was kept: the tablet sends the same change again later
        }
    }
    ASSERT_TRUE(refused) << "100 conflicting pushes never met a quota of 20";
    EXPECT_EQ(refused->code, proto::error_code::quota_exceeded);
    EXPECT_EQ(refused->cond, proto::condition::transient);
    EXPECT_NE(refused->message.find("conflicts resolve --device tab-a"), std::string::npos);
    const conflict_filter mine{.status = conflict_status::open, .device_id = "tab-a"};
    EXPECT_EQ(server->count_conflicts(mine), 20u);
    // Counted and paged in the store, not in memory.
    EXPECT_EQ(server->conflicts({.status = conflict_status::open, .offset = 0, .limit = 5}).size(),
              5u);

    // Another commune's device is not held back.
    proto::row_change b;
    b.table = "incident";
    b.id = "i-b";
    b.scope = std::string("01852");
    b.seq = 1;
    const version vb{hlc_from_ms(wall.now_ms()), site_b};
    b.exists = proto::existence_change{true, vb, std::nullopt};
    b.cells.push_back({"commune_code", std::string("01852"), vb, std::nullopt});
    EXPECT_TRUE(std::holds_alternative<proto::push_ack>(
        server->push(dev_b, site_b, proto::push{0, 1, {b}})));

    // One step lifts it; the rows stay as they stand.
    const auto before = server->read_row("incident", "i-1");
    EXPECT_EQ(server->resolve_device_conflicts("tab-a", "hoa.nguyen"), 20u);
    EXPECT_EQ(server->count_conflicts(mine), 0u);
    EXPECT_EQ(server->read_row("incident", "i-1"), before);
    const auto done = server->conflicts({.status = conflict_status::resolved, .limit = 1});
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].resolved_by, "hoa.nguyen");
    auto again = blind_update(site_a, seq_a, n);
    EXPECT_TRUE(std::holds_alternative<proto::push_ack>(again))
        << std::get<proto::error>(again).message;
}

TEST_F(conflict_fixture, a_conflict_names_who_wrote_its_sides_when_a_replica_moves_later) {
    bind_second_replica();
    ASSERT_TRUE(push_a({row("incident", "i-1", "01849", {{"summary", std::string("bản 0")}})})
                    .rejections.empty());
    device colleague{"tab-c", "01849", "Xã A, máy của chị Lan"};
    server->add_device(colleague);
    site_id site_c{};
    site_c[0] = 0xc;
    proto::hello h;
    h.site = site_c;
    h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(server->hello(colleague, h)));
    proto::row_change r;
    r.table = "incident";
    r.id = "i-1";
    r.scope = std::string("01849");
    r.seq = 1;
    r.cells.push_back({"summary", std::string("của chị Lan"),
                       version{hlc_from_ms(wall.now_ms()) + 5, site_c}, std::nullopt});
    ASSERT_TRUE(std::holds_alternative<proto::push_ack>(
        server->push(colleague, site_c, proto::push{0, 1, {r}})));
    auto before = server->conflicts();
    ASSERT_EQ(before.size(), 1u);
    const auto sides = std::pair{before[0].winner.device_id, before[0].loser.device_id};
    EXPECT_TRUE((sides == std::pair<std::string, std::string>{"tab-c", "tab-a"}) ||
                (sides == std::pair<std::string, std::string>{"tab-a", "tab-c"}));
    EXPECT_EQ(before[0].device_id, "tab-c");

    // tab-a's tablet is lost: its replica moves to a device enrolled after the conflict.
    ASSERT_TRUE(server->revoke_device("tab-a"));
    device replacement{"tab-a-new", "01849", "Xã A, máy thay"};
    server->add_device(replacement);
    server->release(site_a);
    h.site = site_a;
    ASSERT_TRUE(std::holds_alternative<proto::welcome>(server->hello(replacement, h)));
    auto after = server->conflicts();
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0].winner.device_id, before[0].winner.device_id);
    EXPECT_EQ(after[0].loser.device_id, before[0].loser.device_id);
}
