// A server store with two tablets of two communes, each with a bound replica, and the pushes a
// hostile tablet makes past any client library (the hostile_* tests).
#pragma once

#include "temp_dir.hpp"

#include <noi/sync/sqlite_store.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace noi::test {

struct hostile_fixture : ::testing::Test {
    temp_dir dir;
    manual_clock wall{1'700'000'000'000};
    std::unique_ptr<sqlite_store> server =
        sqlite_store::create(dir.file("server.db"), wall, {1}, {}, {"06", {}});
    device dev_a{"tab-a", "01849", "Xã A"}, dev_b{"tab-b", "01852", "Xã B"};
    site_id site_a{}, site_b{};
    std::uint64_t seq_a = 0;

    void SetUp() override {
        site_a[0] = 0xa;
        site_b[0] = 0xb;
        for (auto* d : {&dev_a, &dev_b})
            server->add_device(*d);
        say_hello();
    }

    // Opens the store again with other options, as a restarted server would.
    void restart(server_options so) {
        server.reset();
        server = sqlite_store::open(dir.file("server.db"), wall, {1}, so);
        say_hello();
    }

    void say_hello() {
        for (auto [d, s] : {std::pair{&dev_a, &site_a}, std::pair{&dev_b, &site_b}}) {
            proto::hello h;
            h.site = *s;
            h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
            ASSERT_TRUE(std::holds_alternative<proto::welcome>(server->hello(*d, h)));
        }
    }

    proto::row_change row(const std::string& table, const std::string& id, const std::string& scope,
                          std::vector<std::pair<std::string, value>> cells) {
        proto::row_change r;
        r.table = table;
        r.id = id;
        r.scope = scope;
        r.seq = ++seq_a;
        version v{hlc_from_ms(wall.now_ms()) + seq_a, site_a};
        r.exists = proto::existence_change{true, v, std::nullopt};
        // An insert carries its scope cell, as a tablet's does.
        const table_def* def = server->find_table(table);
        if (def && def->scope && !scope.empty() &&
            std::none_of(cells.begin(), cells.end(),
                         [&](const auto& c) { return c.first == def->columns[*def->scope].name; }))
            cells.emplace_back(def->columns[*def->scope].name, scope);
        for (auto& [c, val] : cells)
            r.cells.push_back({c, val, v, std::nullopt});
        return r;
    }

    // Tablet A's change of one cell of a row, with no base and no existence: an update.
    proto::row_change update(const std::string& table, const std::string& id,
                             const std::string& scope, const std::string& column, value val) {
        proto::row_change r;
        r.table = table;
        r.id = id;
        r.scope = scope;
        r.seq = ++seq_a;
        const version v{hlc_from_ms(wall.now_ms()) + seq_a, site_a};
        r.cells.push_back({column, std::move(val), v, std::nullopt});
        return r;
    }

    proto::push_ack push_a(std::vector<proto::row_change> rows) {
        proto::push p;
        p.from_seq = rows.front().seq - 1;
        p.to_seq = rows.back().seq;
        p.rows = std::move(rows);
        auto r = server->push(dev_a, site_a, p);
        EXPECT_TRUE(std::holds_alternative<proto::push_ack>(r));
        return std::get<proto::push_ack>(r);
    }

    // Device B's replica says HELLO again; its WELCOME.
    proto::welcome welcome_b_again() { return welcome_again(dev_b, site_b); }

    proto::welcome welcome_again(const device& d, const site_id& s) {
        proto::hello h;
        h.site = s;
        h.clock_ms = static_cast<std::uint64_t>(wall.now_ms());
        server->release(s);
        auto w = server->hello(d, h);
        EXPECT_TRUE(std::holds_alternative<proto::welcome>(w));
        return std::holds_alternative<proto::welcome>(w) ? std::get<proto::welcome>(w)
                                                         : proto::welcome{};
    }

    std::int64_t count(const std::string& sql) {
        auto st = server->rep().db().prepare(sql);
        st.step();
        return st.column_int(0);
    }
};

} // namespace noi::test
