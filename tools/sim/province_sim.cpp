// The province simulation. Records follow docs/design.md §9's field rules; every random choice
// comes from the seed (records and faults), so a seed writes the same records every time.
#include "province_sim.hpp"

#include "cutting_proxy.hpp"

#include <admin/http_client.hpp>
#include <noi/client/replicator.hpp>
#include <noi/server/server.hpp>
#include <noi/sync/database.hpp>
#include <noi/sync/dates.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/national_map.hpp>
#include <noi/sync/schema.hpp>
#include <noi/sync/sqlite_store.hpp>
#include <noi/sync/tablet.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace noi::sim {
namespace {

using json = nlohmann::json;

// A tablet whose clock is wrong by a fixed offset (a dead RTC battery, a manual setting).
class skewed_clock final : public wall_clock {
public:
    explicit skewed_clock(std::int64_t skew_ms) : skew_(skew_ms) {}
    std::int64_t now_ms() const override { return base_.now_ms() + skew_; }

private:
    system_clock base_;
    std::int64_t skew_;
};

const char* const family[] = {"Nguyễn", "Hoàng", "Nông", "Ma", "Lý",    "Triệu",
                              "Hà",     "Đàm",   "Lục",  "Bế", "Lường", "Dương"};
const char* const middle_m[] = {"Văn", "Đức", "Minh", "Quang", "Xuân"};
const char* const middle_f[] = {"Thị", "Thu", "Ngọc", "Hồng"};
const char* const given_m[] = {"Thụ",   "Sơn", "Hùng",  "Dũng",  "Tuấn",
                               "Cường", "Lâm", "Phong", "Khánh", "Bình"};
const char* const given_f[] = {"Lan", "Hoa", "Mai", "Hương", "Thảo", "Nhung", "Yến", "Liên"};
const char* const villages[] = {"Bản Chang", "Nà Pài",  "Khuổi Bốc",   "Pác Nặm",
                                "Nà Đon",    "Bản Đồn", "Phiêng Lủng", "Khuổi Mòn"};
const char* const force_types[] = {"tai_cho",   "co_dong",   "thuong_truc", "phong_khong",
                                   "trinh_sat", "thong_tin", "y_te"};
const char* const positions[] = {"chien_si",        "chien_si",         "chien_si",
                                 "tieu_doi_truong", "trung_doi_truong", "thon_doi_truong"};
const char* const categories[] = {"drugs",          "gambling",          "illegal_logging",
                                  "illegal_mining", "human_trafficking", "environment",
                                  "theft"};
const char* const severities[] = {"minor", "minor", "serious", "very_serious"};
const char* const incident_stages[] = {"reported", "verified", "prosecuted", "fined", "closed"};
const char* const recruit_stages[] = {"registered", "commune_screened", "district_exam",
                                      "verified",   "final_list",       "enlisted"};
const char* const model_names[] = {"Tiếng mõ an ninh trật tự", "Hộ an toàn, thôn bản bình yên",
                                   "Tổ tự quản", "Cụm an ninh liên hoàn",
                                   "Tổ hỗ trợ người lầm lỗi tái hòa nhập"};
const char* const summaries[] = {"Phát hiện đánh bạc tại nhà văn hóa thôn",
                                 "Khai thác vàng trái phép ven suối",
                                 "Tàng trữ trái phép chất ma túy",
                                 "Chặt phá rừng phòng hộ",
                                 "Trộm cắp gia súc",
                                 "Đổ rác thải ra suối đầu nguồn",
                                 "Nghi vấn mua bán người qua biên giới"};

struct sim_tablet {
    std::string path, commune; // commune empty: the province office
    std::string device_id, token;
    std::unique_ptr<skewed_clock> wall;
    std::unique_ptr<tablet> t;
    std::mt19937_64 rng;
    bool app_upgraded = false;   // its app has the forms of schema version 2
    bool never_upgrades = false; // its officer does not install the new app during the run
    bool assessed_after = false; // wrote its assessment of the year after the reform
};

// The last day of the map before the reform of 1 July 2025.
const std::string day_before_reform = "2025-06-30";

class province {
public:
    explicit province(const province_options& opt) : opt_(opt), rng_(opt.seed) {}

