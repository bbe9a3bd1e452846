#include "temp_dir.hpp"

#include <noi/sync/database.hpp>
#include <noi/sync/error.hpp>

#include <gtest/gtest.h>

using namespace noi;

namespace {

std::int64_t count(database& db) {
    auto st = db.prepare("SELECT count(*) FROM t");
    st.step();
    return st.column_int(0);
}

} // namespace

TEST(transaction, an_uncommitted_transaction_rolls_back) {
    test::temp_dir dir;
    database db(dir.file("d.db"));
    db.exec("CREATE TABLE t (x)");
    {
        transaction tx(db);
        db.exec("INSERT INTO t VALUES (1)");
    }
    EXPECT_EQ(count(db), 0);
}

TEST(transaction, parts_of_a_group_commit_roll_back_alone_and_commit_together) {
    // The server's group commit: one outer transaction, each request a nested part.
    test::temp_dir dir;
    database db(dir.file("d.db"));
    db.exec("CREATE TABLE t (x)");
    transaction group(db);
    {
        transaction good(db);
        db.exec("INSERT INTO t VALUES (1)");
        good.commit();
    }
    try {
        transaction bad(db);
        db.exec("INSERT INTO t VALUES (2)");
        throw sync_error(errc::refused, "this part fails");
    } catch (const sync_error&) {
    }
    {
        transaction good(db);
        db.exec("INSERT INTO t VALUES (3)");
        good.commit();
    }
    EXPECT_EQ(count(db), 2);
    group.commit();
    database other(dir.file("d.db"), false);
    EXPECT_EQ(count(other), 2);
}

TEST(transaction, a_failed_group_keeps_none_of_its_committed_parts) {
    test::temp_dir dir;
    database db(dir.file("d.db"));
    db.exec("CREATE TABLE t (x)");
    {
        transaction group(db);
        transaction part(db);
        db.exec("INSERT INTO t VALUES (1)");
        part.commit();
    }
    EXPECT_EQ(count(db), 0);
}
