// One fixed example of every message, shared by the codec and golden-vector tests.
#pragma once

#include <noi/protocol/codec.hpp>

#include <string>
#include <vector>

namespace noi::test {

inline site_id sample_site(std::uint8_t seed) {
    site_id s;
    for (std::size_t i = 0; i < s.size(); ++i)
        s[i] = static_cast<std::uint8_t>(seed + i);
    return s;
}

inline proto::row_change sample_row() {
    proto::row_change r;
    r.table = "militia_member";
    r.id = "0190a1b2-0000-7000-8000-000000000001";
    r.scope = std::string("01849");
    r.seq = 7;
    r.exists = proto::existence_change{true, {0x10000, sample_site(1)}, std::nullopt};
    r.cells.push_back({"full_name",
                       std::string("Hoàng Văn Thụ"),
                       {0x10001, sample_site(1)},
                       version{0x5, sample_site(2)}});
    r.cells.push_back({"birth_year", std::int64_t{1998}, {0x10001, sample_site(1)}, std::nullopt});
    r.cells.push_back({"notes", value{}, {0x10001, sample_site(1)}, std::nullopt});
    return r;
}

inline std::vector<std::pair<std::string, proto::message>> sample_messages() {
    proto::row_change del;
    del.table = "incident";
    del.id = "x1";
    del.scope = std::string("01849");
    del.seq = 9;
    del.exists =
        proto::existence_change{false, {0x20000, sample_site(1)}, version{0x10000, sample_site(1)}};
    del.seen = {version{0x10001, sample_site(3)}};
    proto::row_change upd;
    upd.table = "household";
    upd.id = "h1";
    upd.scope = std::string("01849");
    upd.seq = 10;
    upd.existence_base = version{0x10000, sample_site(3)};
    upd.cells.push_back({"members", std::int64_t{-3}, {0x30000, sample_site(1)}, std::nullopt});
    upd.cells.push_back({"is_safe", 0.5, {0x30000, sample_site(1)}, std::nullopt});
    upd.cells.push_back({"pledge", blob{{0, 1, 2}}, {0x30000, sample_site(1)}, std::nullopt});
    return {
        {"hello", proto::hello{1,
                               sample_site(1),
                               1,
                               "noi/0.1.0",
                               1700000000000,
                               12,
                               1699990000000,
                               4,
                               {3, 4},
                               "01849",
                               2,
                               {{4, proto::rejection_answer::resent}},
                               6,
                               {5}}},
        {"welcome",
         proto::welcome{
             1,
             1700000000500,
             "01849",
             sample_site(9),
             5,
             {{3, "commune", "01849", 2, proto::reject_reason::global_table,
               "commune is province reference data"}},
             {3},
             2,
             proto::schema_offer{
                 41,
                 {{"border_patrol", "commune_code", {{"commune_code", "TEXT"}, {"route", "TEXT"}}}},
                 {{"border_patrol", std::nullopt, std::nullopt, "Tuần tra biên giới",
                   "Border patrol"},
                  {"border_patrol", "route", std::nullopt, "Tuyến", "Route", "Tên tuyến và mốc",
                   "Route and marker"},
                  {"household", "is_safe", "1", "Có", "Yes"}}},
             {"01849", "01984"},
             2,
             {{5, "household", "h1", "members", true, std::int64_t{4}},
              {6, "household", "h2", std::nullopt, false, std::int64_t{1}}},
             6}},
        {"push", proto::push{5, 10, {sample_row(), del, upd}}},
        {"push_ack",
         proto::push_ack{
             10, {{4, "incident", "x2", 8, proto::reject_reason::out_of_scope, "wrong commune"}}}},
        {"pull", proto::pull{42, 500, false}},
        {"changes", proto::changes{{sample_row()}, 43, true}},
        {"notify", proto::notify{44}},
        {"error", proto::error{proto::error_code::unsupported_version,
                               proto::condition::permanent,
                               "protocol version 9 is not supported",
                               {1}}},
    };
}

inline std::string hex(const std::vector<std::uint8_t>& b) {
    static constexpr char d[] = "0123456789abcdef";
    std::string s;
    for (auto x : b) {
        s += d[x >> 4];
        s += d[x & 15];
    }
    return s;
}

inline std::vector<std::uint8_t> unhex(const std::string& s) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < s.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
    return out;
}

} // namespace noi::test
