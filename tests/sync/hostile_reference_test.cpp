// Issue 28, item 12: reference data was writable by any province-wide device, with no trace in
// the admin log. No device writes it now; the server's own writes (an admin's, through the
// audited admin path) do, and the row's history names the account.
#include "hostile_fixture.hpp"

using namespace noi;
using noi::test::hostile_fixture;

namespace {

struct reference_fixture : hostile_fixture {
    device prov{"tab-p", "*", "Văn phòng tỉnh"};
    site_id site_p{};
    std::size_t name_col = *server->find_table("commune")->column_index("name");

    void SetUp() override {
        hostile_fixture::SetUp();
        site_p[0] = 0x9;
        server->add_device(prov);
        proto::hello h;
        h.site = site_p;
        h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
        ASSERT_TRUE(std::holds_alternative<proto::welcome>(server->hello(prov, h)));
    }

    std::string text(const std::string& sql) {
        auto st = server->rep().db().prepare(sql);
        return st.step() ? st.column_text(0) : std::string("(none)");
    }
};

} // namespace

TEST_F(reference_fixture,
       a_province_wide_devices_push_of_reference_data_is_quarantined_and_changes_nothing) {
    const version v{hlc_from_ms(wall.now_ms()) + 1, site_p};
    proto::row_change rename; // what a stolen province token would send: every commune renamed
    rename.table = "commune";
    rename.id = "01849";
    rename.seq = 1;
    rename.cells.push_back({"name", std::string("Xã bị đổi tên"), v, std::nullopt});
    rename.cells.push_back({"kind", std::string("phuong"), v, std::nullopt});
    proto::row_change made_up = rename;
    made_up.id = "09999";
    made_up.seq = 2;
    made_up.exists = proto::existence_change{true, v, std::nullopt};
    proto::row_change removed;
    removed.table = "commune";
    removed.id = "01852";
    removed.seq = 3;
    removed.exists = proto::existence_change{false, v, std::nullopt};
    proto::row_change own; // its own rows of any commune still go through
    own.table = "incident";
    own.id = "i-p";
    own.scope = std::string("01852");
    own.seq = 4;
    own.exists = proto::existence_change{true, v, std::nullopt};
    own.cells.push_back({"commune_code", std::string("01852"), v, std::nullopt});

    const auto seq_before = server->server_seq();
    const auto audit_before = server->audit("commune", "01849").size();
    emissions emitted;
    auto r =
        server->push(prov, site_p, proto::push{0, 4, {rename, made_up, removed, own}}, &emitted);
    ASSERT_TRUE(std::holds_alternative<proto::push_ack>(r));
    const auto& ack = std::get<proto::push_ack>(r);
    ASSERT_EQ(ack.rejections.size(), 3u);
    for (const auto& rej : ack.rejections) {
        EXPECT_EQ(rej.reason, proto::reject_reason::global_table);
        EXPECT_NE(rej.message.find("noi-admin reference set"), std::string::npos) << rej.message;
    }
    EXPECT_EQ(text("SELECT name || '/' || kind FROM commune WHERE id = '01849'"),
              "Xã Dương Quang/xa");
    EXPECT_EQ(count("SELECT count(*) FROM commune"), 108);
    EXPECT_EQ(count("SELECT count(*) FROM commune WHERE id IN ('01852', '09999')"), 1);
    EXPECT_EQ(server->audit("commune", "01849").size(), audit_before);
    EXPECT_EQ(count("SELECT count(*) FROM incident"), 1);
    // Nothing reached another device: no reference row was emitted, only its own row.
    EXPECT_EQ(emitted.global, 0u);
    auto other = server->pull(dev_a, proto::pull{seq_before, 0, false}, site_a);
    EXPECT_TRUE(other.rows.empty());

    // No change of the device's scope makes such a row pass: it can only be discarded.
    const auto q = server->quarantine();
    ASSERT_EQ(q.size(), 3u);
    const auto release = server->release_quarantined(q[0].id);
    EXPECT_EQ(release.status, server_store::quarantine_status::still_rejected);
    EXPECT_NE(release.message.find("discard the row"), std::string::npos) << release.message;
    EXPECT_EQ(text("SELECT name FROM commune WHERE id = '01849'"), "Xã Dương Quang");
}

TEST_F(reference_fixture,
       an_admins_write_of_reference_data_names_the_account_and_reaches_every_device) {
    const auto before = server->server_seq();
    server->write_cells("commune", "01849", {{name_col, std::string("Phường Dương Quang")}},
                        std::nullopt, "admin:hoa.nguyen");
    const auto audit = server->audit("commune", "01849");
    ASSERT_EQ(audit.size(), 2u); // the reference data init wrote, then the admin's edit
    EXPECT_EQ(audit[0].device_id, "");
    EXPECT_EQ(audit[1].device_id, "admin:hoa.nguyen");
    ASSERT_EQ(audit[1].cells.size(), 1u);
    EXPECT_EQ(audit[1].cells[0].old_value, value(std::string("Xã Dương Quang")));
    for (const auto& [d, s] :
         {std::pair{&dev_a, &site_a}, std::pair{&dev_b, &site_b}, std::pair{&prov, &site_p}}) {
        auto ch = server->pull(*d, proto::pull{before, 0, false}, *s);
        ASSERT_EQ(ch.rows.size(), 1u) << d->id;
        EXPECT_EQ(ch.rows[0].id, "01849");
    }
    // A row the server never held is made; a deleted one comes back with its values.
    server->write_cells("commune", "09001", {{name_col, std::string("Xã mới")}}, true,
                        "admin:hoa.nguyen");
    EXPECT_EQ(text("SELECT name FROM commune WHERE id = '09001'"), "Xã mới");
    server->write_cells("commune", "01852", {}, false, "admin:hoa.nguyen");
    EXPECT_EQ(count("SELECT count(*) FROM commune WHERE id = '01852'"), 0);
    server->write_cells("commune", "01852", {}, true, "admin:hoa.nguyen");
    EXPECT_NE(text("SELECT name FROM commune WHERE id = '01852'"), "(none)");
    EXPECT_EQ(count("SELECT count(*) FROM noi_conflicts"), 0);
}

// The server keeps the clock its writes took: after a restart with its wall clock behind, the
// next edit still wins over the last (it would be kept as the older version otherwise).
TEST_F(reference_fixture, an_edit_after_a_restart_with_the_wall_clock_behind_still_wins) {
    wall.advance(3'600'000);
    server->write_cells("commune", "01849", {{name_col, std::string("Tên thứ nhất")}}, std::nullopt,
                        "admin:a");
    wall.set(wall.now_ms() - 3'000'000);
    restart({});
    server->write_cells("commune", "01849", {{name_col, std::string("Tên thứ hai")}}, std::nullopt,
                        "admin:b");
    EXPECT_EQ(text("SELECT name FROM commune WHERE id = '01849'"), "Tên thứ hai");
}
