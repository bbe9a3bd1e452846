// The message catalogue (po/vi.po, docs/messages.md): whole texts, patterns, the words beside
// reason codes and admin-log actions, and English left as it is.
#include <noi/protocol/messages.hpp>
#include <noi/sync/messages.hpp>

#include <gtest/gtest.h>

using namespace noi;

TEST(messages, a_whole_text_and_a_pattern_read_in_vietnamese) {
    EXPECT_EQ(translate("the request body must be a JSON object", language::vi),
              "nội dung yêu cầu phải là một đối tượng JSON");
    EXPECT_EQ(translate("the row belongs to commune 01909 but the device is enrolled for 01906",
                        language::vi),
              "bản ghi thuộc xã 01909 nhưng thiết bị được cấp cho xã 01906");
    // The parts that vary may hold the pattern's own words and Vietnamese.
    EXPECT_EQ(translate("kept Máy chị Lò Thị Mai (kept by the office)", language::vi),
              "giữ phiên bản của Máy chị Lò Thị Mai (kept by the office)");
    EXPECT_EQ(translate("scope 01864, Máy đăng ký nhầm, never synced", language::vi),
              "xã 01864, Máy đăng ký nhầm, chưa đồng bộ lần nào");
    EXPECT_EQ(translate("scope *", language::vi), "toàn tỉnh") << "a whole text before a pattern";
    EXPECT_EQ(translate("kept the row (dev-1)", language::vi), "giữ bản ghi (dev-1)")
        << "the most particular pattern first";
    EXPECT_EQ(translate("row h1 of household would hold 300 KiB, more than the 256 KiB a row may "
                        "hold so that every tablet can receive it; shorten its longest fields "
                        "and save it again",
                        language::vi),
              "bản ghi h1 của household sẽ có 300 KiB, quá 256 KiB mà một bản ghi được có để mọi "
              "máy tính bảng nhận được; hãy rút ngắn các trường dài nhất rồi lưu lại");
}

TEST(messages, a_part_never_runs_into_the_next_clause_nor_is_filled_twice) {
    // "table {1} has no column {2}" must not half-translate a longer sentence.
    const std::string longer = "table household has no column x; its columns are id, village";
    EXPECT_EQ(translate(longer, language::vi), longer);
    EXPECT_EQ(translate("table household has no column x", language::vi),
              "bảng household không có trường x");
    // A part holding a placeholder's mark is put in as it is.
    EXPECT_EQ(translate("table {2} has no column zz", language::vi), "bảng {2} không có trường zz");
    // A long text is matched without recursion into its length (no regex).
    const std::string huge = "kept " + std::string(400'000, 'x');
    EXPECT_EQ(translate(huge, language::vi), "giữ phiên bản của " + std::string(400'000, 'x'));
    const std::string untranslated(400'000, 'y');
    EXPECT_EQ(translate(untranslated, language::vi), untranslated);
}

TEST(messages, english_and_a_text_the_catalogue_lacks_are_left_as_they_are) {
    const std::string english =
        "the row belongs to commune 01909 but the device is enrolled for 01906";
    EXPECT_EQ(translate(english, language::en), english);
    EXPECT_EQ(translate("a sentence no release wrote", language::vi),
              "a sentence no release wrote");
    // A context's words are not a pattern's: "resolve" as an action only.
    EXPECT_EQ(translate("resolve", language::vi), "resolve");
    const auto both = in_both("new value");
    EXPECT_EQ(both.vi, "giá trị mới");
    EXPECT_EQ(both.en, "new value");
}

TEST(messages, every_reason_code_has_its_words_in_both_languages) {
    for (auto n = 1; n <= static_cast<int>(proto::last_reject_reason); ++n) {
        const std::string code = proto::to_string(static_cast<proto::reject_reason>(n));
        for (const auto& t : {reason_summary(code), reason_advice(code)}) {
            EXPECT_FALSE(t.en.empty()) << code;
            EXPECT_NE(t.vi, t.en) << code << ": no Vietnamese in po/vi.po";
        }
    }
    EXPECT_EQ(reason_summary("out_of_scope").vi, "dữ liệu của xã khác");
    // A reason of a newer server is said with its code.
    const auto later = reason_advice("photo_too_blurry");
    EXPECT_EQ(later.vi, "Máy chủ của tỉnh từ chối bản ghi này (photo_too_blurry). Hãy hỏi văn "
                        "phòng tỉnh.");
    EXPECT_EQ(reason_summary("photo_too_blurry").en,
              "a reason of a newer release (photo_too_blurry)");
}

TEST(messages, every_action_the_admin_log_records_reads_in_vietnamese) {
    for (const char* action :
         {"enrol",           "revoke",       "revoke and wipe", "wiped",           "device delete",
          "device move",     "device token", "account add",     "account disable", "account passwd",
          "account token",   "sign in",      "resolve",         "discard",         "release",
          "schema apply",    "rows move",    "map merge",       "map reorganise",  "reference set",
          "reference delete"}) {
        const auto t = action_text(action);
        EXPECT_EQ(t.en, action);
        EXPECT_NE(t.vi, t.en) << action << ": no Vietnamese in po/vi.po";
    }
    EXPECT_EQ(action_text("revoke and wipe").vi, "thu hồi và xoá dữ liệu");
    EXPECT_EQ(action_text("a later release's action").vi, "a later release's action");
}
