// The libpq layer under the PostgreSQL store: values round-trip byte for byte, transactions
// roll back unless committed (a nested one alone), the write-lock hook runs once per outermost
// transaction, and errors carry PostgreSQL's words but never a password.
#include "pg_connection.hpp"
#include "pg_database.hpp"

#include <noi/sync/error.hpp>

#include <gtest/gtest.h>

#include <limits>

using namespace noi;

namespace {

struct pg_connection : ::testing::Test {
    test::pg_database db;
    pg::connection c{db.conninfo()};
    void SetUp() override { c.exec("CREATE TABLE t(id text PRIMARY KEY, n bigint, b bytea)"); }
    std::int64_t rows() { return c.run("SELECT count(*) FROM t").integer(0, 0); }
};

TEST_F(pg_connection, values_round_trip_byte_for_byte) {
    const std::string name = "Nguyễn Thị Thuỷ – Ngọc Phái, Chợ Đồn";
    const std::string raw("\0\xff\x01 Bắc Kạn", 13);
    for (const auto n : {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1},
                         std::int64_t{0}, std::numeric_limits<std::int64_t>::max()}) {
        c.run("INSERT INTO t(id, n, b) VALUES ($1, $2, $3)",
              {name + std::to_string(n), n, pg::param::blob(raw)});
        auto r =
            c.run("SELECT id, n, b, NULL::bigint FROM t WHERE id = $1", {name + std::to_string(n)});
        ASSERT_EQ(r.rows(), 1);
        EXPECT_EQ(r.bytes(0, 0), name + std::to_string(n));
        EXPECT_EQ(r.integer(0, 1), n);
        EXPECT_EQ(r.bytes(0, 2), raw);
        EXPECT_TRUE(r.is_null(0, 3));
        EXPECT_FALSE(r.is_null(0, 1));
    }
    c.run("INSERT INTO t(id, n, b) VALUES ($1, $2, $3)", {"null", pg::param{}, pg::param{}});
    auto r = c.run("SELECT n, b, 2.5::float8, true, 7::int4, 3::int2 FROM t WHERE id = 'null'");
    EXPECT_TRUE(r.is_null(0, 0));
    EXPECT_TRUE(r.is_null(0, 1));
    EXPECT_EQ(r.real(0, 2), 2.5);
    EXPECT_EQ(r.integer(0, 3), 1);
    EXPECT_EQ(r.integer(0, 4), 7);
    EXPECT_EQ(r.integer(0, 5), 3);
    EXPECT_EQ(c.run("UPDATE t SET n = 1").changed(), 5u);
}

TEST_F(pg_connection, a_transaction_rolls_back_unless_committed_and_a_nested_one_alone) {
    {
        pg::transaction outer(c);
        c.run("INSERT INTO t(id) VALUES ('kept')");
        {
            pg::transaction inner(c);
            c.run("INSERT INTO t(id) VALUES ('dropped')");
        }
        {
            pg::transaction inner(c);
            c.run("INSERT INTO t(id) VALUES ('nested')");
            inner.commit();
        }
        EXPECT_TRUE(c.in_transaction());
        outer.commit();
    }
    EXPECT_FALSE(c.in_transaction());
    EXPECT_EQ(rows(), 2);
    {
        pg::transaction tx(c);
        c.run("INSERT INTO t(id) VALUES ('gone')");
    }
    EXPECT_EQ(rows(), 2);
    // A failed statement rolls its transaction back, and the connection goes on.
    try {
        pg::transaction tx(c);
        c.run("INSERT INTO t(id) VALUES ('kept')");
        ADD_FAILURE() << "a duplicate key was taken";
    } catch (const sync_error& e) {
        EXPECT_EQ(e.code(), errc::postgresql);
        EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what();
    }
    EXPECT_EQ(rows(), 2);
}

TEST_F(pg_connection, the_write_lock_is_taken_once_per_outermost_transaction_and_excludes) {
    int taken = 0;
    c.on_begin([&] {
        ++taken;
        c.run("SELECT pg_advisory_xact_lock(77)");
    });
    pg::connection other(db.conninfo());
    {
        pg::transaction tx(c);
        pg::transaction nested(c);
        nested.commit();
        pg::transaction theirs(other);
        EXPECT_EQ(other.run("SELECT pg_try_advisory_xact_lock(77)").integer(0, 0), 0);
        tx.commit();
    }
    EXPECT_EQ(taken, 1);
    pg::transaction theirs(other);
    EXPECT_EQ(other.run("SELECT pg_try_advisory_xact_lock(77)").integer(0, 0), 1);
}

TEST_F(pg_connection, a_transaction_a_failed_statement_aborted_is_over_and_commits_nothing) {
    pg::transaction tx(c);
    c.run("INSERT INTO t(id) VALUES ('lost')");
    EXPECT_THROW(c.run("INSERT INTO t(id) VALUES ('lost')"), sync_error);
    EXPECT_FALSE(c.in_transaction()) << "its group must be opened again";
    EXPECT_THROW(tx.commit(), sync_error) << "PostgreSQL rolls it back instead";
    EXPECT_EQ(rows(), 0);
}

