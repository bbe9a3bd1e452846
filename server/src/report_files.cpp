#include "report_files.hpp"

#include <xlsxwriter.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace noi::server {
namespace {

using json = nlohmann::json;

// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string csv_field(const json& v) {
    auto s = v.is_string() ? v.get<std::string>() : v.is_null() ? std::string() : v.dump();
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char ch : s)
        out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

std::string text_of(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.is_null() ? std::string() : v.dump();
}

// What the total line adds up: the province, or only the communes a limited account reads
// (a reader must not take their sum for the province's).
std::string total_label(const json& report, const std::string& province, const char* shown) {
    const auto limited = report.find("limited_to");
    if (limited == report.end() || !limited->is_array()) return province;
    std::string codes;
    for (const auto& c : *limited) {
        if (!codes.empty()) codes += ' ';
        codes += c.get<std::string>();
    }
    return shown + codes;
}

} // namespace

std::string criterion19_csv(const json& report, bool bom, bool by_commune) {
    std::ostringstream out;
    if (bom) out << "\xEF\xBB\xBF";
    // After 1 July 2025 there are no districts: the groups are the province.
    const bool by_province = report.value("grouped_by", "district") == "province";
    const std::string group = by_province ? "province" : "district";
    if (by_commune) {
        out << "commune_code,commune," << group << "_code," << group << ",met,decided_on\n";
        for (const auto& c : report["communes"])
            out << csv_field(c["code"]) << "," << csv_field(c["name"]) << ","
                << csv_field(c[group + "_code"]) << "," << csv_field(c[group]) << ","
                << (c["met"].get<bool>() ? 1 : 0) << "," << csv_field(c["decided_on"]) << "\n";
        return out.str();
    }
    out << group << "_code," << group << ",met,total\n";
    for (const auto& d : report["districts"])
        out << csv_field(d["code"]) << "," << csv_field(d["name"]) << "," << d["met"] << ","
            << d["total"] << "\n";
    out << ","
        << csv_field(total_label(report, "Tỉnh (province)", "Các xã được xem (communes shown): "))
        << "," << report["province"]["met"] << "," << report["province"]["total"] << "\n";
    return out.str();
}

std::string criterion19_xlsx(const json& report) {
    // libxlsxwriter 1.1.4 writes to a file only: a private one, read back and removed.
    char path[] = "/tmp/noi-report-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) throw std::runtime_error("no temporary file for the workbook: is /tmp full?");
    close(fd);
    struct remove_after {
        const char* p;
        ~remove_after() { std::remove(p); }
    } cleanup{path};

    lxw_workbook* wb = workbook_new(path);
    if (!wb) throw std::runtime_error("could not start the workbook");
    lxw_format* bold = workbook_add_format(wb);
    format_set_bold(bold);
    const auto year = std::to_string(report["year"].get<std::int64_t>());

    const bool by_province = report.value("grouped_by", "district") == "province";
    lxw_worksheet* districts = workbook_add_worksheet(wb, by_province ? "Tỉnh" : "Huyện");
    const char* dhead[] = {by_province ? "Mã tỉnh" : "Mã huyện", by_province ? "Tỉnh" : "Huyện",
                           "Số xã đạt", "Tổng số xã"};
    for (lxw_col_t c = 0; c < 4; ++c)
        worksheet_write_string(districts, 0, c, dhead[c], bold);
    lxw_row_t row = 1;
    for (const auto& d : report["districts"]) {
        worksheet_write_string(districts, row, 0, text_of(d["code"]).c_str(), nullptr);
        worksheet_write_string(districts, row, 1, text_of(d["name"]).c_str(), nullptr);
        worksheet_write_number(districts, row, 2, d["met"].get<double>(), nullptr);
        worksheet_write_number(districts, row, 3, d["total"].get<double>(), nullptr);
        ++row;
    }
    const auto total = total_label(report, "Toàn tỉnh", "Các xã được xem: ") + ", năm " + year;
    worksheet_write_string(districts, row, 1, total.c_str(), bold);
    worksheet_write_number(districts, row, 2, report["province"]["met"].get<double>(), bold);
    worksheet_write_number(districts, row, 3, report["province"]["total"].get<double>(), bold);
    worksheet_set_column(districts, 1, 1, 28, nullptr);

    lxw_worksheet* communes = workbook_add_worksheet(wb, "Xã");
    const char* chead[] = {"Mã xã",
                           "Xã",
                           by_province ? "Mã tỉnh" : "Mã huyện",
                           by_province ? "Tỉnh" : "Huyện",
                           "Đạt tiêu chí 19",
                           "Ngày quyết định"};
    for (lxw_col_t c = 0; c < 6; ++c)
        worksheet_write_string(communes, 0, c, chead[c], bold);
    row = 1;
    for (const auto& c : report["communes"]) {
        worksheet_write_string(communes, row, 0, text_of(c["code"]).c_str(), nullptr);
        worksheet_write_string(communes, row, 1, text_of(c["name"]).c_str(), nullptr);
        const std::string group = by_province ? "province" : "district";
        worksheet_write_string(communes, row, 2, text_of(c[group + "_code"]).c_str(), nullptr);
        worksheet_write_string(communes, row, 3, text_of(c[group]).c_str(), nullptr);
        worksheet_write_string(communes, row, 4, c["met"].get<bool>() ? "Đạt" : "Chưa đạt",
                               nullptr);
        worksheet_write_string(communes, row, 5, text_of(c["decided_on"]).c_str(), nullptr);
        ++row;
    }
    worksheet_set_column(communes, 1, 1, 24, nullptr);
    worksheet_set_column(communes, 3, 3, 24, nullptr);
    if (workbook_close(wb) != LXW_NO_ERROR)
        throw std::runtime_error("could not write the workbook: is /tmp full?");

    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace noi::server
