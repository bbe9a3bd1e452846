// The format runner (shared/src/migrations.hpp) as a replica meets it: an older database is
// brought up to date once, a current one opens without a write, a newer one is refused.
#include "temp_dir.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/sqlite_store.hpp>
#include <noi/sync/tablet.hpp>

#include <gtest/gtest.h>

using namespace noi;

namespace {

std::int64_t one(database& db, const std::string& sql) {
    auto st = db.prepare(sql);
    return st.step() ? st.column_int(0) : -1;
}

TEST(migrations, a_server_of_format_1_without_a_later_column_gains_it_once_and_keeps_its_rows) {
    test::temp_dir dir;
    manual_clock wall;
    const auto path = dir.file("noi.db");
    std::int64_t latest = 0;
    {
        auto s = sqlite_store::create(path, wall, {1});
        s->add_device({"dev-a", "01849", "Máy 1", false});
        latest = s->rep().meta_int("format");
        EXPECT_GT(latest, 1);
        // As a release before the runner and before refused_at left it.
        s->rep().db().exec("ALTER TABLE noi_devices DROP COLUMN refused_at; "
                           "UPDATE noi_meta SET value = 1 WHERE key = 'format'");
    }
    {
        auto s = sqlite_store::open(path, wall);
        EXPECT_EQ(s->rep().meta_int("format"), latest);
        EXPECT_EQ(one(s->rep().db(), "SELECT count(*) FROM pragma_table_info('noi_devices') "
                                     "WHERE name = 'refused_at'"),
                  1);
        ASSERT_EQ(s->devices().size(), 1u);
        EXPECT_EQ(s->devices()[0].name, "Máy 1");
        s->record_refusal("dev-a");
        EXPECT_TRUE(s->device_statuses()[0].refused_at_ms.has_value());
    }
    // A current database opens without changing its schema.
    std::int64_t schema_before = 0;
    {
        database db(path, false);
        schema_before = one(db, "PRAGMA schema_version");
    }
    sqlite_store::open(path, wall);
    database db(path, false);
    EXPECT_EQ(one(db, "PRAGMA schema_version"), schema_before);
}

TEST(migrations, a_database_of_a_newer_release_is_refused_and_left_as_it_is) {
    test::temp_dir dir;
    manual_clock wall;
    for (const bool server : {true, false}) {
        const auto path = dir.file(server ? "noi.db" : "tablet.db");
        if (server)
            sqlite_store::create(path, wall, {1})->rep().set_meta_int("format", 99);
        else
            tablet::create(path, wall, {2})->rep().set_meta_int("format", 99);
        try {
            if (server)
                sqlite_store::open(path, wall);
            else
                tablet::open(path, wall);
            ADD_FAILURE() << "a format-99 database opened";
        } catch (const sync_error& e) {
            EXPECT_EQ(e.code(), errc::schema);
            EXPECT_NE(std::string(e.what()).find("newer release"), std::string::npos) << e.what();
        }
        database db(path, false);
        EXPECT_EQ(one(db, "SELECT value FROM noi_meta WHERE key = 'format'"), 99);
    }
}

} // namespace
