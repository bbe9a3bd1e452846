// The deterministic simulation. Everything random comes from one generator seeded by the
// run's seed: record ids, values, clocks, cuts, crashes and replays.
#include "deterministic_sim.hpp"

#include <noi/sync/schema_change.hpp>

#include "loopback.hpp"

#include <noi/protocol/codec.hpp>
#include <noi/sync/dates.hpp>
#include <noi/sync/error.hpp>
#include <noi/sync/row_state.hpp>
#include <noi/sync/schema_change.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace noi::sim {
namespace {

struct tablet_crash {};
struct server_crash {};

const std::string exists_col = "*exists";

struct write_rec {
    std::size_t tablet;
    std::string table, id, column;
    value val;
    // An insert made under a unit the tablet was of when it wrote (docs/design.md §11): never
    // to be quarantined for its scope, whatever moved or merged since.
    bool valid_scope = false;
    std::string scope = {}; // the insert's unit
};

struct sim_tablet {
    std::string path;
    device dev;
    std::string commune; // empty for the province office
    std::int64_t skew_ms = 0;
    std::unique_ptr<manual_clock> wall;
    std::unique_ptr<tablet> t;
    std::vector<std::vector<proto::message>> history; // what it sent, round by round
    bool app_upgraded = false;                        // its app writes what schema version 2 added
    bool never_upgrades = false; // its officer never installs the new app during the run
    // Lost, revoked with a wipe, and wiped at its next contact; the rows it had not yet had
    // acknowledged then are gone with it.
    bool wiped = false;
    std::set<std::pair<std::string, std::string>> unsent_at_wipe = {};
    // What the officer's screens show: each row as the app last read it, refreshed by the rows
    // the changes listener named and by the app's own writes, and read whole when the app
    // starts or the schema changes. After the run it must be the replica: nothing changed
    // unseen. heard_wipe: the wipe listener told the app.
    std::map<std::pair<std::string, std::string>, std::string> screen = {};
    bool heard_wipe = false;
};

// A rejected row an officer dropped or corrected and sent again: the tablet's writes to it
// before (log_ entries below `log_mark`) answer to the answer, not to the merge.
struct answer_rec {
    std::size_t tablet;
    std::string table, id;
    std::uint64_t quarantine_id;
    std::size_t log_mark;
};

struct table_spec {
    const char* name;
    std::vector<const char*> columns; // the columns the simulation edits
};

const std::vector<table_spec> tables = {
    {"household", {"village", "head_name", "members", "is_safe"}},
    {"incident", {"summary", "persons", "stage", "village"}},
    {"militia_member", {"full_name", "status", "birth_year", "village"}},
};

// What schema version 2 adds: a column the simulation edits, and a table of its own.
const table_spec militia_v2{"militia_member",
                            {"full_name", "status", "birth_year", "village", "phone"}};
const table_spec border_patrol{"border_patrol", {"route", "leader"}};

schema version_2(const schema& v1) {
    auto specs = specs_of(v1);
    for (auto& t : specs)
        if (t.name == "militia_member") t.columns.push_back({"phone", "TEXT"});
    specs.push_back({"border_patrol", "commune_code", {{"route", "TEXT"}, {"leader", "TEXT"}}});
    return schema_of(2, specs);
}

// Its labels: the new table and column, and a default value relabelled.
schema_labels labels_2() {
    return schema_labels(
        {{"border_patrol", std::nullopt, std::nullopt, "Tuần tra biên giới", "Border patrol"},
         {"border_patrol", "route", std::nullopt, "Tuyến", "Route"},
         {"militia_member", "phone", std::nullopt, "Số điện thoại", "Phone"},
         {"militia_member", "status", "absent", "Vắng mặt có lý do", "Absent with leave"}});
}

const char* const villages[] = {"Nà Pài", "Bản Chang", "Khuổi Bốc", "Pác Nặm"};
const char* const names[] = {"Hoàng Văn Thụ", "Lý Thị Hoa", "Ma Văn Sơn", "Nông Thị Lan"};
const char* const stages[] = {"reported", "verified", "prosecuted", "fined", "closed"};
const char* const statuses[] = {"active", "absent", "deferred", "discharged"};

std::string render(const value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>)
                return "NULL";
            else if constexpr (std::is_same_v<T, std::int64_t>)
                return "i" + std::to_string(x);
            else if constexpr (std::is_same_v<T, double>)
                return "r" + std::to_string(x);
            else if constexpr (std::is_same_v<T, std::string>)
                return "'" + x + "'";
            else
                return "blob";
        },
        v);
}

class world {
public:
    explicit world(const sim_options& opt)
        : opt_(opt), rng_(opt.seed), server_wall_(1'750'000'000'000) {}