    province_summary run() {
        auto started = std::chrono::steady_clock::now();
        setup();
        for (int day = 0; day < opt_.days; ++day) {
            if (day == opt_.days / 2) {
                publish_schema();
                mark_key_areas();
                reorganise();
            }
            upgrade_apps();
            say("day " + std::to_string(day + 1) + " of " + std::to_string(opt_.days) +
                ": officers write offline");
            for (auto& t : tabs_)
                write_day(t, day);
            say("day " + std::to_string(day + 1) +
                ": tablets with a link sync through the flaky proxy");
            sync_all(true);
        }
        say("the province admin resolves conflicts");
        resolve_some();
        say("every tablet runs a final round");
        for (int pass = 0; pass < 2; ++pass)
            sync_all(false);
        check();
        summary_.tablets = static_cast<int>(tabs_.size());
        summary_.bytes = proxy_->bytes();
        summary_.cuts = proxy_->cuts();
        summary_.converged = summary_.problems.empty();
        summary_.report_json = admin("GET", "/admin/v1/reports/criterion19?year=2022", "").dump();
        summary_.report_after_json =
            admin("GET", "/admin/v1/reports/criterion19?year=2026", "").dump();
        summary_.records_digest = digest_;
        summary_.admin_token = admin_token_;
        summary_.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        server_->stop();
        server_thread_.join();
        return summary_;
    }

private:
    void say(const std::string& s) {
        if (opt_.progress) opt_.progress(s);
    }

    std::size_t pick(std::mt19937_64& r, std::size_t n) {
        return static_cast<std::size_t>(r() % n);
    }
    bool chance(std::mt19937_64& r, double p) {
        return std::uniform_real_distribution<>(0, 1)(r) < p;
    }

    json admin(const std::string& method, const std::string& target, const std::string& body) {
        auto r = admin::request(url_, method, target, admin_token_, body);
        if (r.status >= 300) throw std::runtime_error("admin API " + target + ": " + r.body);
        return json::parse(r.body);
    }

    void setup() {
        namespace fs = std::filesystem;
        fs::create_directories(opt_.data_dir + "/tablets");
        auto server_dir = opt_.data_dir + "/server";
        // Bắc Kạn before the reform: the run takes it across (reorganise).
        admin_token_ = server::init_data_dir(server_dir, map_choice{"06", day_before_reform});
        server::server_config cfg;
        cfg.data_dir = server_dir;
        cfg.threads = 2;
        server_ = std::make_unique<server::server>(cfg);
        server_thread_ = std::thread([this] { server_->run(); });
        url_ = "http://" + server_->listen_address();
        proxy_options po;
        po.target_port = server_->port();
        po.seed = opt_.seed;
        // `loss` of the connections are cut somewhere in their first 300 B–20 KB; all are a little
        // slow.
        po.cut_share = opt_.loss;
        po.delay_ms = 1; // every chunk waits: a slow link
        po.min_cut_bytes = 300;
        po.max_cut_bytes = 20'000;
        proxy_ = std::make_unique<cutting_proxy>(po);
        via_ = "http://127.0.0.1:" + std::to_string(proxy_->port());

        std::vector<const admin_unit*> xa;
        for (const auto* u : national_map::shipped().province_units("06", day_before_reform))
            if (u->kind == "xa") xa.push_back(u);
        std::size_t n =
            opt_.tablets > 0
                ? std::min<std::size_t>(xa.size(), static_cast<std::size_t>(opt_.tablets))
                : xa.size();
        for (std::size_t i = 0; i < n; ++i) {
            add_tablet(xa[i]->code, xa[i]->name);
            if (i % 8 == 0) add_tablet(xa[i]->code, xa[i]->name + " (máy 2)"); // two officers here
        }
        add_tablet("", "Văn phòng tỉnh");
    }

