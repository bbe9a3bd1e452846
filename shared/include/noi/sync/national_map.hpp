// The country's commune-level units before and after the reform of 1 July 2025, as shipped in
// shared/data/ (sources in shared/data/README.md): what `noi-server init` builds a province's
// map from, and what names the unit a code went into when it is no longer valid.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace noi {

// The day districts were abolished and provinces and communes merged.
inline constexpr std::string_view reform_2025 = "2025-07-01";

struct unit_origin {
    std::string code;  // an old unit's code
    bool whole = true; // false: only a part of it went in
};

struct admin_unit {
    std::string code, name, kind; // kind: xa, phuong, thi_tran or dac_khu
    std::string province_code, province;
    std::string district_code, district; // none after the reform
    // ISO dates; valid on days d with valid_from <= d < valid_until, an empty bound is open.
    std::string valid_from, valid_until;
    std::vector<unit_origin> merged_from; // for a unit made by the reform
    bool valid_on(std::string_view day) const {
        return (valid_from.empty() || valid_from <= day) &&
               (valid_until.empty() || day < valid_until);
    }
};

class national_map {
public:
    // The map built into the program.
    static const national_map& shipped();
    // Parses the two CSV files' text (shared/data/vietnam-2025-03-units.csv and
    // vietnam-2025-07-units.csv).
    national_map(std::string_view before_csv, std::string_view after_csv);

    // The units of a province valid on `day`, by code; none for a province that is not.
    std::vector<const admin_unit*> province_units(std::string_view province,
                                                  std::string_view day) const;
    const admin_unit* unit(std::string_view code, std::string_view day) const;
    // The units after the reform that the old unit `code` went into, whole or in part.
    std::vector<const admin_unit*> successors(std::string_view code) const;
    // Why `province` names no province on `day`, and what to use instead.
    std::string province_refusal(std::string_view province, std::string_view day) const;
    // Why `code` names no unit on `day`: the unit or units it went into, or that it came later.
    std::string unit_refusal(std::string_view code, std::string_view day) const;

    const std::vector<admin_unit>& before() const { return before_; }
    const std::vector<admin_unit>& after() const { return after_; }

private:
    std::vector<admin_unit> before_, after_;
};

} // namespace noi
