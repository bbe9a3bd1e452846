// The criterion-19 report (criterion19_report.hpp) as files for a spreadsheet: CSV, and an
// Excel workbook with a sheet of districts and one of communes.
#pragma once

#include "criterion19_report.hpp"

#include <string>

namespace noi::server {

// One line per district, then the province (or, for a report limited to some communes, their
// total, labelled with their codes); with by_commune, one line per commune with its district. Excel
// takes a file without a BOM for the local code page and garbles Vietnamese, so `bom` is for
// spreadsheets and its absence for scripts.
std::string criterion19_csv(const c19_report& report, bool bom, bool by_commune);
// Throws std::runtime_error when the workbook cannot be written (no space for its temp file).
std::string criterion19_xlsx(const c19_report& report);

} // namespace noi::server