    void add_tablet(const std::string& commune_code, const std::string& name) {
        json body{{"name", name}};
        if (commune_code.empty())
            body["province"] = true;
        else
            body["commune"] = commune_code;
        auto e = admin("POST", "/admin/v1/devices", body.dump());
        sim_tablet s;
        s.commune = commune_code;
        s.device_id = e["device_id"];
        s.token = e["token"];
        s.path = opt_.data_dir + "/tablets/" + s.device_id + ".db";
        s.rng.seed(rng_());
        s.never_upgrades = chance(s.rng, 0.2);
        // A few tablets have clocks hours or days wrong.
        std::int64_t skew = 0;
        if (chance(rng_, 0.06))
            skew = std::vector<std::int64_t>{-2 * 86'400'000LL, -3'600'000 * 5, 3'600'000 * 3,
                                             86'400'000}[pick(rng_, 4)];
        s.wall = std::make_unique<skewed_clock>(skew);
        s.t = tablet::create(s.path, *s.wall, {s.rng()});
        tabs_.push_back(std::move(s));
    }

    std::string person(std::mt19937_64& r, bool male) {
        return std::string(family[pick(r, std::size(family))]) + " " +
               (male ? middle_m[pick(r, std::size(middle_m))]
                     : middle_f[pick(r, std::size(middle_f))]) +
               " " +
               (male ? given_m[pick(r, std::size(given_m))] : given_f[pick(r, std::size(given_f))]);
    }

    // Runs one write; the digest covers every write attempted, so two runs of a seed can be
    // compared (what a write finds depends on what the flaky link let through).
    bool exec(sim_tablet& s, const std::string& sql, const std::vector<value>& args) {
        std::string line = sql;
        for (const auto& a : args)
            line.append("|").append(std::visit(
                [](const auto& x) -> std::string {
                    using T = std::decay_t<decltype(x)>;
                    if constexpr (std::is_same_v<T, std::monostate>)
                        return "null";
                    else if constexpr (std::is_same_v<T, std::string>)
                        return x;
                    else if constexpr (std::is_same_v<T, blob>)
                        return "blob";
                    else
                        return std::to_string(x);
                },
                a));
        for (unsigned char ch : line)
            digest_ = (digest_ ^ ch) * 1099511628211ull;
        try {
            auto st = s.t->rep().db().prepare(sql);
            for (std::size_t i = 0; i < args.size(); ++i)
                st.bind(static_cast<int>(i + 1), args[i]);
            st.step();
        } catch (const sync_error&) {
            // Refused at the keyboard: a commune the tablet is not enrolled for, or a form of
            // the new app whose table the replica takes only at its next sync.
            return false;
        }
        if (s.t->rep().db().changes() == 0) return false;
        summary_.rows++;
        return true;
    }

    // Ids from the tablet's own generator: time-ordered in spirit, and the same for a seed.
    std::string new_id(sim_tablet& s, const char* table) {
        std::array<std::uint8_t, 6> bytes;
        for (auto& b : bytes)
            b = static_cast<std::uint8_t>(s.rng());
        return std::string(table).substr(0, 3) + "-" + to_hex(bytes);
    }

    // The rows of a commune that its officers (and the province office) know of and edit.
    std::vector<std::string>& known(const std::string& commune, const std::string& table) {
        return registry_[commune + "/" + table];
    }

