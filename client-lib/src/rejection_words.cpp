#include "rejection_words.hpp"

#include <array>

namespace noi::client {
namespace {

struct words {
    std::string_view reason, vi, en;
};

constexpr std::array<words, 10> all{{
    {"unknown_table",
     "Máy chủ của tỉnh không có biểu mẫu này. Hãy cập nhật ứng dụng hoặc hỏi văn phòng tỉnh.",
     "The province's server does not know this form. Update the app, or ask the province "
     "office."},
    {"unknown_column",
     "Máy chủ của tỉnh không có một trường của bản ghi này. Hãy cập nhật ứng dụng hoặc hỏi văn "
     "phòng tỉnh.",
     "The province's server does not know a field of this record. Update the app, or ask the "
     "province office."},
    {"out_of_scope",
     "Bản ghi này thuộc xã khác: máy này chỉ được ghi dữ liệu của xã mình. Hãy sửa mã xã hoặc "
     "xóa bản ghi.",
     "This record belongs to another commune: this tablet records its own commune's data only. "
     "Correct the commune code, or delete the record."},
    {"global_table", "Danh mục này do văn phòng tỉnh quản lý; máy tính bảng không được sửa.",
     "This list is kept by the province office; a tablet cannot change it."},
    {"scope_changed",
     "Mã xã của bản ghi đã bị đổi; không thể chuyển bản ghi sang xã khác từ máy tính bảng. Hãy "
     "hỏi văn phòng tỉnh.",
     "The record's commune code was changed; a tablet cannot move a record to another commune. "
     "Ask the province office."},
    {"wrong_type", "Một trường có giá trị sai kiểu (ví dụ chữ ở chỗ cần số). Hãy sửa lại.",
     "A field holds a value of the wrong kind (for example text where a number is expected). "
     "Correct it."},
    {"missing_scope", "Bản ghi chưa có mã xã. Hãy nhập mã xã.",
     "The record has no commune code. Enter the commune code."},
    {"foreign_version",
     "Bản ghi mang thay đổi của máy khác nên không được nhận. Hãy hỏi văn phòng tỉnh.",
     "The record carries another tablet's changes and was not accepted. Ask the province "
     "office."},
    {"unknown_row",
     "Bản ghi này không còn trên máy chủ của tỉnh (có thể đã bị xóa). Nếu vẫn cần, hãy nhập lại.",
     "This record is no longer on the province's server (it may have been deleted). Enter it "
     "again if it is still needed."},
    {"too_large", "Bản ghi quá lớn để gửi (ghi chú quá dài?). Hãy rút ngắn.",
     "The record is too large to send (a very long note?). Shorten it."},
}};

} // namespace

std::string rejection_words(std::string_view reason, language lang) {
    for (const auto& w : all)
        if (w.reason == reason) return std::string(lang == language::vi ? w.vi : w.en);
    // A reason of a newer server: said as it is, with whom to ask.
    return lang == language::vi ? "Máy chủ của tỉnh từ chối bản ghi này (" + std::string(reason) +
                                      "). Hãy hỏi văn phòng tỉnh."
                                : "The province's server refused this record (" +
                                      std::string(reason) + "). Ask the province office.";
}

} // namespace noi::client