TEST_F(pg_connection, sent_writes_land_in_order_and_are_seen_by_the_next_read) {
    const std::string raw("\0\xff x", 4);
    {
        pg::transaction tx(c);
        // More than are ever left unread at once, each depending on the one before.
        c.send("INSERT INTO t(id, n) VALUES ('sum', 0)", {});
        for (int i = 1; i <= 1000; ++i)
            c.send("UPDATE t SET n = n + $1 WHERE id = 'sum'", {i});
        c.send("INSERT INTO t(id, b) VALUES ($1, $2)", {"Bản Nà", pg::param::blob(raw)});
        EXPECT_EQ(c.run("SELECT n FROM t WHERE id = 'sum'").integer(0, 0), 500'500);
        c.send("DELETE FROM t WHERE id = 'sum'", {});
        tx.commit();
    }
    EXPECT_EQ(rows(), 1);
    EXPECT_EQ(c.run("SELECT b FROM t WHERE id = 'Bản Nà'").bytes(0, 0), raw);
    // Outside a transaction a sent write runs at once.
    c.send("INSERT INTO t(id) VALUES ('now')", {});
    EXPECT_EQ(rows(), 2);
}

TEST_F(pg_connection, a_sent_write_that_fails_fails_its_transaction_where_its_answer_is_read) {
    c.run("INSERT INTO t(id) VALUES ('taken')");
    try {
        pg::transaction tx(c);
        c.send("INSERT INTO t(id) VALUES ('first')", {});
        c.send("INSERT INTO t(id) VALUES ('taken')", {});
        c.send("INSERT INTO t(id) VALUES ('after')", {});
        tx.commit();
        ADD_FAILURE() << "a duplicate key was taken";
    } catch (const sync_error& e) {
        EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("INSERT INTO t(id)"), std::string::npos) << e.what();
    }
    EXPECT_EQ(rows(), 1) << "nothing of the transaction is kept";
    // In a savepoint, it fails the savepoint alone, at its end, and the rest goes on.
    {
        pg::transaction tx(c);
        c.send("INSERT INTO t(id) VALUES ('outer')", {});
        {
            pg::transaction inner(c);
            c.send("INSERT INTO t(id) VALUES ('inner')", {});
            c.send("INSERT INTO t(id) VALUES ('taken')", {});
            EXPECT_THROW(inner.commit(), sync_error);
        }
        EXPECT_TRUE(c.in_transaction());
        c.send("INSERT INTO t(id) VALUES ('later')", {});
        tx.commit();
    }
    EXPECT_EQ(rows(), 3);
    EXPECT_EQ(c.run("SELECT count(*) FROM t WHERE id = 'inner'").integer(0, 0), 0);
    // Sent and never read: rolled back with their transaction, and the connection goes on.
    {
        pg::transaction tx(c);
        c.send("INSERT INTO t(id) VALUES ('taken')", {});
    }
    EXPECT_EQ(rows(), 3);
}

TEST_F(pg_connection, inserted_rows_are_gathered_per_table_and_written_before_what_follows) {
    c.exec("CREATE TABLE u(id text PRIMARY KEY, t text)");
    {
        pg::transaction tx(c);
        // Past one statement's 64 rows, interleaved with another table's.
        for (int i = 0; i < 150; ++i) {
            c.insert("INSERT INTO t(id, n)", {"hộ " + std::to_string(i), i});
            if (i % 3 == 0) c.insert("INSERT INTO u(id, t)", {std::to_string(i), "Bản Nà"});
        }
        // What is sent or run after sees them all.
        c.send("UPDATE t SET n = n + 1000 WHERE id = 'hộ 149'", {});
        EXPECT_EQ(c.run("SELECT sum(n)::bigint FROM t").integer(0, 0), 149 * 150 / 2 + 1000);
        EXPECT_EQ(c.run("SELECT count(*) FROM u WHERE t = 'Bản Nà'").integer(0, 0), 50);
        c.insert("INSERT INTO t(id, n)", {"last", 1});
        tx.commit();
    }
    EXPECT_EQ(rows(), 151);
    try {
        pg::transaction tx(c);
        c.insert("INSERT INTO t(id, n)", {"new", 1});
        c.insert("INSERT INTO t(id, n)", {"hộ 7", 1});
        tx.commit();
        ADD_FAILURE() << "a duplicate key was taken";
    } catch (const sync_error& e) {
        EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what();
    }
    {
        pg::transaction tx(c);
        c.insert("INSERT INTO t(id, n)", {"never", 1});
    }
    EXPECT_EQ(rows(), 151) << "gathered and rolled back, or failed: none is kept";
    c.insert("INSERT INTO t(id, n)", {"at once", 1});
    EXPECT_EQ(rows(), 152) << "outside a transaction a row is written at once";
}

TEST_F(pg_connection, numbers_past_the_signed_range_wrap_as_sqlite_s_do) {
    const auto huge = std::numeric_limits<std::uint64_t>::max() - 5;
    c.run("INSERT INTO t(id, n) VALUES ('big', $1)", {huge});
    const auto back = c.run("SELECT n FROM t WHERE id = 'big'").integer(0, 0);
    EXPECT_EQ(static_cast<std::uint64_t>(back), huge);
}

TEST(pg_connect, a_refusal_says_what_to_check_and_never_the_password) {
    try {
        pg::connection c("host=/nonexistent-noi user=noi password=s3cret-Đồn dbname=x");
        ADD_FAILURE() << "connected to nothing";
    } catch (const sync_error& e) {
        EXPECT_EQ(e.code(), errc::postgresql);
        const std::string what = e.what();
        EXPECT_NE(what.find("connection string"), std::string::npos) << what;
        EXPECT_EQ(what.find("s3cret"), std::string::npos) << what;
    }
}

} // namespace