    // Mid-run the province adds a phone number to the militia roster and a border-patrol
    // register, through the admin API as noi-admin schema apply does.
    void publish_schema() {
        say("the province publishes schema version 2: militia_member.phone, border_patrol");
        auto next = admin("GET", "/admin/v1/schema", "");
        next.erase("history");
        next["version"] = 2;
        for (auto& t : next["tables"])
            if (t["name"] == "militia_member")
                t["columns"].push_back({{"name", "phone"}, {"type", "TEXT"}});
        next["tables"].push_back({{"name", "border_patrol"},
                                  {"scope", "commune_code"},
                                  {"columns",
                                   {{{"name", "route"}, {"type", "TEXT"}},
                                    {{"name", "patrolled_on"}, {"type", "TEXT"}},
                                    {{"name", "members"}, {"type", "INTEGER"}}}}});
        admin("POST", "/admin/v1/schema", next.dump());
        summary_.schema_version = 2;
    }

    // The province office marks the first two communes as key areas for security, through the
    // admin API as noi-admin reference set does (no tablet may change reference data): every
    // tablet must hold the change by the end (check).
    void mark_key_areas() {
        std::vector<std::string> communes;
        for (const auto& t : tabs_)
            if (!t.commune.empty() && communes.size() < 2 &&
                std::find(communes.begin(), communes.end(), t.commune) == communes.end())
                communes.push_back(t.commune);
        for (const auto& code : communes) {
            say("the province office marks commune " + code +
                " a key area (noi-admin reference set)");
            admin("PUT", "/admin/v1/reference/commune/" + code, R"({"key_area": 1})");
        }
    }

    // The province applies the 2025 reorganisation while every tablet holds a day's writes made
    // offline, as noi-admin scope reorganise does with the shipped lineage file: the lines of
    // this server's units, from the country's list built in.
    void reorganise() {
        say("the province applies the reform of 1 July 2025 (noi-admin scope reorganise)");
        std::set<std::string> held;
        for (const auto& u : admin("GET", "/admin/v1/map/units", ""))
            held.insert(u["code"].get<std::string>());
        json lines = json::array();
        for (const auto& u : national_map::shipped().after())
            for (const auto& o : u.merged_from)
                if (held.count(o.code))
                    lines.push_back({{"old_code", o.code},
                                     {"new_code", u.code},
                                     {"new_name", u.name},
                                     {"share", o.whole ? "whole" : "part"}});
        auto done = admin("POST", "/admin/v1/map/changes",
                          json{{"kind", "reorganise"},
                               {"effective", std::string(reform_2025)},
                               {"basis", "Nghị quyết 1683/NQ-UBTVQH15"},
                               {"lines", lines}}
                              .dump());
        for (const auto& u : done["units"])
            for (const auto& from : u["from"])
                new_unit_of_[from.get<std::string>()] = u["id"];
        summary_.units_before = static_cast<int>(held.size());
        summary_.units_after = static_cast<int>(done["units"].size());
        summary_.devices_moved = static_cast<int>(done["devices"].size());
        reorganised_ = true;
    }

    // Officers install the new app at random days after the version; some never do.
    void upgrade_apps() {
        if (summary_.schema_version < 2) return;
        for (auto& t : tabs_)
            if (!t.app_upgraded && !t.never_upgrades && chance(t.rng, 0.5)) {
                t.app_upgraded = true;
                summary_.apps_upgraded++;
            }
    }

    // A day's work in the forms version 2 added, once the app has them (refused until the
    // replica does too).
    void write_new_forms(sim_tablet& s, int day) {
        if (!s.app_upgraded) return;
        auto& r = s.rng;
        if (s.t->rep().tables().find("border_patrol")) summary_.new_schema_rows++;
        insert(s, "border_patrol", "commune_code, route, patrolled_on, members",
               {s.commune,
                std::string(villages[pick(r, std::size(villages))]) + " – mốc " +
                    std::to_string(100 + pick(r, 60)),
                "2022-0" + std::to_string(5 + day % 4) + "-2" + std::to_string(pick(r, 9)),
                static_cast<std::int64_t>(2 + pick(r, 5))});
        auto& members = known(s.commune, "militia_member");
        if (!members.empty())
            exec(s, "UPDATE militia_member SET phone = ?1 WHERE id = ?2",
                 {"09" + std::to_string(10'000'000 + pick(r, 89'999'999)),
                  members[pick(r, members.size())]});
    }

