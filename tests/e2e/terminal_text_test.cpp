// Issue 14, item 10: a table name "\x1b[2J…" from a tablet reached the admin's terminal raw.
#include <terminal_text.hpp>

#include <gtest/gtest.h>

using noi::tools::printable;

TEST(terminal_text, control_characters_are_escaped_and_vietnamese_passes_unchanged) {
    EXPECT_EQ(printable("Dương Quang, máy 1 — Nà Pài"), "Dương Quang, máy 1 — Nà Pài");
    EXPECT_EQ(printable("incident\x1b[2J\x1b[Hok"), "incident\\x1b[2J\\x1b[Hok");
    EXPECT_EQ(printable("a\nb\tc\rd\x7f"), "a\\nb\\tc\\rd\\x7f");
    EXPECT_EQ(printable("\xc2\x9b"
                        "31m"),
              "\\x9b31m");                                  // the 8-bit CSI, as UTF-8
    EXPECT_EQ(printable("x\xe2\x80\xaey"), "x\\u202ey");    // a right-to-left override
    EXPECT_EQ(printable("bad \xff\xc3"), "bad \\xff\\xc3"); // not UTF-8
    EXPECT_EQ(printable("\xc0\x9b"), "\\xc0\\x9b");         // an overlong ESC
    const std::string once = printable("\x1b[31m");
    EXPECT_EQ(printable(once), once);
}
