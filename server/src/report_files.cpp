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

// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char ch : s)
        out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

std::string csv_field(const std::optional<std::string>& s) {
    return s ? csv_field(*s) : std::string();
}

// What the total line adds up: the province, or only the communes a limited account reads
// (a reader must not take their sum for the province's).
std::string total_label(const c19_report& report, const std::string& province, const char* shown) {
    if (report.limited_to.empty()) return province;
    std::string codes;
    for (const auto& c : report.limited_to) {
        if (!codes.empty()) codes += ' ';
        codes += c;
    }
    return shown + codes;
}

// A commune's group (its district, or its province after 1 July 2025): code and name.
std::pair<std::string, std::string> group_of(const c19_report& report, const c19_commune& c) {
    if (!report.by_district) return {c.province_code, c.province};
    return {c.district_code.value_or(""), c.district.value_or("")};
}

} // namespace

std::string criterion19_csv(const c19_report& report, bool bom, bool by_commune) {
    std::ostringstream out;
    if (bom) out << "\xEF\xBB\xBF";
    // After 1 July 2025 there are no districts: the groups are the province.
    const std::string group = report.by_district ? "district" : "province";
    if (by_commune) {
        out << "commune_code,commune," << group << "_code," << group << ",met,decided_on\n";
        for (const auto& c : report.communes) {
            const auto [code, name] = group_of(report, c);
            out << csv_field(c.code) << "," << csv_field(c.name) << "," << csv_field(code) << ","
                << csv_field(name) << "," << (c.met ? 1 : 0) << "," << csv_field(c.decided_on)
                << "\n";
        }
        return out.str();
    }
    out << group << "_code," << group << ",met,total\n";
    for (const auto& d : report.groups)
        out << csv_field(d.code) << "," << csv_field(d.name) << "," << d.met << "," << d.total
            << "\n";
    out << ","
        << csv_field(total_label(report, "Tỉnh (province)", "Các xã được xem (communes shown): "))
        << "," << report.met << "," << report.total << "\n";
    return out.str();
}

std::string criterion19_xlsx(const c19_report& report) {
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
    const auto year = std::to_string(report.year);

    const bool by_province = !report.by_district;
    lxw_worksheet* districts = workbook_add_worksheet(wb, by_province ? "Tỉnh" : "Huyện");
    const char* dhead[] = {by_province ? "Mã tỉnh" : "Mã huyện", by_province ? "Tỉnh" : "Huyện",
                           "Số xã đạt", "Tổng số xã"};
    for (lxw_col_t c = 0; c < 4; ++c)
        worksheet_write_string(districts, 0, c, dhead[c], bold);
    lxw_row_t row = 1;
    for (const auto& d : report.groups) {
        worksheet_write_string(districts, row, 0, d.code.c_str(), nullptr);
        worksheet_write_string(districts, row, 1, d.name.c_str(), nullptr);
        worksheet_write_number(districts, row, 2, d.met, nullptr);
        worksheet_write_number(districts, row, 3, d.total, nullptr);
        ++row;
    }
    const auto total = total_label(report, "Toàn tỉnh", "Các xã được xem: ") + ", năm " + year;
    worksheet_write_string(districts, row, 1, total.c_str(), bold);
    worksheet_write_number(districts, row, 2, report.met, bold);
    worksheet_write_number(districts, row, 3, report.total, bold);
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
    for (const auto& c : report.communes) {
        const auto [code, name] = group_of(report, c);
        worksheet_write_string(communes, row, 0, c.code.c_str(), nullptr);
        worksheet_write_string(communes, row, 1, c.name.c_str(), nullptr);
        worksheet_write_string(communes, row, 2, code.c_str(), nullptr);
        worksheet_write_string(communes, row, 3, name.c_str(), nullptr);
        worksheet_write_string(communes, row, 4, c.met ? "Đạt" : "Chưa đạt", nullptr);
        worksheet_write_string(communes, row, 5, c.decided_on.value_or("").c_str(), nullptr);
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