    // Whether the write was taken (the keyboard may refuse it).
    bool insert(sim_tablet& s, const char* table, const std::string& columns,
                std::vector<value> args, const std::string& fixed_id = "") {
        auto id = fixed_id.empty() ? new_id(s, table) : fixed_id;
        args.insert(args.begin(), id);
        std::string params;
        for (std::size_t i = 0; i < args.size(); ++i)
            params += (i ? ",?" : "?") + std::to_string(i + 1);
        const bool written = exec(s,
                                  std::string("INSERT INTO ") + table + "(id, " + columns +
                                      ") VALUES (" + params + ")",
                                  args);
        if (written && std::get<std::string>(args[1]) == s.commune)
            known(s.commune, table).push_back(id);
        return written;
    }

    void write_day(sim_tablet& s, int day) {
        auto& r = s.rng;
        const std::int64_t year = 2022;
        if (s.commune.empty()) return province_edits(s);
        write_new_forms(s, day);
        auto v = [&](const char* const* arr, std::size_t n) {
            return value{std::string(arr[pick(r, n)])};
        };
        if (day == 0 && !known(s.commune, "militia_member").empty()) {
            // The commune's second officer starts from what the first one enrolled: both edit it.
        } else if (day == 0) {
            for (int i = 0, n = 4 + static_cast<int>(pick(r, 5)); i < n; ++i) {
                bool male = chance(r, 0.8);
                auto age = 18 + static_cast<std::int64_t>(
                                    pick(r, male ? 28 : 23)); // 18–45 men, 18–40 women
                auto force = std::string(force_types[pick(r, std::size(force_types))]);
                auto joined = 2018 + static_cast<std::int64_t>(pick(r, 5));
                auto term = force == "thuong_truc" ? 2 : 4;
                insert(s, "militia_member",
                       "commune_code, full_name, sex, birth_year, village, force_type, unit, "
                       "position, "
                       "joined_on, term_end, status, trained_year",
                       {s.commune, person(r, male), std::string(male ? "nam" : "nu"), year - age,
                        v(villages, std::size(villages)), force,
                        std::string("Trung đội dân quân cơ động"),
                        v(positions, std::size(positions)), std::to_string(joined) + "-03-01",
                        std::to_string(joined + term) + "-03-01", std::string("active"), year});
            }
            for (int i = 0, n = 4 + static_cast<int>(pick(r, 5)); i < n; ++i)
                insert(s, "household",
                       "commune_code, village, head_name, members, assessed_year, pledge_signed, "
                       "is_safe",
                       {s.commune, v(villages, std::size(villages)), person(r, chance(r, 0.7)),
                        static_cast<std::int64_t>(2 + pick(r, 6)), year, std::int64_t{1},
                        static_cast<std::int64_t>(chance(r, 0.9))});
            for (int i = 0, n = 2 + static_cast<int>(pick(r, 3)); i < n; ++i)
                insert(
                    s, "recruit",
                    "commune_code, full_name, birth_year, village, stage, health_grade, status, "
                    "intake_year",
                    {s.commune, person(r, true), year - 18 - static_cast<std::int64_t>(pick(r, 8)),
                     v(villages, std::size(villages)), std::string("registered"),
                     static_cast<std::int64_t>(1 + pick(r, 4)), std::string("eligible"), year + 1});
            insert(s, "training_session",
                   "commune_code, kind, starts_on, ends_on, topic, attendees, days",
                   {s.commune, std::string("quan_su"), std::string("2022-04-04"),
                    std::string("2022-04-18"), std::string("Huấn luyện quân sự năm đầu"),
                    static_cast<std::int64_t>(10 + pick(r, 20)), std::int64_t{15}});
            insert(s, "security_model",
                   "commune_code, model_type, name, village, established_on, active",
                   {s.commune, std::string("tu_quan"), v(model_names, std::size(model_names)),
                    v(villages, std::size(villages)), std::string("2021-06-15"), std::int64_t{1}});
            if (chance(r, 0.3))
                insert(
                    s, "reintegration",
                    "commune_code, person_name, released_on, supervisor, supervision_ends, status",
                    {s.commune, person(r, true), std::string("2022-02-10"), person(r, true),
                     std::string("2023-02-10"), std::string("supervised")});
            // The yearly assessment (the province reported 76 of 96 communes met in 2022).
            insert(s, "assessment", "commune_code, year, c19_1_met, c19_2_met, note, decided_on",
                   {s.commune, year, std::int64_t{1}, static_cast<std::int64_t>(chance(r, 0.8)),
                    std::string("Đánh giá tiêu chí 19 năm 2022"), std::string("2022-12-15")},
                   "assess-" + s.commune + "-2022");
            // Before its first sync a tablet does not know its commune: a slip of the keyboard
            // for a neighbour's code goes through here and is rejected by the server.
            if (chance(r, 0.05))
                insert(s, "incident",
                       "commune_code, occurred_on, category, severity, persons, stage, status, "
                       "summary",
                       {std::string("01852") == s.commune ? std::string("01849")
                                                          : std::string("01852"),
                        std::string("2022-05-02"), std::string("theft"), std::string("minor"),
                        std::int64_t{1}, std::string("reported"), std::string("open"),
                        std::string("Ghi nhầm mã xã")});
            return;
        }
        if (reorganised_ && !s.assessed_after && (day + 1 == opt_.days || chance(r, 0.5))) {
            // The year after the reform: under the new unit half the time, which only a tablet
            // that has synced since knows (the keyboard refuses it otherwise), or under the old
            // commune's code, which every tablet may still write.
            s.assessed_after = true;
            const bool under_new = chance(r, 0.5);
            const bool written = insert(
                s, "assessment", "commune_code, year, c19_1_met, c19_2_met, note, decided_on",
                {under_new ? new_unit_of_.at(s.commune) : s.commune, std::int64_t{2026},
                 std::int64_t{1}, static_cast<std::int64_t>(chance(r, 0.7)),
                 std::string("Đánh giá tiêu chí 19 năm 2026"), std::string("2026-11-20")});
            if (written && under_new) summary_.assessments_under_new_unit++;
        }
        for (int i = 0, n = static_cast<int>(pick(r, 3)); i < n; ++i)
            insert(s, "incident",
                   "commune_code, occurred_on, village, category, severity, persons, stage, "
                   "status, summary, disqualifies_19_2",
                   {s.commune,
                    "2022-0" + std::to_string(5 + day % 4) + "-1" + std::to_string(pick(r, 9)),
                    v(villages, std::size(villages)), v(categories, std::size(categories)),
                    v(severities, std::size(severities)), static_cast<std::int64_t>(1 + pick(r, 4)),
                    std::string("reported"), std::string("open"),
                    v(summaries, std::size(summaries)), std::int64_t{0}});
        // Edits of the commune's records: both officers touch the same households.
        auto edit = [&](const char* table, const std::string& sql, value val) {
            auto& ids = known(s.commune, table);
            if (!ids.empty()) exec(s, sql, {std::move(val), ids[pick(r, ids.size())]});
        };
        for (int i = 0; i < 2; ++i)
            edit("household", "UPDATE household SET members = ?1 WHERE id = ?2",
                 static_cast<std::int64_t>(2 + pick(r, 7)));
        edit("recruit", "UPDATE recruit SET stage = ?1 WHERE id = ?2",
             std::string(recruit_stages[std::min<std::size_t>(static_cast<std::size_t>(day), 5)]));
        edit("incident", "UPDATE incident SET stage = ?1 WHERE id = ?2",
             v(incident_stages, std::size(incident_stages)));
        edit("militia_member", "UPDATE militia_member SET status = ?1 WHERE id = ?2",
             std::string(chance(r, 0.5) ? "absent" : "active"));
        auto& members = known(s.commune, "militia_member");
        if (members.size() > 3 && chance(r, 0.3)) {
            auto at = pick(r, members.size());
            exec(s, "DELETE FROM militia_member WHERE id = ?1", {members[at]});
            members.erase(members.begin() + static_cast<long>(at));
        }
    }

