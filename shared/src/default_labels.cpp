// The labels of the default application's tables (docs/labels.md lists them). The values are
// those the app writes: changing one here changes no row, only what a person reads for it.
#include <noi/sync/schema_labels.hpp>

#include <initializer_list>

namespace noi {
namespace {

struct word {
    const char* vi;
    const char* en;
    const char* description_vi = "";
    const char* description_en = "";
};

struct enum_value {
    const char* value;
    word label;
};

struct column_words {
    const char* name;
    word label;
    std::initializer_list<enum_value> values = {};
};

// A 0/1 flag: INTEGER columns whose values read as yes and no.
const std::initializer_list<enum_value> yes_no = {{"1", {"Có", "Yes"}}, {"0", {"Không", "No"}}};

const word commune_code_word = {"Mã xã", "Commune code"};
const column_words commune_code = {"commune_code", commune_code_word};
const column_words village = {"village", {"Thôn, bản", "Village"}};
const column_words full_name = {"full_name", {"Họ và tên", "Full name"}};
const column_words birth_year = {"birth_year", {"Năm sinh", "Year of birth"}};
const column_words notes = {"notes", {"Ghi chú", "Notes"}};

void add(schema_labels& out, const char* table, word label,
         std::initializer_list<column_words> columns) {
    const auto entry = [](const char* t, std::optional<std::string> c, std::optional<std::string> v,
                          const word& w) {
        return proto::schema_label{t,    std::move(c),     std::move(v),    w.vi,
                                   w.en, w.description_vi, w.description_en};
    };
    out.put(entry(table, std::nullopt, std::nullopt, label));
    for (const auto& c : columns) {
        out.put(entry(table, c.name, std::nullopt, c.label));
        for (const auto& v : c.values)
            out.put(entry(table, c.name, v.value, v.label));
    }
}

schema_labels make() {
    schema_labels l;
    add(l, "commune", {"Xã, phường", "Commune"},
        {{"name", {"Tên đơn vị", "Name"}},
         {"kind",
          {"Loại đơn vị", "Kind of unit"},
          {{"xa", {"Xã", "Commune"}},
           {"phuong", {"Phường", "Ward"}},
           {"thi_tran", {"Thị trấn", "Township"}},
           {"dac_khu", {"Đặc khu", "Special zone"}}}},
         {"district", {"Huyện", "District"}},
         {"district_code", {"Mã huyện", "District code"}},
         {"province", {"Tỉnh", "Province"}},
         {"key_area",
          {"Địa bàn trọng điểm", "Key area", "Địa bàn trọng điểm về quốc phòng, an ninh",
           "A key area for defence and security"},
          yes_no}});
    add(l, "militia_member", {"Dân quân tự vệ", "Militia member"},
        {commune_code,
         full_name,
         {"sex", {"Giới tính", "Sex"}, {{"nam", {"Nam", "Male"}}, {"nu", {"Nữ", "Female"}}}},
         birth_year,
         village,
         {"force_type",
          {"Loại lực lượng", "Force type"},
          {{"tai_cho", {"Dân quân tại chỗ", "Local militia"}},
           {"co_dong", {"Dân quân cơ động", "Mobile militia"}},
           {"thuong_truc", {"Dân quân thường trực", "Standing militia"}},
           {"phong_khong", {"Phòng không", "Air defence"}},
           {"trinh_sat", {"Trinh sát", "Reconnaissance"}},
           {"thong_tin", {"Thông tin", "Signals"}},
           {"y_te", {"Y tế", "Medical"}}}},
         {"unit", {"Đơn vị", "Unit"}},
         {"position",
          {"Chức vụ", "Position"},
          {{"chien_si", {"Chiến sĩ", "Private"}},
           {"tieu_doi_truong", {"Tiểu đội trưởng", "Squad leader"}},
           {"trung_doi_truong", {"Trung đội trưởng", "Platoon leader"}},
           {"thon_doi_truong", {"Thôn đội trưởng", "Village militia leader"}}}},
         {"joined_on", {"Ngày tham gia", "Joined on"}},
         {"term_end", {"Ngày hết nghĩa vụ", "Term ends on"}},
         {"status",
          {"Tình trạng", "Status"},
          {{"active", {"Đang thực hiện nghĩa vụ", "Serving"}},
           {"absent", {"Vắng mặt", "Absent"}},
           {"discharged", {"Đã hoàn thành nghĩa vụ", "Discharged"}}}},
         {"trained_year", {"Năm huấn luyện", "Year trained"}},
         notes});
    add(l, "training_session", {"Đợt huấn luyện", "Training session"},
        {commune_code,
         {"kind",
          {"Loại huấn luyện", "Kind of training"},
          {{"quan_su", {"Quân sự", "Military"}},
           {"chinh_tri", {"Chính trị", "Political"}},
           {"phap_luat", {"Pháp luật", "Law"}}}},
         {"starts_on", {"Ngày bắt đầu", "Starts on"}},
         {"ends_on", {"Ngày kết thúc", "Ends on"}},
         {"topic", {"Nội dung", "Topic"}},
         {"attendees", {"Số người tham gia", "Attendees"}},
         {"days", {"Số ngày", "Days"}}});
    add(l, "recruit", {"Công dân tuyển quân", "Military recruit"},
        {commune_code,
         full_name,
         birth_year,
         village,
         {"stage",
          {"Bước tuyển quân", "Recruitment stage"},
          {{"registered", {"Đã đăng ký nghĩa vụ", "Registered"}},
           {"commune_screened", {"Đã sơ tuyển tại xã", "Screened by the commune"}},
           {"district_exam", {"Đã khám tuyển", "Medically examined"}},
           {"verified", {"Đã xác minh", "Verified"}},
           {"final_list", {"Có tên trong danh sách nhập ngũ", "On the final list"}},
           {"enlisted", {"Đã nhập ngũ", "Enlisted"}}}},
         {"health_grade",
          {"Phân loại sức khoẻ", "Health grade", "Loại 1 là tốt nhất", "Grade 1 is the best"},
          {{"1", {"Loại 1", "Grade 1"}},
           {"2", {"Loại 2", "Grade 2"}},
           {"3", {"Loại 3", "Grade 3"}},
           {"4", {"Loại 4", "Grade 4"}},
           {"5", {"Loại 5", "Grade 5"}},
           {"6", {"Loại 6", "Grade 6"}}}},
         {"status",
          {"Tình trạng", "Status"},
          {{"eligible", {"Đủ điều kiện", "Eligible"}},
           {"deferred", {"Tạm hoãn", "Deferred"}},
           {"exempt", {"Miễn", "Exempt"}}}},
         {"intake_year", {"Năm nhập ngũ", "Intake year"}}});
    add(l, "incident", {"Vụ việc an ninh, trật tự", "Security incident"},
        {commune_code,
         {"occurred_on", {"Ngày xảy ra", "Occurred on"}},
         village,
         {"category",
          {"Loại vụ việc", "Category"},
          {{"drugs", {"Ma tuý", "Drugs"}},
           {"gambling", {"Cờ bạc", "Gambling"}},
           {"illegal_logging", {"Khai thác rừng trái phép", "Illegal logging"}},
           {"illegal_mining", {"Khai thác khoáng sản trái phép", "Illegal mining"}},
           {"human_trafficking", {"Mua bán người", "Human trafficking"}},
           {"environment", {"Môi trường", "Environment"}},
           {"theft", {"Trộm cắp tài sản", "Theft"}}}},
         {"severity",
          {"Mức độ", "Severity"},
          {{"minor", {"Ít nghiêm trọng", "Minor"}},
           {"serious", {"Nghiêm trọng", "Serious"}},
           {"very_serious", {"Rất nghiêm trọng", "Very serious"}}}},
         {"persons", {"Số người liên quan", "Persons involved"}},
         {"stage",
          {"Giai đoạn xử lý", "Stage"},
          {{"reported", {"Đã tiếp nhận", "Reported"}},
           {"verified", {"Đã xác minh", "Verified"}},
           {"prosecuted", {"Đã khởi tố", "Prosecuted"}},
           {"fined", {"Đã xử phạt hành chính", "Fined"}},
           {"closed", {"Đã kết thúc", "Closed"}}}},
         {"status",
          {"Tình trạng", "Status"},
          {{"open", {"Đang xử lý", "Open"}}, {"closed", {"Đã xử lý xong", "Closed"}}}},
         {"summary", {"Tóm tắt", "Summary"}},
         {"disqualifies_19_2",
          {"Làm xã không đạt chỉ tiêu 19.2", "Disqualifies indicator 19.2",
           "Vụ việc khiến xã không đạt chỉ tiêu 19.2 của năm",
           "The incident keeps the commune from meeting indicator 19.2 that year"},
          yes_no}});
    add(l, "household", {"Hộ gia đình", "Household"},
        {commune_code,
         village,
         {"head_name", {"Chủ hộ", "Head of household"}},
         {"members", {"Số nhân khẩu", "Members"}},
         {"assessed_year", {"Năm đánh giá", "Year assessed"}},
         {"pledge_signed", {"Đã ký cam kết", "Pledge signed"}, yes_no},
         {"is_safe", {"Đạt hộ gia đình an toàn", "Safe household"}, yes_no}});
    add(l, "reintegration", {"Người tái hoà nhập cộng đồng", "Reintegration case"},
        {commune_code,
         {"person_name", {"Họ và tên", "Full name"}},
         {"released_on", {"Ngày chấp hành xong án", "Released on"}},
         {"supervisor", {"Người được giao giúp đỡ", "Supervisor"}},
         {"supervision_ends", {"Ngày hết thời hạn giúp đỡ", "Supervision ends on"}},
         {"status",
          {"Tình trạng", "Status"},
          {{"supervised", {"Đang được giúp đỡ", "Under supervision"}},
           {"reintegrated", {"Đã tái hoà nhập", "Reintegrated"}},
           {"reoffended", {"Tái phạm", "Reoffended"}},
           {"moved_away", {"Đã chuyển đi nơi khác", "Moved away"}}}},
         notes});
    add(l, "security_model", {"Mô hình an ninh, trật tự", "Security model"},
        {commune_code,
         {"model_type",
          {"Loại mô hình", "Model type"},
          {{"tu_quan", {"Tổ tự quản", "Self-management group"}},
           {"tieng_mo", {"Tiếng mõ an ninh", "Security gong"}},
           {"ho_an_toan", {"Hộ an toàn, thôn bản bình yên", "Safe households, peaceful villages"}},
           {"lien_hoan", {"Cụm an ninh liên hoàn", "Linked security cluster"}},
           {"tai_hoa_nhap", {"Tổ hỗ trợ người tái hoà nhập", "Reintegration support group"}}}},
         {"name", {"Tên mô hình", "Name"}},
         village,
         {"established_on", {"Ngày thành lập", "Established on"}},
         {"active", {"Đang hoạt động", "Active"}, yes_no}});
    add(l, "assessment", {"Đánh giá tiêu chí 19", "Criterion 19 assessment"},
        {commune_code,
         {"year", {"Năm đánh giá", "Year"}},
         {"c19_1_met",
          {"Đạt chỉ tiêu 19.1", "Indicator 19.1 met",
           "Xây dựng lực lượng dân quân vững mạnh, rộng khắp và hoàn thành các chỉ tiêu quốc "
           "phòng",
           "A strong, widespread militia, and the defence targets met"},
          yes_no},
         {"c19_2_met",
          {"Đạt chỉ tiêu 19.2", "Indicator 19.2 met",
           "Đạt chuẩn an toàn về an ninh, trật tự xã hội và đảm bảo bình yên",
           "Safe for security and social order, and peaceful"},
          yes_no},
         {"note", {"Ghi chú", "Notes"}},
         {"decided_on", {"Ngày quyết định", "Decided on"}}});
    return l;
}

} // namespace

proto::schema_label scope_column_label(const std::string& table, const std::string& column) {
    return {table, column, std::nullopt, commune_code_word.vi, commune_code_word.en};
}

const schema_labels& default_labels() {
    static const schema_labels labels = make();
    return labels;
}

} // namespace noi
