// Parses the built-in copy of the country's units before and after 1 July 2025 (shared/data/).
#include <noi/sync/national_map.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace noi {

extern const std::string_view units_before_2025_csv, units_after_2025_csv;

namespace {

// The files hold no quoted fields (shared/data/README.md).
std::vector<std::vector<std::string>> csv_lines(std::string_view text) {
    std::vector<std::vector<std::string>> out;
    bool header = true;
    while (!text.empty()) {
        auto end = text.find('\n');
        auto line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (std::exchange(header, false) || line.empty()) continue;
        std::vector<std::string> f;
        for (std::size_t at = 0;;) {
            auto comma = line.find(',', at);
            f.emplace_back(line.substr(at, comma == std::string_view::npos ? comma : comma - at));
            if (comma == std::string_view::npos) break;
            at = comma + 1;
        }
        out.push_back(std::move(f));
    }
    return out;
}

std::string named(const admin_unit& u) {
    return u.code + " " + u.name;
}

std::string listed(const std::vector<const admin_unit*>& units) {
    std::string out;
    for (std::size_t i = 0; i < units.size(); ++i)
        out += (i == 0 ? "" : i + 1 == units.size() ? " and " : ", ") + named(*units[i]);
    return out;
}

} // namespace

const national_map& national_map::shipped() {
    static const national_map m(units_before_2025_csv, units_after_2025_csv);
    return m;
}

national_map::national_map(std::string_view before_csv, std::string_view after_csv) {
    for (auto& f : csv_lines(before_csv)) {
        if (f.size() < 7) continue;
        admin_unit u;
        u.province_code = f[0], u.province = f[1], u.district_code = f[2], u.district = f[3];
        u.code = f[4], u.name = f[5], u.kind = f[6];
        u.valid_until = std::string(reform_2025);
        before_.push_back(std::move(u));
    }
    for (auto& f : csv_lines(after_csv)) {
        if (f.size() < 6) continue;
        admin_unit u;
        u.province_code = f[0], u.province = f[1], u.code = f[2], u.name = f[3], u.kind = f[4];
        u.valid_from = std::string(reform_2025);
        for (std::size_t at = 0; at < f[5].size();) {
            auto space = f[5].find(' ', at);
            auto code = f[5].substr(at, space == std::string::npos ? space : space - at);
            at = space == std::string::npos ? f[5].size() : space + 1;
            if (code.empty()) continue;
            const bool part = code.back() == '*';
            if (part) code.pop_back();
            u.merged_from.push_back({code, !part});
        }
        after_.push_back(std::move(u));
    }
}

std::vector<const admin_unit*> national_map::province_units(std::string_view province,
                                                            std::string_view day) const {
    std::vector<const admin_unit*> out;
    for (const auto* list : {&before_, &after_})
        for (const auto& u : *list)
            if (u.province_code == province && u.valid_on(day)) out.push_back(&u);
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->code < b->code; });
    return out;
}

const admin_unit* national_map::unit(std::string_view code, std::string_view day) const {
    for (const auto* list : {&before_, &after_})
        for (const auto& u : *list)
            if (u.code == code && u.valid_on(day)) return &u;
    return nullptr;
}

std::vector<const admin_unit*> national_map::successors(std::string_view code) const {
    std::vector<const admin_unit*> out;
    for (const auto& u : after_)
        if (std::any_of(u.merged_from.begin(), u.merged_from.end(),
                        [&](const auto& o) { return o.code == code; }))
            out.push_back(&u);
    return out;
}

std::string national_map::province_refusal(std::string_view province, std::string_view day) const {
    const std::string p(province), d(day);
    if (day >= reform_2025) {
        std::map<std::string, std::string> into; // new province code -> name
        std::string name;
        for (const auto& u : before_)
            if (u.province_code == province) {
                name = u.province;
                for (const auto* s : successors(u.code))
                    into[s->province_code] = s->province;
            }
        if (!into.empty()) {
            std::string went, use;
            for (const auto& [code, n] : into) {
                went += (went.empty() ? "" : " and ") + code + " " + n;
                use += (use.empty() ? "" : " or ") + ("--province " + code);
            }
            return "province " + p + " (" + name + ") no longer exists on " + d + ": on " +
                   std::string(reform_2025) + " it went into " + went + "; use " + use +
                   ", or --as-of 2025-06-30 for its map before the reform";
        }
    } else {
        for (const auto& u : after_)
            if (u.province_code == province)
                return "province " + p + " (" + u.province + ") has its code from " +
                       std::string(reform_2025) +
                       " on; before then, pick the old province by "
                       "its own code, or give --as-of " +
                       std::string(reform_2025) + " or later";
    }
    return "no province has the code " + p + " on " + d +
           "; province codes have two digits (19 is Thái Nguyên)";
}

std::string national_map::unit_refusal(std::string_view code, std::string_view day) const {
    const std::string c(code), d(day);
    if (day >= reform_2025) {
        for (const auto& u : before_) {
            if (u.code != code) continue;
            auto into = successors(code);
            if (into.empty()) break;
            if (into.size() == 1)
                return "commune " + named(u) + " no longer exists on " + d + ": on " +
                       std::string(reform_2025) + " it went into " + named(*into.front()) +
                       "; use " + into.front()->code;
            return "commune " + named(u) + " no longer exists on " + d + ": on " +
                   std::string(reform_2025) + " it was divided between " + listed(into) +
                   "; use the one the device serves";
        }
    } else {
        for (const auto& u : after_)
            if (u.code == code)
                return c + " is the code of " + u.name + " from " + std::string(reform_2025) +
                       ", not a unit on " + d + "; use a code of the map of that day";
    }
    return "no commune-level unit has the code " + c + " on " + d + "; check the 5-digit code";
}

} // namespace noi