    // The province office corrects records of random communes: the source of cross-device
    // conflicts.
    void province_edits(sim_tablet& s) {
        auto& r = s.rng;
        std::vector<std::string> communes;
        for (const auto& t : tabs_)
            if (!t.commune.empty()) communes.push_back(t.commune);
        for (int i = 0; i < 6 && !communes.empty(); ++i) {
            auto& ids = known(communes[pick(r, communes.size())], "household");
            if (!ids.empty())
                exec(s, "UPDATE household SET members = ?1 WHERE id = ?2",
                     {static_cast<std::int64_t>(2 + pick(r, 7)), ids[pick(r, ids.size())]});
        }
    }

    void sync_all(bool flaky) {
        std::atomic<std::size_t> next{0};
        std::mutex mu;
        std::vector<std::thread> workers;
        for (int w = 0; w < std::max(1, opt_.threads); ++w)
            workers.emplace_back([&] {
                for (std::size_t i; (i = next++) < tabs_.size();) {
                    auto& s = tabs_[i];
                    if (flaky && chance(s.rng, opt_.offline)) continue;
                    client::replicator_options ro;
                    ro.url = flaky ? via_ : url_;
                    ro.token = s.token;
                    ro.session.app_version = "noi-sim/0.1.0";
                    ro.first_backoff = std::chrono::milliseconds(20);
                    ro.max_backoff = std::chrono::milliseconds(200);
                    ro.message_timeout = std::chrono::milliseconds(5000);
                    client::replicator rep(
                        *s.t, [] { return client::make_websocket_transport(); }, ro);
                    auto res = rep.sync(std::chrono::seconds(flaky ? 3 : 60));
                    std::lock_guard lock(mu);
                    summary_.rounds += static_cast<std::uint64_t>(res.attempts);
                    summary_.cells_pushed += res.stats.cells_pushed;
                    summary_.cells_pulled += res.stats.cells_pulled;
                    if (res.outcome != client::sync_outcome::done) {
                        summary_.failed_rounds++;
                        if (!flaky)
                            summary_.problems.push_back(
                                "tablet " + s.device_id +
                                " could not finish its final round: " + res.message);
                    }
                }
            });
        for (auto& w : workers)
            w.join();
    }

