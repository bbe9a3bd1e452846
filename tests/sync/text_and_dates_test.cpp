// What people type: Vietnamese in either normal form, and dates in the forms they write.
#include <noi/sync/dates.hpp>
#include <noi/sync/unicode_text.hpp>

#include <gtest/gtest.h>

using namespace noi;

namespace {
const std::string nfc_name = "Dương Quang";
const std::string nfd_name = "D\x75\xcc\x9b\x6f\xcc\x9bng Quang"; // u + horn, o + horn
} // namespace

TEST(unicode_text, a_name_typed_decomposed_is_the_same_name_and_as_wide) {
    ASSERT_NE(nfc_name, nfd_name);
    EXPECT_EQ(nfc(nfd_name), nfc_name);
    EXPECT_TRUE(same_text(nfd_name, nfc_name));
    EXPECT_FALSE(same_text(nfd_name, "Duong Quang"));
    EXPECT_EQ(display_width(nfd_name), 11u);
    EXPECT_EQ(display_width(nfc_name), 11u);
    EXPECT_EQ(display_width("越南"), 4u);
}

TEST(unicode_text, bytes_that_are_not_utf8_come_back_unchanged) {
    const std::string bad = "a\xff\xfe";
    EXPECT_EQ(nfc(bad), bad);
    EXPECT_EQ(display_width(bad), 3u);
}

TEST(dates, only_real_iso_calendar_dates_are_dates) {
    EXPECT_TRUE(is_iso_date("2026-12-05"));
    EXPECT_TRUE(is_iso_date("2024-02-29"));
    EXPECT_FALSE(is_iso_date("2026-02-29"));
    EXPECT_FALSE(is_iso_date("2026-13-01"));
    EXPECT_FALSE(is_iso_date("05/12/2026"));
    EXPECT_FALSE(is_iso_date("2026-12-5"));
    EXPECT_FALSE(is_iso_date("2026-12-05T00:00"));
}

TEST(dates, day_first_dates_of_earlier_releases_are_read_as_vietnamese_write_them) {
    EXPECT_EQ(read_date("05/12/2026"), "2026-12-05");
    EXPECT_EQ(read_date("5/2/2026"), "2026-02-05");
    EXPECT_EQ(read_date("05.12.2026"), "2026-12-05");
    EXPECT_EQ(read_date("2026-11-20"), "2026-11-20");
    EXPECT_FALSE(read_date("31/02/2026"));
    EXPECT_FALSE(read_date("tháng 12"));
    EXPECT_NE(date_refusal("decided_on", "05/12/2026").find("write 2026-12-05"), std::string::npos);
}

TEST(dates, date_columns_are_named_as_dates) {
    for (const char* c : {"decided_on", "occurred_on", "term_end", "supervision_ends"})
        EXPECT_TRUE(is_date_column(c)) << c;
    for (const char* c : {"year", "note", "onset", "ending"})
        EXPECT_FALSE(is_date_column(c)) << c;
}

#include "temp_dir.hpp"

#include <noi/sync/tablet.hpp>

#include <filesystem>

TEST(dates, a_tablet_of_an_earlier_release_gets_the_keyboard_check_when_it_opens) {
    test::temp_dir dir;
    const auto copy = dir.file("old.db");
    std::filesystem::copy_file(NOI_FIXTURES_DIR "/poisoned-clock/tablet-01849.db", copy);
    system_clock wall;
    auto t = tablet::open(copy, wall);
    try {
        t->exec("INSERT INTO assessment(commune_code, year, decided_on) VALUES ('01849', 2026, "
                "'05/12/2026')");
        ADD_FAILURE() << "the date was taken";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("write 2026-12-05"), std::string::npos) << e.what();
    }
}
