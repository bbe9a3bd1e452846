// Labels of the schema (docs/labels.md): their JSON forms, what is refused, and the page that
// lists the default ones.
#include <noi/sync/error.hpp>
#include <noi/sync/schema_labels_json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace noi;
using json = nlohmann::json;

namespace {

std::string refusal(const json& tables) {
    try {
        labels_in(tables);
    } catch (const sync_error& e) {
        EXPECT_EQ(e.code(), errc::schema);
        return e.what();
    }
    return "<accepted>";
}

json one_column(json column) {
    return json::array({{{"name", "incident"}, {"columns", json::array({std::move(column)})}}});
}

} // namespace

TEST(schema_labels, the_schema_form_and_the_stored_form_give_back_every_label) {
    json tables = json::array();
    for (const char* t : {"household", "incident", "militia_member"}) {
        json columns = json::array();
        for (const char* c : {"commune_code", "village", "is_safe", "category", "force_type"})
            columns.push_back({{"name", c}, {"type", "TEXT"}});
        tables.push_back({{"name", t}, {"columns", columns}});
    }
    put_labels(tables, default_labels());
    auto read = labels_in(tables);
    EXPECT_EQ(read.value("household", "is_safe", "1")->vi, "Có");
    EXPECT_EQ(read.column("incident", "category")->en, "Category");
    EXPECT_EQ(read.value("militia_member", "force_type", "co_dong")->en, "Mobile militia");
    EXPECT_FALSE(read.column("household", "category")) << "no label it did not have";
    EXPECT_EQ(labels_from_text(labels_text(default_labels())).entries(),
              default_labels().entries());
}

TEST(schema_labels, a_label_that_is_not_well_formed_is_refused_with_its_place) {
    EXPECT_NE(refusal(one_column({{"name", "category"}, {"label", "Loại"}}))
                  .find("table incident, column category: \"label\" must be {\"vi\""),
              std::string::npos);
    EXPECT_NE(refusal(one_column({{"name", "category"}, {"label", {{"fr", "Catégorie"}}}}))
                  .find("has \"fr\""),
              std::string::npos);
    EXPECT_NE(refusal(one_column({{"name", "category"}, {"label", {{"vi", ""}, {"en", ""}}}}))
                  .find("is empty"),
              std::string::npos);
    EXPECT_NE(
        refusal(one_column({{"name", "category"}, {"label", {{"vi", std::string(501, 'a')}}}}))
            .find("longer than 500 bytes"),
        std::string::npos);
    EXPECT_NE(refusal(one_column({{"name", "photo"},
                                  {"type", "BLOB"},
                                  {"values", {{{"value", "x"}, {"label", {{"vi", "x"}}}}}}}))
                  .find("a BLOB column has no values"),
              std::string::npos);
    EXPECT_NE(refusal(one_column({{"name", "category"}, {"description", {{"vi", "…"}}}}))
                  .find("needs a \"label\""),
              std::string::npos);
    // An INTEGER value may be written as a number; one language is enough.
    auto read = labels_in(one_column(
        {{"name", "persons"}, {"values", {{{"value", 0}, {"label", {{"en", "Nobody"}}}}}}}));
    EXPECT_EQ(read.value_text("incident", "persons", value(std::int64_t{0}), language::vi),
              "Nobody")
        << "the other language when one is missing";
}

TEST(schema_labels, a_language_is_named_as_a_flag_or_a_locale_says_it) {
    EXPECT_EQ(language_named("vi"), language::vi);
    EXPECT_EQ(language_named("vi_VN.UTF-8"), language::vi);
    EXPECT_EQ(language_named("en_GB.UTF-8"), language::en);
    EXPECT_EQ(language_named("C.UTF-8"), language::en);
    EXPECT_EQ(language_named("fr_FR"), std::nullopt);
}

TEST(schema_labels, docs_labels_md_lists_every_default_label) {
    std::ifstream in(std::string(NOI_FIXTURES_DIR) + "/../../docs/labels.md");
    ASSERT_TRUE(in) << "docs/labels.md is missing";
    std::stringstream page;
    page << in.rdbuf();
    const auto doc = page.str();
    // The part of the page from `heading` to the next blank line after its table.
    const auto section = [&](const std::string& heading) {
        const auto at = doc.find(heading);
        if (at == std::string::npos) return std::string();
        const auto table = doc.find("\n|", at);
        return doc.substr(at, doc.find("\n\n", table == std::string::npos ? at : table) - at);
    };
    for (const auto& l : default_labels().entries()) {
        std::string where, line;
        if (!l.column) {
            where = "### `" + l.table + "`: " + l.vi + " / " + l.en;
            line = where;
        } else if (!l.value) {
            where = "### `" + l.table + "`: ";
            line = "| `" + *l.column + "` | " + l.vi;
        } else {
            where = "**`" + l.table + "." + *l.column + "`**";
            line = "| `" + *l.value + "` | " + l.vi + " | " + l.en + " |";
        }
        const auto part = section(where);
        EXPECT_NE(part.find(line), std::string::npos)
            << "docs/labels.md lacks, under " << where << ": " << line;
        if (l.column && !l.value)
            EXPECT_NE(part.find(" | " + l.en), std::string::npos)
                << "docs/labels.md lacks " << l.table << "." << *l.column << "'s English";
    }
}