    void resolve_some() {
        auto open = admin("GET", "/admin/v1/conflicts?status=all", "");
        summary_.conflicts = open.size();
        std::size_t n = 0;
        for (const auto& c : open) {
            if (c["status"] != "open" || n++ % 2)
                continue; // an admin settles about half of them today
            const auto& lost = c["versions"][1];
            json body{{"keep", lost["device_id"]}, {"by", "noi-sim"}};
            auto r = admin::request(url_, "POST",
                                    "/admin/v1/conflicts/" + std::to_string(c["id"].get<long>()) +
                                        "/resolve",
                                    admin_token_, body.dump());
            if (r.status == 200) summary_.resolved++;
        }
        summary_.quarantined = admin("GET", "/admin/v1/quarantine?status=all", "").size();
    }

    static std::string in_list(const std::vector<std::string>& units) {
        std::string out;
        for (const auto& u : units)
            out += (out.empty() ? "'" : ", '") + u + "'";
        return "(" + out + ")";
    }

    // The table's rows, of `units` alone when some are named.
    std::vector<std::string> dump(database& db, const table_def& def,
                                  const std::vector<std::string>& units) {
        std::string sql = "SELECT * FROM " + def.name;
        if (!units.empty() && !def.is_global()) sql += " WHERE commune_code IN " + in_list(units);
        auto st = db.prepare(sql + " ORDER BY id");
        std::vector<std::string> rows;
        while (st.step()) {
            std::string row;
            for (int c = 0; c < st.columns(); ++c) {
                auto v = st.column(c);
                row += std::visit(
                           [](const auto& x) -> std::string {
                               using T = std::decay_t<decltype(x)>;
                               if constexpr (std::is_same_v<T, std::monostate>)
                                   return "∅";
                               else if constexpr (std::is_same_v<T, std::string>)
                                   return "'" + x + "'";
                               else if constexpr (std::is_same_v<T, blob>)
                                   return "blob";
                               else
                                   return std::to_string(x);
                           },
                           v) +
                       "|";
            }
            rows.push_back(std::move(row));
        }
        return rows;
    }

