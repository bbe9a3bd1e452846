#include "temp_dir.hpp"

#include <noi/sync/error.hpp>
#include <noi/sync/replica.hpp>
#include <noi/sync/schema.hpp>

#include <gtest/gtest.h>

using namespace noi;

namespace {

struct schema_fixture : ::testing::Test {
    test::temp_dir dir;
    manual_clock wall;
    std::unique_ptr<replica> rep =
        replica::create(dir.file("t.db"), replica_role::tablet, wall, {1});

    std::string refusal(const std::string& create, const std::string& scope = "commune_code") {
        rep->db().exec(create);
        try {
            rep->register_table("t", scope);
        } catch (const sync_error& e) {
            EXPECT_EQ(e.code(), errc::schema);
            return e.what();
        }
        return "";
    }
};

} // namespace

TEST_F(schema_fixture, the_default_schema_registers_every_table_of_design_section_9) {
    rep->install_default_schema();
    const char* names[] = {"assessment",    "commune",        "household",
                           "incident",      "militia_member", "recruit",
                           "reintegration", "security_model", "training_session"};
    ASSERT_EQ(rep->tables().tables.size(), 9u);
    for (const char* n : names)
        ASSERT_NE(rep->tables().find(n), nullptr) << n;
    EXPECT_TRUE(rep->tables().find("commune")->is_global());
    const auto* m = rep->tables().find("militia_member");
    ASSERT_TRUE(m->scope);
    EXPECT_EQ(m->columns[*m->scope].name, "commune_code");
    EXPECT_EQ(m->columns[*m->column_index("birth_year")].type, col_type::integer);
    EXPECT_EQ(rep->tables().version, default_schema_version);
}

TEST_F(schema_fixture, an_integer_primary_key_is_refused) {
    EXPECT_NE(refusal("CREATE TABLE t (id INTEGER PRIMARY KEY, commune_code TEXT NOT NULL) STRICT")
                  .find("collides across tablets"),
              std::string::npos);
}

TEST_F(schema_fixture, a_table_without_text_id_is_refused) {
    EXPECT_NE(
        refusal("CREATE TABLE t (code TEXT PRIMARY KEY, commune_code TEXT) STRICT").find("`id`"),
        std::string::npos);
}

TEST_F(schema_fixture, a_missing_scope_column_is_refused) {
    EXPECT_NE(
        refusal("CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT) STRICT").find("scope column"),
        std::string::npos);
}

TEST_F(schema_fixture, a_non_strict_table_is_refused) {
    EXPECT_NE(refusal("CREATE TABLE t (id TEXT PRIMARY KEY, commune_code TEXT)").find("STRICT"),
              std::string::npos);
}

TEST_F(schema_fixture, constraints_a_merge_could_break_are_refused) {
    EXPECT_NE(
        refusal("CREATE TABLE t (id TEXT PRIMARY KEY, commune_code TEXT, n TEXT UNIQUE) STRICT")
            .find("UNIQUE"),
        std::string::npos);
}

TEST_F(schema_fixture, check_constraints_are_refused) {
    EXPECT_NE(refusal("CREATE TABLE t (id TEXT PRIMARY KEY, commune_code TEXT, n INTEGER CHECK (n "
                      "> 0)) STRICT")
                  .find("CHECK"),
              std::string::npos);
}

TEST_F(schema_fixture, not_null_outside_id_and_scope_is_refused) {
    EXPECT_NE(
        refusal("CREATE TABLE t (id TEXT PRIMARY KEY, commune_code TEXT, n TEXT NOT NULL) STRICT")
            .find("NOT NULL"),
        std::string::npos);
}

TEST_F(schema_fixture, a_conforming_table_registers) {
    EXPECT_EQ(refusal("CREATE TABLE t (id TEXT PRIMARY KEY, commune_code TEXT NOT NULL, checked "
                      "INTEGER) STRICT"),
              "");
    EXPECT_NE(rep->tables().find("t"), nullptr);
}