    sim_summary run() {
        setup();
        const int publish_at =
            opt_.schema_change ? opt_.steps / 4 + static_cast<int>(pick(opt_.steps / 2 + 1)) : -1;
        for (int i = 0; i < opt_.steps; ++i) {
            if (i == publish_at) publish_schema(i);
            step();
        }
        // The day's review at the province: a few conflicts decided while tablets are offline.
        for (int k = 0; k < 3; ++k)
            decide_conflict();
        if (opt_.wipe && chance(0.5)) wipe_lost_tablet();
        quiesce();
        check();
        summary_.tablets = static_cast<int>(tabs_.size());
        return summary_;
    }

private:
    bool chance(double p) { return std::uniform_real_distribution<>(0, 1)(rng_) < p; }
    std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }

    void setup() {
        server_path_ = opt_.dir + "/server.db";
        // Bắc Kạn before the reform: the simulation merges and moves across it.
        server_ = sqlite_store::create(server_path_, server_wall_, {rng_()}, {}, {"06", {}});
        if (opt_.two_servers) other_ = sqlite_store::open(server_path_, server_wall_, {rng_()});
        arm_server();
        const std::string communes[] = {"01849", "01852"};
        for (const auto& c : communes)
            for (int k = 0; k < opt_.tablets_per_commune; ++k)
                add_tablet(c);
        add_tablet("");
        if (opt_.hostile) {
            hostile_ = device{"hostile", "01849", "Máy lạ"};
            server_->add_device(hostile_);
            for (auto* site : {&hostile_site_, &hostile_site2_})
                for (auto& b : *site)
                    b = static_cast<std::uint8_t>(rng_());
        }
    }

    // What a marked value says: written by the hostile tablet, and never to be accepted.
    static constexpr const char* forged_mark = "giả mạo #";

    // One session of the hostile tablet, straight to the server's session state machine: each
    // attack is refused, quarantined or harmless, and what it may pull stays in its commune.
    void hostile_round() {
        summary_.hostile_rounds++;
        const auto now_hlc = hlc_from_ms(server_wall_.now_ms());
        try {
            server_session s(*server_, hostile_);
            proto::hello h;
            h.site = hostile_site_;
            h.clock_ms = chance(0.2) ? ~0ull : static_cast<std::uint64_t>(server_wall_.now_ms());
            if (s.on_message(h).close) return;
            auto push = [&](std::vector<proto::row_change> rows) {
                for (auto& r : rows)
                    r.seq = ++hostile_seq_;
                proto::push p{hostile_acked_, hostile_seq_, std::move(rows)};
                auto reply = s.on_message(p);
                if (const auto* ack = std::get_if<proto::push_ack>(&reply.send.at(0))) {
                    hostile_acked_ = ack->acked_seq;
                    summary_.hostile_refused += ack->rejections.size();
                } else {
                    summary_.hostile_refused++;
                    hostile_seq_ = hostile_acked_;
                }
                return !reply.close;
            };
            auto row = [&](const std::string& table, const std::string& id,
                           const std::string& scope, const version& v, value val) {
                proto::row_change r;
                r.table = table;
                r.id = id;
                r.scope = scope;
                r.exists = proto::existence_change{true, v, std::nullopt};
                r.cells.push_back({"commune_code", scope, v, std::nullopt});
                r.cells.push_back({"village", std::move(val), v, std::nullopt});
                return r;
            };
            auto marked = [&] { return std::string(forged_mark) + std::to_string(++unique_); };
            const auto& spec = tables[pick(2)]; // household or incident: both have a village
            const std::string table = spec.name;
            // Another replica's name on a row every tablet shares, or on a new one.
            const auto& victim = tabs_[pick(tabs_.size())].t->rep().site();
            site_id made_up{};
            for (auto& b : made_up)
                b = static_cast<std::uint8_t>(rng_());
            std::vector<proto::row_change> rows;
            rows.push_back(row(table, table + "-s" + std::to_string(pick(4)), "01849",
                               {now_hlc + pick(1000), chance(0.5) ? victim : made_up}, marked()));
            rows.push_back(row(table, table + "-s" + std::to_string(pick(4)), "01852",
                               {now_hlc, hostile_site_}, marked())); // another commune
            rows.push_back(row("commune", "0" + std::to_string(9000 + pick(999)), "",
                               {now_hlc, hostile_site_}, marked())); // reference data
            rows.back().scope = value{};
            // Its own rows, stamped in the past: accepted, and they lose to any later write.
            rows.push_back(row(table, "hostile-" + std::to_string(pick(8)), "01849",
                               {hlc_from_ms(1'000'000) + pick(1000), hostile_site_},
                               std::string("cũ")));
            if (chance(0.3)) // a row too large to keep in quarantine
                rows.push_back(row("incident", "hostile-big", "01852", {now_hlc, hostile_site_},
                                   std::string(100'000, 'x')));
            if (chance(0.1)) { // a row no CHANGES could carry: it must not stop the commune's pulls
                const version v{now_hlc, hostile_site_};
                auto huge = row("incident", "hostile-huge", "01849", v, marked());
                for (const char* c : {"summary", "category", "stage", "status"})
                    huge.cells.push_back({c, std::string(1'000'000, 'h'), v, std::nullopt});
                rows.push_back(std::move(huge));
            }
            // The commune's own reference row, refused again and again: answered to this tablet
            // alone, and counted against its quota.
            for (int k = 0, n = static_cast<int>(pick(20)); k < n; ++k) {
                proto::row_change r;
                r.table = "commune";
                r.id = "01849";
                r.cells.push_back({"name", marked(), {now_hlc, hostile_site_}, std::nullopt});
                rows.push_back(std::move(r));
            }
            if (chance(0.2)) { // names of a hundred thousand bytes: clipped in the quarantine
                rows.push_back(row(std::string(100'000, 't'), "hostile-name", "01849",
                                   {now_hlc, hostile_site_}, marked()));
                rows.push_back(row(table, std::string(100'000, 'i'), "01852",
                                   {now_hlc, hostile_site_}, marked()));
            }
            if (!push(std::move(rows))) return;
            // Stamps from far ahead, its own and in a made-up name: the push is refused whole.
            if (chance(0.5)) {
                const version far{chance(0.5)
                                      ? hlc_max - 1
                                      : hlc_from_ms(server_wall_.now_ms() + 365LL * 86'400'000),
                                  chance(0.5) ? hostile_site_ : made_up};
                if (!push(
                        {row(table, "hostile-" + std::to_string(pick(8)), "01849", far, marked())}))
                    return;
            }
            // A flood of pulls at forged cursors: nothing of another commune comes back.
            for (int k = 0; k < 1 + static_cast<int>(pick(12)); ++k) {
                const std::uint64_t cursors[] = {0, pick(200), ~0ull, server_->server_seq() / 2};
                auto reply = s.on_message(proto::pull{
                    cursors[pick(4)], static_cast<std::uint32_t>(pick(600)), chance(0.5)});
                for (const auto& m : reply.send)
                    if (const auto* ch = std::get_if<proto::changes>(&m))
                        for (const auto& r : ch->rows)
                            // A row moved away comes as its new unit alone (a departure): the
                            // rest of it is the other commune's.
                            if (const auto* sc = std::get_if<std::string>(&r.scope);
                                sc && *sc != "01849" &&
                                !(r.cells.size() == 1 && r.cells[0].column == "commune_code" &&
                                  !r.exists))
                                problem("the hostile tablet pulled " + r.table + "/" + r.id +
                                        " of " + *sc);
                if (reply.close) return;
            }
        } catch (const server_crash&) {
            reopen_server(server_);
        }
        if (chance(0.5)) hostile_conflict_flood();
    }

    // A second replica of the hostile device writes the cells the first wrote, blind to them:
    // each change records a conflict, until the device's conflict quota holds its pushes back.
    void hostile_conflict_flood() {
        try {
            server_session s(*server_, hostile_);
            proto::hello h;
            h.site = hostile_site2_;
            h.clock_ms = static_cast<std::uint64_t>(server_wall_.now_ms());
            if (s.on_message(h).close) return;
            const auto now_hlc = hlc_from_ms(server_wall_.now_ms());
            proto::push p{hostile2_acked_, hostile2_acked_, {}};
            for (int k = 0, n = 1 + static_cast<int>(pick(40)); k < n; ++k) {
                proto::row_change r;
                r.table = tables[pick(2)].name;
                r.id = "hostile-" + std::to_string(pick(8));
                r.scope = std::string("01849");
                r.seq = ++p.to_seq;
                r.cells.push_back({"village",
                                   "xung đột " + std::to_string(++unique_),
                                   {now_hlc + static_cast<std::uint64_t>(k), hostile_site2_},
                                   std::nullopt});
                p.rows.push_back(std::move(r));
            }
            auto reply = s.on_message(p);
            if (const auto* ack = std::get_if<proto::push_ack>(&reply.send.at(0)))
                hostile2_acked_ = ack->acked_seq;
            else
                summary_.hostile_refused++;
        } catch (const server_crash&) {
            reopen_server(server_);
        }
    }

    // An admin renames a commune or marks it a key area, as noi-admin reference set does: one
    // server write in its own group, which a crash may cut off whole.
    // The map changes while tablets are offline with pending writes (docs/design.md §11):
    // once, 01852 merges with 01843 into a new unit; and now and then an officer moves.
    void change_map() {
        try {
            if (!merged_ && chance(0.4)) {
                map_change_request c;
                c.effective = vietnam_day(server_wall_.now_ms());
                c.groups = {{{"01852", "01843"}, "01843", "", ""}};
                auto group = server_->begin();
                const auto m = server_->change_map(c, "sim", false);
                group->commit();
                merged_ = true;
                units_.push_back(m.units.front().id);
                summary_.map_changes++;
                return;
            }
            if (chance(0.4)) {
                // A household (or another record) moves to the other commune.
                const std::string table = tables[pick(tables.size())].name;
                const auto rows = server_->live_rows(table);
                if (rows.empty()) return;
                const auto& row = rows[pick(rows.size())];
                const auto* at = std::get_if<std::string>(&row.values.at("commune_code"));
                if (!at) return;
                const std::string to = *at == "01849" ? (merged_ ? "01843" : "01852") : "01849";
                auto group = server_->begin();
                server_->move_rows(table, {row.id}, "", {}, to, "sim", false);
                group->commit();
                summary_.row_moves++;
                return;
            }
            std::vector<std::size_t> communal;
            for (std::size_t i = 0; i < tabs_.size(); ++i)
                if (!tabs_[i].commune.empty()) communal.push_back(i);
            const auto i = communal[pick(communal.size())];
            const auto now = server_->find_device(tabs_[i].dev.id)->scope;
            // A code valid today that names another unit than the device's.
            const std::string to = now == "01849" ? (merged_ ? "01843" : "01852") : "01849";
            auto group = server_->begin();
            server_->move_device(tabs_[i].dev.id, to);
            group->commit();
            summary_.device_moves++;
        } catch (const server_crash&) {
            reopen_server(server_);
        }
    }

    void edit_reference() {
        const auto* def = server_->find_table("commune");
        const std::string code = chance(0.5) ? "01849" : "01852";
        const bool rename = chance(0.5);
        const auto col = *def->column_index(rename ? "name" : "key_area");
        const value v = rename ? value{"Xã đổi tên #" + std::to_string(++unique_)}
                               : value{static_cast<std::int64_t>(pick(2))};
        try {
            auto group = server_->begin();
            server_->write_cells("commune", code, {{col, v}}, std::nullopt, "admin:sim");
            group->commit();
            summary_.reference_edits++;
        } catch (const server_crash&) {
            reopen_server(server_);
        }
    }

    void publish_schema(int at) {
        server_->apply_schema(version_2(server_->current_schema()), "sim", labels_2());
        summary_.schema_published_at = at;
        // A third of the officers never install the new app during the run.
        for (std::size_t i = 0; i < tabs_.size(); ++i)
            tabs_[i].never_upgrades = i % 3 == 1;
    }

    // An officer installs the new app: from now on its forms write the new table and column,
    // once the replica holds them (its library takes them at the next sync).
    void upgrade_app(std::size_t i) {
        auto& s = tabs_[i];
        if (summary_.schema_published_at < 0 || s.app_upgraded || s.never_upgrades) return;
        s.app_upgraded = true;
        summary_.apps_upgraded++;
    }

    // The tables an officer's app edits: version 2's once it is installed and the replica
    // holds them.
    std::vector<const table_spec*> forms_of(sim_tablet& s) {
        std::vector<const table_spec*> out{&tables[0], &tables[1], &tables[2]};
        if (s.app_upgraded && s.t->rep().tables().find("border_patrol")) {
            out[2] = &militia_v2;
            out.push_back(&border_patrol);
        }
        return out;
    }

    void add_tablet(const std::string& commune) {
        sim_tablet s;
        auto n = tabs_.size();
        s.path = opt_.dir + "/tablet" + std::to_string(n) + ".db";
        s.dev = {"dev" + std::to_string(n), commune.empty() ? "*" : commune,
                 "Máy " + std::to_string(n)};
        s.commune = commune;
        // A few tablets start with clocks hours or days wrong.
        if (chance(0.25))
            s.skew_ms = std::vector<std::int64_t>{-3 * 86'400'000LL, -7'200'000, 7'200'000,
                                                  3 * 86'400'000LL}[pick(4)];
        s.wall = std::make_unique<manual_clock>(server_wall_.now_ms() + s.skew_ms);
        s.t = tablet::create(s.path, *s.wall, {rng_()});
        server_->add_device(s.dev);
        tabs_.push_back(std::move(s));
        arm_tablet(n);
    }

    void arm_tablet(std::size_t i) {
        auto& s = tabs_[i];
        s.t->rep().set_fault_hook([this](std::string_view) {
            if (faults_ && chance(opt_.crash_rate)) throw tablet_crash{};
        });
        s.t->set_changes_listener([this, i](const tablet::row_changes& by_table) {
            for (const auto& [table, ids] : by_table)
                for (const auto& id : ids)
                    refresh(tabs_[i], table, id);
        });
        s.t->set_schema_listener(
            [this, i](std::uint32_t, std::uint32_t) { read_screens(tabs_[i]); });
        s.t->set_wipe_listener([this, i](std::int64_t) {
            tabs_[i].heard_wipe = true;
            read_screens(tabs_[i]);
        });
        read_screens(s);
    }

    // The row a statement stands on as one line of text, its columns from `from` on.
    static std::string line_of(statement& st, int from = 0) {
        std::string out;
        for (int c = from; c < st.columns(); ++c)
            out += render(st.column(c)) + "|";
        return out;
    }
    // A row of a replica as one line of text; nullopt when there is none.
    static std::optional<std::string> row_text(database& db, const std::string& table,
                                               const std::string& id) {
        auto st = db.prepare("SELECT * FROM " + table + " WHERE id = ?1");
        st.bind(1, id);
        if (!st.step()) return std::nullopt;
        return line_of(st);
    }
    static void refresh(sim_tablet& s, const std::string& table, const std::string& id) {
        if (auto row = row_text(s.t->rep().db(), table, id))
            s.screen[{table, id}] = std::move(*row);
        else
            s.screen.erase({table, id});
    }
    static std::map<std::pair<std::string, std::string>, std::string> whole(tablet& t) {
        std::map<std::pair<std::string, std::string>, std::string> out;
        for (const auto& def : t.rep().tables().tables) {
            auto st = t.rep().db().prepare("SELECT id, * FROM " + def.name);
            while (st.step())
                out[{def.name, st.column_text(0)}] = line_of(st, 1);
        }
        return out;
    }
    static void read_screens(sim_tablet& s) { s.screen = whole(*s.t); }
    void arm_server() {
        // The outer round of a nested one holds the server open: no server crash in between.
        for (auto* s : {server_.get(), other_.get()})
            if (s)
                s->rep().set_fault_hook([this](std::string_view) {
                    if (faults_ && !nested_ && chance(opt_.crash_rate)) throw server_crash{};
                });
    }
    // The instance a round goes through.
    std::unique_ptr<sqlite_store>& via() { return other_ && chance(0.5) ? other_ : server_; }

    void reopen_tablet(std::size_t i) {
        auto& s = tabs_[i];
        s.t.reset();
        s.t = tablet::open(s.path, *s.wall, {rng_()});
        arm_tablet(i);
        summary_.tablet_crashes++;
    }
    void reopen_server(std::unique_ptr<sqlite_store>& crashed) {
        crashed.reset();
        crashed = sqlite_store::open(server_path_, server_wall_, {rng_()});
        arm_server();
        summary_.server_crashes++;
    }

    void advance(std::int64_t ms) {
        server_wall_.advance(ms);
        for (auto& s : tabs_)
            s.wall->set(server_wall_.now_ms() + s.skew_ms);
    }

    // Most values are unique to their write, so the checker can tell which write a value came
    // from; the rest repeat on purpose, so equal values meet too.
    value random_value(const std::string& column) {
        if (chance(0.8)) {
            ++unique_;
            if (column == "is_safe") return static_cast<std::int64_t>(pick(2));
            if (column == "members" || column == "persons" || column == "birth_year")
                return static_cast<std::int64_t>(100'000 + unique_);
            return std::string(villages[pick(4)]) + " #" + std::to_string(unique_);
        }
        if (column == "members" || column == "persons")
            return static_cast<std::int64_t>(1 + pick(6));
        if (column == "is_safe") return static_cast<std::int64_t>(pick(2));
        if (column == "birth_year") return static_cast<std::int64_t>(1980 + pick(25));
        if (column == "village") return std::string(villages[pick(4)]);
        if (column == "head_name" || column == "full_name") return std::string(names[pick(4)]);
        if (column == "stage") return std::string(stages[pick(5)]);
        if (column == "status") return std::string(statuses[pick(4)]);
        return std::string("ghi chú ") + std::to_string(pick(5));
    }

    std::int64_t count_rows(tablet& t, const std::string& table) {
        auto st = t.rep().db().prepare("SELECT count(*) FROM " + table);
        st.step();
        return st.column_int(0);
    }

    // Mostly one of the few rows every tablet shares, so edits meet on the same cells.
    std::optional<std::string> random_row(tablet& t, const std::string& table) {
        if (chance(0.7)) {
            auto id = table + "-s" + std::to_string(pick(4));
            auto st = t.rep().db().prepare("SELECT 1 FROM " + table + " WHERE id = ?1");
            st.bind(1, id);
            if (st.step()) return id;
        }
        auto n = count_rows(t, table);
        if (!n) return std::nullopt;
        auto st =
            t.rep().db().prepare("SELECT id FROM " + table + " ORDER BY id LIMIT 1 OFFSET ?1");
        st.bind(1, static_cast<std::int64_t>(pick(static_cast<std::size_t>(n))));
        if (!st.step()) return std::nullopt;
        return st.column_text(0);
    }

    // A row of a replica by column name, as it stands; nullopt when there is none.
    static std::optional<std::map<std::string, value>>
    row_of(database& db, const std::string& table, const std::string& id) {
        auto st = db.prepare("SELECT * FROM " + table + " WHERE id = ?1");
        st.bind(1, id);
        if (!st.step()) return std::nullopt;
        std::map<std::string, value> out;
        for (int c = 0; c < st.columns(); ++c)
            out[st.column_name(c)] = st.column(c);
        return out;
    }

    // An officer answers one of the tablet's rejected rows (docs/android.md, Refusals): drops
    // it, or, for a row of a commune the device does not write, moves it to one it does and
    // sends it again. The resend is a local write like any other.
    bool answer_rejection(std::size_t i) {
        auto& s = tabs_[i];
        std::vector<rejected_row> waiting;
        for (auto& r : s.t->rejected())
            if (!r.answer) waiting.push_back(std::move(r));
        if (waiting.empty()) return false;
        const auto r = waiting[pick(waiting.size())];
        const auto units = s.t->rep().scope_units();
        const auto* def = s.t->rep().tables().find(r.table);
        const bool movable = r.reason == "out_of_scope" && !units.empty() && def && def->scope;
        auto& db = s.t->rep().db();
        const auto mark = log_.size();
        try {
            if (!movable || chance(0.4)) {
                s.t->drop_rejected(r.quarantine_id);
            } else {
                const auto to = units[pick(units.size())];
                const auto before = row_of(db, r.table, r.row_id);
                s.t->resend_rejected(r.quarantine_id, {{"commune_code", to}});
                const auto after = row_of(db, r.table, r.row_id);
                refresh(s, r.table, r.row_id);
                if (!after) {
                    problem("tablet " + std::to_string(i) + " resent rejected row " +
                            std::to_string(r.quarantine_id) + " and holds no row " + r.row_id);
                    return true;
                }
                if (!before)
                    log_.push_back({i, r.table, r.row_id, exists_col, std::int64_t{1}, true, to});
                for (const auto& [col, v] : *after)
                    if (col != "id" && (!before || before->at(col) != v))
                        log_.push_back({i, r.table, r.row_id, col, v});
                summary_.writes++;
            }
        } catch (const sync_error&) {
            return true; // refused at the keyboard: nothing was written, nothing answered
        }
        answered_.push_back({i, r.table, r.row_id, r.quarantine_id, mark});
        summary_.answers++;
        return true;
    }

    // An admin decides a conflict at the province's review (noi-admin conflicts resolve): keeps
    // one side's value. Refused when the cell changed since, as the console would say.
    void decide_conflict() {
        auto open = server_->conflicts({.status = conflict_status::open});
        if (open.empty()) return;
        const auto& c = open[pick(open.size())];
        server_store::resolution how;
        const auto& side = chance(0.5) ? c.winner : c.loser;
        if (side.device_id.empty()) return;
        how.keep_device = side.device_id;
        how.by = "admin:sim";
        try {
            auto group = server_->begin();
            const auto r = server_->resolve_conflict(c.id, how);
            group->commit();
            summary_.decisions += r.status == server_store::resolve_status::resolved;
        } catch (const server_crash&) {
            reopen_server(server_);
        }
    }

    // One edit by an officer, or now and then an answer to a rejected row. Refusals at the
    // keyboard (scope, duplicate id) are not writes.
    void random_write(std::size_t i) {
        if (chance(0.5) && answer_rejection(i)) return;
        auto& s = tabs_[i];
        auto& db = s.t->rep().db();
        const auto forms = forms_of(s);
        const auto& spec = *forms[pick(forms.size())];
        const std::string table = spec.name;
        const bool new_form = &spec == &militia_v2 || &spec == &border_patrol;
        auto roll = pick(10);
        try {
            if (roll < 2) {
                std::string id =
                    chance(0.3) ? table + "-s" + std::to_string(pick(4)) : s.t->rep().new_uuid();
                // A unit the tablet knows it writes: any for the province office; for a
                // commune's tablet its scope's units, or before its first sync the commune it
                // was enrolled for.
                const auto known = s.t->rep().scope_units();
                std::string commune = s.commune.empty() ? units_[pick(units_.size())]
                                      : known.empty()   ? s.commune
                                                        : known[pick(known.size())];
                if (chance(0.04)) commune = units_[pick(units_.size())]; // maybe the wrong one
                const auto dev = server_->find_device(s.dev.id);
                const bool valid_scope =
                    s.commune.empty() || !known.empty() || dev->writes(commune);
                std::vector<value> vals;
                std::string cols = "id, commune_code", params = "?1, ?2";
                for (std::size_t c = 0; c < spec.columns.size(); ++c) {
                    cols += std::string(", ") + spec.columns[c];
                    params += ", ?" + std::to_string(c + 3);
                    vals.push_back(chance(0.1) ? value{} : random_value(spec.columns[c]));
                }
                auto st =
                    db.prepare("INSERT INTO " + table + " (" + cols + ") VALUES (" + params + ")");
                st.bind(1, id).bind(2, commune);
                for (std::size_t c = 0; c < vals.size(); ++c)
                    st.bind(static_cast<int>(c + 3), vals[c]);
                st.step();
                refresh(s, table, id);
                // An insert writes every column of the row.
                const auto* def = s.t->rep().tables().find(table);
                log_.push_back({i, table, id, exists_col, std::int64_t{1}, valid_scope, commune});
                for (const auto& col : def->columns) {
                    value v;
                    if (col.name == "commune_code") v = commune;
                    for (std::size_t c = 0; c < spec.columns.size(); ++c)
                        if (col.name == spec.columns[c]) v = vals[c];
                    log_.push_back({i, table, id, col.name, v});
                }
            } else if (roll < 9) {
                auto id = random_row(*s.t, table);
                if (!id) return;
                std::string col = spec.columns[pick(spec.columns.size())];
                auto v = random_value(col);
                auto cur = db.prepare("SELECT " + col + " FROM " + table + " WHERE id = ?1");
                cur.bind(1, *id);
                if (!cur.step() || cur.column(0) == v) return;
                auto st = db.prepare("UPDATE " + table + " SET " + col + " = ?1 WHERE id = ?2");
                st.bind(1, v).bind(2, *id);
                st.step();
                refresh(s, table, *id);
                if (db.changes() == 1) log_.push_back({i, table, *id, col, v});
            } else {
                auto id = random_row(*s.t, table);
                if (!id) return;
                auto st = db.prepare("DELETE FROM " + table + " WHERE id = ?1");
                st.bind(1, *id);
                st.step();
                refresh(s, table, *id);
                if (db.changes() == 1) log_.push_back({i, table, *id, exists_col, std::int64_t{0}});
            }
            summary_.writes++;
            if (new_form) summary_.new_schema_writes++;
        } catch (const sync_error&) {
            // Refused at the keyboard: nothing was written.
        }
    }

    void sync_round(std::size_t i, bool with_faults) {
        auto& s = tabs_[i];
        client_options co;
        co.push_rows = 1 + pick(6);
        co.max_in_flight = 1 + pick(3);
        co.pull_rows = static_cast<std::uint32_t>(1 + pick(30));
        link_faults f;
        if (with_faults) {
            f.cut = [this](const proto::message&, bool) { return chance(opt_.cut_rate); };
            f.between = [this, i] {
                if (chance(0.08)) random_write(chance(0.5) ? i : pick(tabs_.size()));
                // Another tablet's whole round lands in the middle of this one: the
                // interleaving that makes pulled versions meet pending ones.
                auto j = pick(tabs_.size());
                if (!nested_ && j != i && chance(0.05)) {
                    nested_ = true;
                    sync_round(j, true);
                    nested_ = false;
                }
            };
        }
        summary_.rounds++;
        auto& through = via();
        try {
            auto r = sync_once(*s.t, *through, *through->find_device(s.dev.id), co, f);
            summary_.bytes += r.bytes;
            summary_.cuts += r.cut;
            summary_.completed_rounds += r.done;
            if (!r.sent_by_client.empty()) s.history.push_back(std::move(r.sent_by_client));
            if (s.history.size() > 8) s.history.erase(s.history.begin());
            last_done_ = r.done;
            last_error_ = r.error;
        } catch (const tablet_crash&) {
            reopen_tablet(i);
            last_done_ = false;
        } catch (const server_crash&) {
            reopen_server(through);
            last_done_ = false;
        }
    }

    // A whole earlier round's messages arrive again on a new connection, late.
    void replay(std::size_t i) {
        auto& s = tabs_[i];
        if (s.history.empty()) return;
        const auto& msgs = s.history[pick(s.history.size())];
        summary_.replays++;
        auto& through = via();
        try {
            server_session ghost(*through, *through->find_device(s.dev.id));
            for (const auto& m : msgs)
                if (ghost.on_message(m).close) break;
        } catch (const server_crash&) {
            reopen_server(through);
        }
    }

    void step() {
        advance(static_cast<std::int64_t>(pick(5000)));
        if (summary_.schema_published_at >= 0 && chance(0.05)) upgrade_app(pick(tabs_.size()));
        auto i = pick(tabs_.size());
        auto roll = pick(100);
        if (roll < 52)
            random_write(i);
        else if (roll < 88)
            sync_round(i, true);
        else if (roll < 92)
            replay(i);
        else if (roll < 95)
            reopen_tablet(i);
        else if (roll < 96)
            reopen_server(server_);
        else if (roll < 97 && opt_.hostile)
            hostile_round();
        else if (roll < 98)
            chance(0.5) ? edit_reference() : decide_conflict();
        else if (roll < 99 && opt_.map_changes)
            change_map();
        else
            tabs_[i].skew_ms = chance(0.5) ? 0
                                           : std::vector<std::int64_t>{-86'400'000, 3'600'000,
                                                                       2 * 86'400'000LL}[pick(3)];
    }

    // The province office revokes a lost tablet of a commune with a wipe; at its next contact
    // the server answers its upgrade with the order (http_session), and the library deletes
    // its synced data and reports it (replicator): here, the same two calls.
    void wipe_lost_tablet() {
        std::vector<std::size_t> communal;
        for (std::size_t i = 0; i < tabs_.size(); ++i)
            if (!tabs_[i].commune.empty()) communal.push_back(i);
        const auto k = communal[pick(communal.size())];
        auto& s = tabs_[k];
        auto& db = s.t->rep().db();
        for (const char* sql :
             {"SELECT tbl, id FROM noi_pending", "SELECT tbl, id FROM noi_capture"}) {
            auto st = db.prepare(sql);
            while (st.step())
                s.unsent_at_wipe.insert({st.column_text(0), st.column_text(1)});
        }
        // A crash in the middle rolls its transaction back; the next contact does it again.
        for (int attempt = 0;; ++attempt) {
            if (attempt == 20) {
                problem("the wipe of tablet " + std::to_string(k) + " never got through");
                return;
            }
            try {
                server_->revoke_device(s.dev.id, true);
                s.t->wipe();
                server_->record_wiped(s.dev.id);
                break;
            } catch (const tablet_crash&) {
                reopen_tablet(k);
            } catch (const server_crash&) {
                reopen_server(server_);
            }
        }
        s.wiped = true;
        summary_.wiped++;
    }

    void quiesce() {
        faults_ = false;
        for (int pass = 0; pass < 3; ++pass)
            for (std::size_t i = 0; i < tabs_.size(); ++i) {
                if (tabs_[i].wiped) continue;
                advance(1000);
                bool done = false;
                for (int attempt = 0; attempt < 4 && !done; ++attempt) {
                    sync_round(i, false);
                    done = last_done_;
                }
                if (!done)
                    problem("tablet " + std::to_string(i) +
                            " cannot finish a round without faults: " +
                            (last_error_ ? last_error_->message : "no error"));
            }
    }

    void problem(std::string p) { summary_.problems.push_back(std::move(p)); }

    // Nothing the hostile tablet forged was taken, and no clock went beyond the server's.
    void check_hostile_left_no_trace() {
        const auto limit =
            hlc_from_ms(server_wall_.now_ms() + server_options{}.clock_bound_ms) | 0xffff;
        if (server_->rep().clock().floor() > limit)
            problem("the server's clock went beyond its wall clock plus the bound");
        for (std::size_t i = 0; i < tabs_.size(); ++i)
            if (tabs_[i].t->rep().clock().floor() >
                hlc_from_ms(server_wall_.now_ms() + 4 * 86'400'000LL))
                problem("tablet " + std::to_string(i) + "'s clock went days beyond the server's");
        for (const auto* table : {"household", "incident", "commune"}) {
            const std::string column = std::string(table) == "commune" ? "name" : "village";
            for (auto* db : {&server_->rep().db()}) {
                auto st = db->prepare(std::string("SELECT count(*) FROM ") + table + " WHERE " +
                                      column + " LIKE '" + forged_mark + "%'");
                st.step();
                if (st.column_int(0))
                    problem(std::string("a value the hostile tablet forged is in ") + table);
            }
        }
        row_state_store states(server_->rep().db());
        for (const auto& [table, id, st] : states.all(server_->rep().tables())) {
            auto forged = [&](const std::optional<cell_state>& c) {
                return c && c->ver.hlc > limit;
            };
            if (forged(st.exists) || std::any_of(st.cells.begin(), st.cells.end(), forged))
                problem("the server holds a stamp beyond its clock in " + table + "/" + id);
        }
    }

    // The units whose rows tablet i holds now: none named for the province office (all).
    std::vector<std::string> units_of(std::size_t i) {
        if (tabs_[i].commune.empty()) return {};
        return server_->find_device(tabs_[i].dev.id)->units;
    }

    static std::string in_list(const std::vector<std::string>& units) {
        std::string out;
        for (const auto& u : units)
            out += (out.empty() ? "'" : ", '") + u + "'";
        return "(" + out + ")";
    }

    std::vector<std::string> dump(database& db, const std::string& table,
                                  const std::vector<std::string>& units) {
        std::string sql = "SELECT * FROM " + table;
        const auto* def = server_->rep().tables().find(table);
        if (!units.empty() && !def->is_global()) sql += " WHERE commune_code IN " + in_list(units);
        auto st = db.prepare(sql + " ORDER BY id");
        std::vector<std::string> out;
        while (st.step())
            out.push_back(line_of(st));
        return out;
    }

    void check() {
        auto& sdb = server_->rep().db();
        for (std::size_t i = 0; i < tabs_.size(); ++i) {
            auto& s = tabs_[i];
            auto& tdb = s.t->rep().db();
            if (s.wiped) {
                check_wiped(i);
                continue;
            }
            const auto now = whole(*s.t);
            for (const auto& [key, row] : now) {
                const auto shown = s.screen.find(key);
                if (shown == s.screen.end() || shown->second != row)
                    problem("tablet " + std::to_string(i) + " changed " + key.first + "/" +
                            key.second + " and no listener told its app");
            }
            for (const auto& [key, row] : s.screen)
                if (!now.count(key))
                    problem("tablet " + std::to_string(i) + " let go of " + key.first + "/" +
                            key.second + " and no listener told its app");
            if (auto p = s.t->status().pending)
                problem("tablet " + std::to_string(i) + " still has " + std::to_string(p) +
                        " pending");
            for (const auto& def : server_->rep().tables().tables) {
                const auto units = units_of(i);
                auto mine = dump(tdb, def.name, {});
                auto theirs = dump(sdb, def.name, units);
                if (mine != theirs)
                    problem("tablet " + std::to_string(i) + " diverges from the server in " +
                            def.name + " (" + std::to_string(mine.size()) + " rows against " +
                            std::to_string(theirs.size()) + ")");
                if (!units.empty() && !def.is_global()) {
                    auto st = tdb.prepare("SELECT count(*) FROM " + def.name +
                                          " WHERE commune_code NOT IN " + in_list(units));
                    st.step();
                    if (st.column_int(0))
                        problem("tablet " + std::to_string(i) +
                                " holds rows of another commune in " + def.name);
                }
            }
        }
        check_nothing_lost();
        check_answers_taken();
        check_conflict_notices();
        check_labels();
        check_valid_writes_taken();
        if (opt_.hostile) check_hostile_left_no_trace();
        summary_.conflicts = server_->conflicts().size();
        summary_.quarantined = server_->quarantine().size();
    }

    // A wiped tablet holds none of its synced data and nothing to send; the server has the wipe
    // on record.
    void check_wiped(std::size_t i) {
        auto& s = tabs_[i];
        auto& tdb = s.t->rep().db();
        std::vector<std::string> holding;
        for (const auto& def : s.t->rep().tables().tables)
            holding.push_back(def.name);
        for (const char* t : {"noi_rows", "noi_pending", "noi_capture", "noi_rejected"})
            holding.push_back(t);
        for (const auto& table : holding) {
            auto st = tdb.prepare("SELECT count(*) FROM " + table);
            st.step();
            if (st.column_int(0))
                problem("wiped tablet " + std::to_string(i) + " still holds rows of " + table);
        }
        const auto dev = server_->find_device(s.dev.id);
        if (!dev || !dev->revoked || !dev->wiped_at_ms)
            problem("the server has no record of tablet " + std::to_string(i) + "'s wipe");
        if (!s.heard_wipe)
            problem("no listener told tablet " + std::to_string(i) + "'s app of its wipe");
    }

    // Every officer's answer reached the record: the quarantine entry is discarded, the admin log
    // names the device, and the tablet let the row go once the server had heard it. A wiped
    // tablet's answers not yet told went with its data.
    void check_answers_taken() {
        std::map<std::uint64_t, quarantine_state> state;
        const auto entries = server_->quarantine();
        for (const auto& q : entries)
            state[q.id] = q.status;
        std::set<std::pair<std::string, std::string>> logged; // account, target
        for (const auto& e : server_->access().admin_log(0, -1))
            logged.insert({e.account, e.target});
        for (const auto& a : answered_) {
            const auto& s = tabs_[a.tablet];
            if (s.wiped) continue;
            const auto what = "the answer to rejected row " + std::to_string(a.quarantine_id) +
                              " of tablet " + std::to_string(a.tablet);
            if (!state.count(a.quarantine_id)) {
                // Replaced by a later rejection of the row (a replayed push): the tablet heard
                // that one, for its officer to answer.
                const bool later = std::any_of(entries.begin(), entries.end(), [&](const auto& q) {
                    return q.device_id == s.dev.id && q.table == a.table && q.row_id == a.id &&
                           q.id > a.quarantine_id;
                });
                if (!later) problem(what + " took its quarantine entry away");
                continue;
            }
            if (state[a.quarantine_id] != quarantine_state::discarded)
                problem(what + " left its quarantine entry " +
                        std::string(to_string(state[a.quarantine_id])));
            if (!logged.count(
                    {"device:" + s.dev.id, "quarantine " + std::to_string(a.quarantine_id)}))
                problem(what + " is not in the admin log");
        }
        for (std::size_t i = 0; i < tabs_.size(); ++i)
            for (const auto& r : tabs_[i].t->rejected())
                if (r.answer)
                    problem("tablet " + std::to_string(i) + " still holds rejected row " +
                            std::to_string(r.quarantine_id) + ", " + *r.answer +
                            ", after rounds without faults");
    }

    // Each tablet was told of every conflict its device's writes are part of, of a row it still
    // reads, and of each one an admin decided; and of none other.
    // A tablet at the server's schema version holds the server's labels, whatever crashes and
    // cuts came between.
    void check_labels() {
        const auto held = server_->current_labels();
        for (std::size_t i = 0; i < tabs_.size(); ++i) {
            const auto& s = tabs_[i];
            if (s.wiped || s.t->schema_version() != server_->current_schema().version) continue;
            if (s.t->labels().entries() != held.entries())
                problem("tablet " + std::to_string(i) + " at schema version " +
                        std::to_string(s.t->schema_version()) +
                        " does not hold the server's labels");
        }
    }

    void check_conflict_notices() {
        for (std::size_t i = 0; i < tabs_.size(); ++i) {
            const auto& s = tabs_[i];
            if (s.wiped) continue;
            const auto dev = *server_->find_device(s.dev.id);
            std::map<std::uint64_t, conflict_row> told;
            for (auto& n : s.t->conflicts())
                told.emplace(n.conflict_id, std::move(n));
            std::set<std::uint64_t> involving;
            for (const auto& c : server_->conflicts({.involving = dev.id})) {
                involving.insert(c.id);
                const auto row = row_of(server_->rep().db(), c.table, c.row_id);
                const auto* unit = row && row->count("commune_code")
                                       ? std::get_if<std::string>(&row->at("commune_code"))
                                       : nullptr;
                if (!row || (!c.scope.empty() && !dev.reads(c.scope)) ||
                    (unit && !dev.reads(*unit)))
                    continue; // deleted, or no longer the device's to hear of
                const auto n = told.find(c.id);
                const auto who = "tablet " + std::to_string(i) + " (" + dev.id + ")";
                if (n == told.end()) {
                    problem(who + " was never told of conflict " + std::to_string(c.id) + " on " +
                            c.table + "/" + c.row_id);
                    continue;
                }
                summary_.notices++;
                if (n->second.decided != (c.status == conflict_status::resolved))
                    problem(who + " holds conflict " + std::to_string(c.id) + " as " +
                            (n->second.decided ? "decided" : "waiting for review") +
                            ", the server as " + std::string(to_string(c.status)));
            }
            for (const auto& [id, n] : told)
                if (!involving.count(id))
                    problem("tablet " + std::to_string(i) + " was told of conflict " +
                            std::to_string(id) + ", which none of its writes is part of");
        }
    }

    // §11: no write made under a unit the tablet was of when it wrote is quarantined for its
    // scope, whatever moved or merged before it reached the server.
    void check_valid_writes_taken() {
        // By the row's unit too: a tablet may insert a shared id under a wrong unit (refused)
        // and later under its own.
        std::set<std::tuple<std::string, std::string, std::string, std::string>> refused;
        for (const auto& q : server_->quarantine())
            if (q.reason == proto::reject_reason::out_of_scope) {
                const auto row = server_->quarantined_row(q.id);
                const auto* unit = row ? std::get_if<std::string>(&row->scope) : nullptr;
                refused.insert({q.device_id, q.table, q.row_id, unit ? *unit : ""});
            }
        for (const auto& w : log_)
            if (w.valid_scope && refused.count({tabs_[w.tablet].dev.id, w.table, w.id, w.scope}))
                problem("row " + w.id + " of " + w.table + ", written by tablet " +
                        std::to_string(w.tablet) +
                        " under a unit it was of, was quarantined as "
                        "out of scope");
    }

    // §7 property 2: every write is the final value of its cell, or was superseded by its own
    // site, or was seen by the write that beat it, or is a recorded conflict, or was rejected
    // and kept in quarantine and in the tablet's rejected rows.
    void check_nothing_lost() {
        auto& sdb = server_->rep().db();
        row_state_store states(sdb);
        std::map<std::string, site_id> site_of_device;
        {
            auto st = sdb.prepare("SELECT site, device_id FROM noi_sites");
            while (st.step()) {
                site_id sid{};
                auto b = st.column_blob(0);
                std::copy_n(b.begin(), 16, sid.begin());
                site_of_device[st.column_text(1)] = sid;
            }
        }
        std::set<std::tuple<std::string, std::string, std::string>> rejected; // device, table, id
        for (std::size_t i = 0; i < tabs_.size(); ++i)
            for (const auto& r : tabs_[i].t->rejected())
                rejected.insert({tabs_[i].dev.id, r.table, r.row_id});
        std::set<std::tuple<std::string, std::string, std::string>> quarantined;
        for (const auto& q : server_->quarantine())
            quarantined.insert({q.device_id, q.table, q.row_id});
        for (const auto& r : rejected)
            if (!quarantined.count(r))
                problem("row " + std::get<2>(r) + " rejected on " + std::get<0>(r) +
                        " is not in quarantine");

        // The last write of each (tablet, cell); earlier ones were superseded by their own site.
        std::map<std::tuple<std::size_t, std::string, std::string, std::string>, const write_rec*>
            last;
        for (const auto& w : log_) {
            last[{w.tablet, w.table, w.id, w.column}] = &w;
            if (w.column ==
                exists_col) // a delete or an insert supersedes the site's earlier cell writes
                for (auto it = last.begin(); it != last.end();)
                    it = (std::get<0>(it->first) == w.tablet && std::get<1>(it->first) == w.table &&
                          std::get<2>(it->first) == w.id && std::get<3>(it->first) != exists_col &&
                          it->second != &w && it->second < &w)
                             ? last.erase(it)
                             : std::next(it);
        }
        auto answered_later = [&](const write_rec* w) {
            const auto at = static_cast<std::size_t>(w - log_.data());
            return std::any_of(answered_.begin(), answered_.end(), [&](const answer_rec& a) {
                return a.tablet == w->tablet && a.table == w->table && a.id == w->id &&
                       at < a.log_mark;
            });
        };
        auto conflicts = server_->conflicts();
        for (const auto& [key, w] : last) {
            const auto& s = tabs_[w->tablet];
            const auto& dev = s.dev.id;
            if (rejected.count({dev, w->table, w->id}) || answered_later(w)) continue;
            // A wiped tablet's rows not yet acknowledged went with its data (its rejected rows
            // too, which the server still keeps in quarantine).
            if (s.wiped && (s.unsent_at_wipe.count({w->table, w->id}) ||
                            quarantined.count({dev, w->table, w->id})))
                continue;
            const auto* def = server_->rep().tables().find(w->table);
            auto st = states.load(w->table, w->id, def->columns.size());
            if (!st) {
                problem("write to " + w->table + "/" + w->id + " by " + dev +
                        " never reached the server");
                continue;
            }
            std::optional<cell_state> cell;
            value final_value;
            if (w->column == exists_col) {
                cell = st->exists;
                final_value = std::int64_t{st->alive ? 1 : 0};
            } else {
                auto ci = *def->column_index(w->column);
                cell = st->cells[ci];
                auto vals = server_->rep().db().prepare("SELECT " + w->column + " FROM " +
                                                        w->table + " WHERE id = ?1");
                vals.bind(1, w->id);
                final_value =
                    vals.step() ? vals.column(0) : (ci < st->tomb.size() ? st->tomb[ci] : value{});
            }
            if (final_value == w->val) continue;
            bool recorded =
                std::any_of(conflicts.begin(), conflicts.end(), [&](const conflict_record& c) {
                    if (c.table != w->table || c.row_id != w->id) return false;
                    if (c.kind == merge::conflict_kind::delete_update) return true;
                    return c.column == w->column &&
                           (c.winner.val == w->val || c.loser.val == w->val);
                });
            if (recorded) continue;
            // The roots: the final version, every version a conflict on this cell recorded, and
            // every version carrying one of their values (an equal value replaces a version
            // without a conflict, and keeps what it said).
            std::set<version> roots;
            std::vector<value> kept{final_value};
            if (cell) roots.insert(cell->ver);
            for (const auto& c : conflicts)
                if (c.table == w->table && c.row_id == w->id &&
                    c.column == std::optional(w->column)) {
                    roots.insert({c.winner.hlc, c.winner.site});
                    roots.insert({c.loser.hlc, c.loser.site});
                    kept.push_back(c.winner.val);
                    kept.push_back(c.loser.val);
                }
            for (const auto& a : server_->audit(w->table, w->id))
                for (const auto& c : a.cells)
                    if (c.column == w->column &&
                        std::find(kept.begin(), kept.end(), c.new_value) != kept.end())
                        roots.insert(c.ver);
            if (saw(w->table, w->id, w->column, roots, w->val)) continue;
            problem("write " + render(w->val) + " to " + w->table + "/" + w->id + "." + w->column +
                    " by " + dev + " was lost silently (final " + render(final_value) + ")" +
                    history_of(*w));
        }
        check_deletes_hide_nothing();
    }

    // The cell's story, printed with a failure so that a replayed seed explains itself.
    std::string history_of(const write_rec& w) {
        std::map<site_id, std::string> names;
        for (std::size_t i = 0; i < tabs_.size(); ++i)
            names[tabs_[i].t->rep().site()] = tabs_[i].dev.id;
        names[server_->rep().site()] = "server";
        auto ver = [&](const version& v) { return names[v.site] + "@" + std::to_string(v.hlc); };
        std::string out = "\n    writes:";
        for (const auto& x : log_)
            if (x.table == w.table && x.id == w.id &&
                (x.column == w.column || x.column == exists_col))
                out += " " + tabs_[x.tablet].dev.id + ":" + x.column + "=" + render(x.val);
        out += "\n    accepted:";
        for (const auto& a : server_->audit(w.table, w.id))
            for (const auto& c : a.cells)
                if (c.column == w.column || c.column == exists_col)
                    out += " [" + c.column + " " + render(c.new_value) + " " + ver(c.ver) +
                           " base " + (c.base ? ver(*c.base) : "-") + "]";
        out += "\n    conflicts:";
        for (const auto& c : server_->conflicts())
            if (c.table == w.table && c.row_id == w.id)
                out += " [" + std::string(to_string(c.kind)) + " " + c.column.value_or("-") + " " +
                       render(c.winner.val) + " over " + render(c.loser.val) + "]";
        for (const auto& q : server_->quarantine())
            if (q.table == w.table && q.row_id == w.id)
                out += "\n    quarantined from " + q.device_id + ": " +
                       std::string(proto::to_string(q.reason));
        return out;
    }

    // Whether a write that holds or lost a recorded conflict had seen the value `val`: through
    // the chain of bases in the audit history and each site's own earlier writes (the rule of
    // the executable model in docs/design.md §7: seen by its overwriter, or its very value was).
    bool saw(const std::string& table, const std::string& id, const std::string& column,
             std::set<version> todo, const value& val) {
        std::vector<audit_cell> chain;
        for (const auto& a : server_->audit(table, id))
            for (const auto& c : a.cells)
                if (c.column == column) chain.push_back(c);
        std::set<version> seen;
        while (!todo.empty()) {
            auto v = *todo.begin();
            todo.erase(todo.begin());
            if (!seen.insert(v).second) continue;
            for (std::size_t k = 0; k < chain.size(); ++k) {
                const auto& c = chain[k];
                if (c.ver == v && c.base) todo.insert(*c.base);
                if (c.ver.site == v.site && c.ver < v) todo.insert(c.ver);
                // An equal value replaced the version before it without a conflict and keeps
                // what that one said (seed 264848: two sites wrote one value, one had seen more).
                if (c.ver == v && k > 0 && c.old_value == c.new_value)
                    todo.insert(chain[k - 1].ver);
            }
        }
        return std::any_of(chain.begin(), chain.end(), [&](const audit_cell& c) {
            return seen.count(c.ver) && c.new_value == val;
        });
    }

    // §6a: a delete never hides an update from another site that it had not seen, unless the
    // pair is a recorded delete_update conflict.
    void check_deletes_hide_nothing() {
        auto& sdb = server_->rep().db();
        auto conflicts = server_->conflicts();
        auto rows = sdb.prepare("SELECT tbl, id FROM noi_rows");
        while (rows.step()) {
            auto table = rows.column_text(0), id = rows.column_text(1);
            const auto* def = server_->rep().tables().find(table);
            auto st = row_state_store(sdb).load(table, id, def->columns.size());
            if (!st || st->alive || !st->exists) continue;
            for (const auto& c : st->cells) {
                if (!c || c->ver.site == st->exists->ver.site) continue;
                if (std::find(st->seen.begin(), st->seen.end(), c->ver) != st->seen.end()) continue;
                bool recorded =
                    std::any_of(conflicts.begin(), conflicts.end(), [&](const conflict_record& r) {
                        return r.kind == merge::conflict_kind::delete_update && r.table == table &&
                               r.row_id == id;
                    });
                if (!recorded)
                    problem("delete of " + table + "/" + id + " hides an unseen update silently");
                break;
            }
        }
    }

    sim_options opt_;
    std::mt19937_64 rng_;
    manual_clock server_wall_;
    device hostile_;
    std::vector<std::string> units_{"01849", "01852"}; // the units writes may name
    bool merged_ = false;
    site_id hostile_site_{}, hostile_site2_{};
    std::uint64_t hostile_seq_ = 0, hostile_acked_ = 0, hostile2_acked_ = 0;
    std::string server_path_;
    std::unique_ptr<sqlite_store> server_, other_; // other_: the second instance, or none
    std::vector<sim_tablet> tabs_;
    std::vector<write_rec> log_;
    std::vector<answer_rec> answered_;
    sim_summary summary_;
    bool faults_ = true;
    bool nested_ = false; // inside a round run from another round's link
    std::uint64_t unique_ = 0;
    bool last_done_ = false;
    std::optional<proto::error> last_error_;
};

} // namespace

sim_summary run(const sim_options& opt) {
    std::filesystem::create_directories(opt.dir);
    try {
        return world(opt).run();
    } catch (const std::exception& e) {
        sim_summary s;
        s.problems.push_back(std::string("unexpected exception: ") + e.what());
        return s;
    }
}

} // namespace noi::sim