    // Each device's units, as the admin API says: its scope and, at any depth, every unit that
    // went into it whole.
    std::map<std::string, std::vector<std::string>> units_of_devices() {
        std::map<std::string, std::vector<std::string>> made_from;
        for (const auto& u : admin("GET", "/admin/v1/map/units?all=1", ""))
            for (const auto& f : u["made_from"])
                if (f["share"] == "whole")
                    made_from[u["id"].get<std::string>()].push_back(f["unit"]);
        std::map<std::string, std::vector<std::string>> out;
        for (const auto& d : admin("GET", "/admin/v1/devices?limit=500", "")) {
            if (d["scope"] == "*") continue;
            std::vector<std::string> units{d["scope"].get<std::string>()};
            for (std::size_t at = 0; at < units.size(); ++at)
                for (const auto& old : made_from[units[at]])
                    units.push_back(old);
            out[d["device_id"].get<std::string>()] = units;
        }
        return out;
    }

    void check() {
        database server_db(opt_.data_dir + "/server/noi.db", false);
        const auto units = units_of_devices();
        for (auto& s : tabs_) {
            const auto mine =
                s.commune.empty() ? std::vector<std::string>{} : units.at(s.device_id);
            if (auto p = s.t->status().pending)
                summary_.problems.push_back(s.device_id + " still has " + std::to_string(p) +
                                            " row changes pending");
            if (s.t->schema_version() != static_cast<std::uint32_t>(summary_.schema_version))
                summary_.problems.push_back(s.device_id + " holds schema version " +
                                            std::to_string(s.t->schema_version()) +
                                            ", not the server's");
            for (const auto& def : s.t->rep().tables().tables) {
                if (dump(s.t->rep().db(), def, {}) != dump(server_db, def, mine))
                    summary_.problems.push_back(s.device_id + " (commune " +
                                                (s.commune.empty() ? "*" : s.commune) +
                                                ") differs from the server in " + def.name);
                if (!mine.empty() && !def.is_global()) {
                    auto st =
                        s.t->rep().db().prepare("SELECT count(*) FROM " + def.name +
                                                " WHERE commune_code NOT IN " + in_list(mine));
                    if (st.step() && st.column_int(0))
                        summary_.problems.push_back(s.device_id +
                                                    " holds another commune's rows in " + def.name);
                }
            }
        }
    }

    province_options opt_;
    std::mt19937_64 rng_;
    std::map<std::string, std::vector<std::string>> registry_;
    bool reorganised_ = false;
    std::map<std::string, std::string> new_unit_of_; // an old commune's code -> the new unit
    std::uint64_t digest_ = 1469598103934665603ull;

    std::string admin_token_, url_, via_;
    std::unique_ptr<server::server> server_;
    std::thread server_thread_;
    std::unique_ptr<cutting_proxy> proxy_;
    std::vector<sim_tablet> tabs_;
    province_summary summary_;
};

} // namespace

province_summary run_province(const province_options& opt) {
    return province(opt).run();
}

} // namespace noi::sim
