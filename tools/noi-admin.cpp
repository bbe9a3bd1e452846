// noi-admin: the province administrator's tool, a thin client of /admin/v1 (CLI.md).
#include "admin/http_client.hpp"
#include "admin/labelled.hpp"
#include "local_time.hpp"
#include "terminal_text.hpp"

#include <noi/sync/hlc.hpp>
#include <noi/sync/schema_labels_json.hpp>
#include <noi/sync/unicode_text.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include <fstream>
#include <iostream>
#include <termios.h>
#include <unistd.h>

namespace {

using json = nlohmann::json;
enum exit_code { ok = 0, failure = 1, usage = 2, network = 3, credentials = 4 };

struct context {
    std::string server, token, ca_file, lang;
    bool as_json = false;
};

// Sends one request; prints the server's error and returns its exit code on failure.
int fetch(const context& c, const std::string& method, const std::string& target,
          const std::string& body, std::string& answer) {
    if (c.server.empty()) {
        std::cerr << "error: give --server URL or set NOI_SERVER\n";
        return usage;
    }
    // The server's refusals come in the admin's language.
    auto r = noi::admin::request(c.server, method, target, c.token, body, c.ca_file,
                                 std::chrono::seconds(30),
                                 noi::language_code(noi::admin::language_of(c.lang)));
    if (r.status == 401) {
        std::cerr
            << "error: the server refused the admin token; pass --token or set NOI_ADMIN_TOKEN\n";
        return credentials;
    }
    if (r.status >= 400) {
        json j = json::parse(r.body, nullptr, false);
        std::cerr << "error: "
                  << noi::tools::printable(j.is_object() && j.contains("error") &&
                                                   j["error"].is_string()
                                               ? j["error"].get<std::string>()
                                               : r.body)
                  << "\n";
        return r.status == 403 ? credentials : failure;
    }
    answer = std::move(r.body);
    return ok;
}

// A request whose answer is JSON.
int call(const context& c, const std::string& method, const std::string& target,
         const std::string& body, json& out) {
    std::string answer;
    if (int rc = fetch(c, method, target, body, answer); rc != ok) return rc;
    json j = json::parse(answer, nullptr, false);
    if (j.is_discarded()) {
        std::cerr << "error: the server's answer is not JSON; is " << c.server
                  << " a Nối server?\n";
        return failure;
    }
    out = std::move(j);
    return ok;
}

using noi::admin::text;

// A value as JSON writes it (text in quotes), its control characters escaped.
std::string as_json(const json& v) {
    return noi::tools::printable(v.dump(-1, ' ', false, json::error_handler_t::replace));
}

// A text the server gives in both languages ({"vi", "en"}), in `lang`; `english` from a server
// before it gave them.
std::string in_language(const json& texts, const json& english, noi::language lang) {
    const auto words = texts.is_object() ? texts.value(noi::language_code(lang), "") : "";
    return words.empty() ? text(english) : noi::tools::printable(words);
}

// A machine field (a reason code, an action) with the server's words for it in `lang` before it.
std::string with_words(const json& texts, const json& field, noi::language lang) {
    const auto words = texts.is_object() ? texts.value(noi::language_code(lang), "") : "";
    if (words.empty() || !field.is_string()) return text(field);
    return noi::admin::with_name(words, field.get<std::string>());
}

// A time as people here read it (Asia/Ho_Chi_Minh); "-" for none.
std::string when(const json& v) {
    if (!v.is_string()) return "-";
    return noi::tools::vietnam_time(v.get<std::string>()).value_or(text(v));
}

// A device's revocation in device list: with its wipe, ordered or done.
std::string revoked_text(const json& d) {
    if (!d["revoked"].get<bool>()) return "";
    if (d.contains("wiped_at") && d["wiped_at"].is_string())
        return "revoked, wiped " + when(d["wiped_at"]);
    if (d.contains("wipe_ordered_at") && d["wipe_ordered_at"].is_string())
        return "revoked, wipe ordered";
    return "revoked";
}

// "Name (id)", or the id alone for a device without a name.
std::string named(const json& name, const json& id) {
    if (!name.is_string() || name.get<std::string>().empty()) return text(id);
    return text(name) + " (" + text(id) + ")";
}

// Terminal columns: combining marks (text typed decomposed) take none.
std::size_t columns_of(const std::string& s) {
    return noi::display_width(s);
}

void print_table(const json& rows, const std::vector<std::string>& cols) {
    std::vector<std::size_t> w(cols.size());
    for (std::size_t i = 0; i < cols.size(); ++i)
        w[i] = cols[i].size();
    for (const auto& r : rows)
        for (std::size_t i = 0; i < cols.size(); ++i)
            w[i] = std::max(w[i], columns_of(text(r[cols[i]])));
    // The last column is not padded: no line ends in spaces.
    auto cell = [&](const std::string& s, std::size_t i) {
        std::cout << s << (i + 1 < cols.size() ? std::string(w[i] + 2 - columns_of(s), ' ') : "");
    };
    for (std::size_t i = 0; i < cols.size(); ++i)
        cell(cols[i], i);
    std::cout << "\n";
    for (const auto& r : rows) {
        for (std::size_t i = 0; i < cols.size(); ++i)
            cell(text(r[cols[i]]), i);
        std::cout << "\n";
    }
}

std::string enc(const std::string& s) {
    return noi::admin::encode_component(s);
}

// A password from standard input's first line, or typed twice at the terminal without echo;
// nullopt (with the reason printed) when there is neither or the two differ.
std::optional<std::string> read_password(bool from_stdin, const std::string& account) {
    std::string pw;
    if (from_stdin) {
        if (!std::getline(std::cin, pw)) {
            std::cerr << "error: --password-stdin found no line on standard input\n";
            return std::nullopt;
        }
        if (!pw.empty() && pw.back() == '\r') pw.pop_back();
        return pw;
    }
    if (!isatty(STDIN_FILENO)) {
        std::cerr << "error: standard input is not a terminal; give --password-stdin to read the "
                     "password from it\n";
        return std::nullopt;
    }
    auto ask = [](const char* prompt) {
        std::cerr << prompt << std::flush;
        termios before{};
        tcgetattr(STDIN_FILENO, &before);
        termios quiet = before;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        std::string line;
        std::getline(std::cin, line);
        tcsetattr(STDIN_FILENO, TCSANOW, &before);
        std::cerr << "\n";
        return line;
    };
    pw = ask(("console password for " + account + ": ").c_str());
    if (ask("the same again: ") != pw) {
        std::cerr << "error: the two passwords differ; nothing was changed\n";
        return std::nullopt;
    }
    return pw;
}

// The schema as people read it: each table with its scope and label, its columns under it, an
// enumeration's values after its column.
void print_schema(const json& s, noi::language lang) {
    const auto labels = noi::labels_in(s["tables"]);
    const auto label = [&](const noi::proto::schema_label* l) {
        return l ? text(noi::text_in(*l, lang)) : std::string();
    };
    std::cout << "schema version " << s["version"] << "\n";
    for (const auto& t : s["tables"]) {
        const auto& table = t["name"].get_ref<const std::string&>();
        const auto shown = label(labels.table(table));
        std::cout << "\n"
                  << text(t["name"])
                  << (t["scope"].is_null() ? std::string(" (global)")
                                           : " (scope " + text(t["scope"]) + ")")
                  << (shown.empty() ? "" : ": " + shown) << "\n";
        json rows = json::array();
        for (const auto& col : t["columns"]) {
            const auto& column = col["name"].get_ref<const std::string&>();
            std::string values;
            for (const auto* v : labels.values_of(table, column))
                values += (values.empty() ? "" : ", ") + text(*v->value) + " " + label(v);
            rows.push_back({{"  column", "  " + text(col["name"])},
                            {"type", col["type"]},
                            {"label", label(labels.column(table, column))},
                            {"values", values}});
        }
        print_table(rows, {"  column", "type", "label", "values"});
    }
    if (s["history"].empty()) return;
    std::cout << "\nhistory (version 1 is the default NTM criterion-19 schema)\n";
    json rows = json::array();
    for (const auto& h : s["history"])
        rows.push_back({{"version", h["version"]},
                        {"applied", when(h["applied_at"])},
                        {"by", h["applied_by"]},
                        {"added", h["changes"]}});
    print_table(rows, {"version", "applied", "by", "added"});
}

// A comma-separated text's fields as typed, empty ones included (a CSV line without quotes).
std::vector<std::string> comma_fields(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t at = 0;;) {
        const auto comma = text.find(',', at);
        out.push_back(text.substr(at, comma == std::string::npos ? comma : comma - at));
        if (comma == std::string::npos) return out;
        at = comma + 1;
    }
}

// A list typed ITEM[,ITEM…] (codes, ids), as a JSON array without empty items.
json comma_list(const std::string& text) {
    json out = json::array();
    for (auto& item : comma_fields(text))
        if (!item.empty()) out.push_back(std::move(item));
    return out;
}

// A reorganisation file's lines as the API takes them: the shipped lineage file
// (new_code,new_name,old_code,old_name,share) or old_code,new_code[,new_name[,whole|part]], with
// or without its header. Only lines whose old code is in `codes` are kept: the country's file
// names every province's units. nullopt (with the reason printed) for a file it cannot read.
std::optional<json> reorganisation_lines(const std::string& file,
                                         const std::set<std::string>& codes) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::cerr << "error: cannot read " << noi::tools::printable(file) << "\n";
        return std::nullopt;
    }
    json lines = json::array();
    std::string line;
    bool lineage = false, first = true;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (first && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
        const auto f = comma_fields(line);
        if (std::exchange(first, false) && !f.empty() &&
            (f[0] == "new_code" || f[0] == "old_code")) {
            lineage = f[0] == "new_code";
            continue;
        }
        if (line.empty()) continue;
        if (f.size() < 2 || (lineage && f.size() < 5)) {
            std::cerr << "error: line " << n << " of " << noi::tools::printable(file)
                      << " is not old_code,new_code[,new_name[,whole|part]] (or the shipped "
                         "lineage file's new_code,new_name,old_code,old_name,share)\n";
            return std::nullopt;
        }
        json l =
            lineage
                ? json{{"old_code", f[2]}, {"new_code", f[0]}, {"new_name", f[1]}, {"share", f[4]}}
                : json{{"old_code", f[0]},
                       {"new_code", f[1]},
                       {"new_name", f.size() > 2 ? f[2] : ""},
                       {"share", f.size() > 3 ? f[3] : "whole"}};
        if (codes.count(l["old_code"].get<std::string>())) lines.push_back(std::move(l));
    }
    return lines;
}

// A change's impact: the new units, the rows and devices it moves, what it left out.
void print_impact(const json& m) {
    if (m["dry_run"].get<bool>())
        std::cout << "dry run: nothing was changed\n";
    else
        std::cout << "change " << m["change_id"] << " applied\n";
    for (const auto& u : m["units"]) {
        std::string from;
        for (const auto& f : u["from"])
            from += (from.empty() ? "" : ", ") + text(f);
        std::cout << "  " << text(u["id"]) << " " << text(u["name"]) << " (" << text(u["kind"])
                  << ") ← " << from << "\n";
    }
    std::uint64_t rows = 0;
    for (const auto& [table, n] : m["rows"].items())
        rows += n.get<std::uint64_t>();
    std::cout << rows << " rows change unit";
    for (const auto& [table, n] : m["rows"].items())
        std::cout << (table == m["rows"].begin().key() ? ": " : ", ") << table << " " << n;
    std::cout << "\n";
    if (!m["devices"].empty()) {
        json rows_out = json::array();
        for (const auto& d : m["devices"])
            rows_out.push_back(
                {{"device", named(d["name"], d["device_id"])},
                 {"from", d["from"]},
                 {"to", d["to"]},
                 {"pending", d["pending"]},
                 {"last contact", when(d["last_contact_at"])},
                 {"download",
                  std::to_string(d["download_rows"].get<std::uint64_t>()) + " rows, ~" +
                      std::to_string((d["download_bytes"].get<std::uint64_t>() + 1023) / 1024) +
                      " KiB"}});
        print_table(rows_out, {"device", "from", "to", "pending", "last contact", "download"});
    }
    for (const auto& note : m["skipped"])
        std::cout << "not applied: " << text(note) << "\n";
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"noi-admin: enrol and revoke tablets, and look after the province's data"};
    app.set_version_flag("--version", std::string("noi-admin ") + NOI_VERSION);
    // --server, --token and --ca-file may come anywhere, after the command too.
    app.fallthrough();
    context c;
    if (const char* s = std::getenv("NOI_SERVER")) c.server = s;
    if (const char* t = std::getenv("NOI_ADMIN_TOKEN")) c.token = t;
    if (const char* f = std::getenv("NOI_CA_FILE")) c.ca_file = f;
    app.add_option("--server", c.server,
                   "Server URL, https://HOST:PORT or http://HOST:PORT (wss://HOST:PORT/sync as the "
                   "console's QR code gives it is taken too; default $NOI_SERVER)");
    app.add_option("--token", c.token, "Admin token (default $NOI_ADMIN_TOKEN)");
    app.add_option("--lang", c.lang,
                   "vi or en: the language of the schema's labels in tables (default: the one "
                   "LC_ALL, LC_MESSAGES or LANG names, else en)")
        ->check(CLI::IsMember({"vi", "en"}));
    app.add_option("--ca-file", c.ca_file,
                   "Extra trusted CA for https://, a private provincial CA (default $NOI_CA_FILE)")
        ->check(CLI::ExistingFile);
    app.require_subcommand(1);

    auto* dev = app.add_subcommand("device", "Enrol, list and revoke devices");
    dev->require_subcommand(1);
    std::string commune, name, device_id;
    bool province = false;
    auto* add = dev->add_subcommand(
        "add", "Enrol a tablet for one commune, or a province-wide device; shows its token once");
    auto* commune_opt = add->add_option("--commune", commune, "The commune's 5-digit code");
    auto* province_opt = add->add_flag("--province", province, "A province-wide device (scope *)");
    commune_opt->excludes(province_opt);
    add->add_option("--name", name, "A name to recognise the device by");
    add->add_flag("--json", c.as_json, "Print JSON");
    auto* list = dev->add_subcommand("list", "Every device");
    std::string name_part;
    list->add_option("--name", name_part,
                     "Only devices whose name contains this (typed NFC or NFD alike)");
    list->add_flag("--json", c.as_json, "Print JSON");
    auto* revoke =
        dev->add_subcommand("revoke", "Stop a device's token at once and close its connections");
    revoke->add_option("device_id", device_id, "The device to revoke")->required();
    bool wipe = false;
    revoke->add_flag("--wipe", wipe,
                     "Also have the tablet delete its synced data at its next contact (a lost or "
                     "stolen tablet); without it, the tablet keeps its data and pending writes");
    revoke->add_flag("--json", c.as_json, "Print JSON");
    auto* dtoken = dev->add_subcommand(
        "token", "A new token for a device in place of its old ones (lost, or seen by others); "
                 "give it to the tablet with noi-client set-token");
    dtoken->add_option("device_id", device_id, "The device")->required();
    dtoken->add_flag("--json", c.as_json, "Print JSON");
    auto* ddelete = dev->add_subcommand(
        "delete", "Delete a device enrolled by mistake that never synced (one that synced is "
                  "kept on record: revoke it)");
    ddelete->add_option("device_id", device_id, "The device")->required();
    ddelete->add_flag("--json", c.as_json, "Print JSON");
    std::string move_to;
    auto* dmove = dev->add_subcommand(
        "move", "The device serves another commune from now on (its officer moved); what it wrote "
                "for the old one still syncs, then the tablet holds the new commune's rows");
    dmove->add_option("device_id", device_id, "The device")->required();
    dmove->add_option("--commune", move_to, "The code of the commune it serves now")->required();
    dmove->add_flag("--json", c.as_json, "Print JSON");

    auto* acct = app.add_subcommand("account", "Named admin and viewer accounts and their tokens");
    acct->require_subcommand(1);
    std::string account_name, role, communes_csv;
    auto* aadd = acct->add_subcommand("add", "A new account; shows its first token once");
    aadd->add_option("--name", account_name, "1 to 64 of A-Z a-z 0-9 . _ - @")->required();
    aadd->add_option("--role", role, "admin (everything) or viewer (read-only)")
        ->required()
        ->check(CLI::IsMember({"admin", "viewer"}));
    aadd->add_option("--communes", communes_csv,
                     "A viewer sees only these communes: CODE,CODE,...");
    bool password_stdin = false;
    aadd->add_flag("--password-stdin", password_stdin,
                   "Read a web console password from standard input's first line");
    aadd->add_flag("--json", c.as_json, "Print JSON");
    auto* apasswd = acct->add_subcommand(
        "passwd", "Set an account's web console password (asked twice at the terminal)");
    apasswd->add_option("name", account_name, "The account")->required();
    apasswd->add_flag("--password-stdin", password_stdin,
                      "Read the password from standard input's first line");
    apasswd->add_flag("--json", c.as_json, "Print JSON");
    auto* alist = acct->add_subcommand("list", "Every account, never its tokens");
    alist->add_flag("--json", c.as_json, "Print JSON");
    auto* adisable = acct->add_subcommand("disable", "Stop every token of an account at once");
    adisable->add_option("name", account_name, "The account")->required();
    adisable->add_flag("--json", c.as_json, "Print JSON");
    auto* atoken = acct->add_subcommand(
        "token", "A new token for an account (older ones keep working until it is disabled)");
    atoken->add_option("name", account_name, "The account")->required();
    atoken->add_flag("--json", c.as_json, "Print JSON");

    auto* log = app.add_subcommand("log", "What accounts changed, newest first");
    int log_limit = 50;
    log->add_option("--limit", log_limit, "How many entries (1 to 500)")
        ->capture_default_str()
        ->check(CLI::Range(1, 500));
    log->add_flag("--json", c.as_json, "Print JSON");

    auto* conflicts =
        app.add_subcommand("conflicts", "The conflicts inbox: list, show and resolve");
    conflicts->require_subcommand(1);
    std::string status = "open", table, value_json, keep, row;
    std::uint64_t id = 0;
    bool force = false, csv = false;
    int year = 0;
    auto* clist = conflicts->add_subcommand("list", "Conflicts, open ones by default");
    clist->add_option("--status", status, "open, resolved or all")
        ->check(CLI::IsMember({"open", "resolved", "all"}));
    clist->add_option("--commune", commune, "Only this commune");
    clist->add_option("--table", table, "Only this table");
    std::string conflict_device;
    clist->add_option("--device", conflict_device, "Only those this device's pushes made");
    clist->add_flag("--json", c.as_json, "Print JSON");
    auto* cshow = conflicts->add_subcommand(
        "show", "Both versions, their devices and times, and the row as it is now");
    cshow->add_option("id", id, "Conflict id")->required();
    cshow->add_flag("--json", c.as_json, "Print JSON");
    auto* cresolve =
        conflicts->add_subcommand("resolve", "Keep one device's side, or write a new value");
    auto* cid_opt = cresolve->add_option("id", id, "Conflict id");
    auto* cdevice_opt = cresolve->add_option(
        "--device", conflict_device,
        "Instead of an id: every open conflict this device's pushes made, each row kept as it "
        "stands");
    cid_opt->excludes(cdevice_opt);
    auto* keep_opt = cresolve->add_option(
        "--keep", keep, "The device whose side to keep: its id, or its name as listed");
    auto* value_opt = cresolve->add_option(
        "--value", value_json, "A new value as a JSON scalar, e.g. 5 or '\"Nà Pài\"' or null");
    keep_opt->excludes(value_opt);
    cdevice_opt->excludes(keep_opt)->excludes(value_opt);
    cresolve->add_flag("--force", force, "Resolve even if the cell changed again since");
    std::string by = std::getenv("USER") ? std::getenv("USER") : "admin";
    cresolve->add_option("--by", by, "Who resolves it, for the record (default $USER)");
    cresolve->add_flag("--json", c.as_json, "Print JSON");

    auto* quarantine = app.add_subcommand("quarantine", "Rows the server rejected");
    quarantine->require_subcommand(1);
    auto* qlist = quarantine->add_subcommand(
        "list", "Rejected rows, those waiting for a decision by default");
    qlist->add_option("--status", status, "open, discarded, released or all")
        ->check(CLI::IsMember({"open", "discarded", "released", "all"}));
    qlist->add_flag("--json", c.as_json, "Print JSON");
    auto* qshow =
        quarantine->add_subcommand("show", "A rejected row's values, its reason and who sent it");
    qshow->add_option("id", id, "Quarantine id")->required();
    qshow->add_flag("--json", c.as_json, "Print JSON");
    auto* qdiscard = quarantine->add_subcommand(
        "discard", "Drop a rejected row, or with --all every open one (of a device, of a reason)");
    auto* qid_opt = qdiscard->add_option("id", id, "Quarantine id");
    bool discard_all = false;
    std::string reason;
    auto* all_opt = qdiscard->add_flag(
        "--all", discard_all, "Every open rejected row (narrow it with --device and --reason)");
    qid_opt->excludes(all_opt);
    qdiscard->add_option("--device", device_id, "With --all: only this device's")->needs(all_opt);
    qdiscard->add_option("--reason", reason, "With --all: only this reason, e.g. global_table")
        ->needs(all_opt);
    qdiscard->add_flag("--json", c.as_json, "Print JSON");
    auto* qrelease = quarantine->add_subcommand(
        "release", "Apply a rejected row once its reason no longer holds");
    qrelease->add_option("id", id, "Quarantine id")->required();
    qrelease->add_flag("--json", c.as_json, "Print JSON");

    int silent_days = 7;
    bool fail_if_any = false;
    auto* fleet = app.add_subcommand("status", "Fleet health, one row per device");
    fleet
        ->add_option("--silent-days", silent_days,
                     "Flag devices not heard from for longer (1 to 3650)")
        ->capture_default_str()
        ->check(CLI::Range(1, 3650));
    fleet->add_flag("--fail-if-any", fail_if_any,
                    "Exit 1 when a device is silent, revoked but still trying, behind the schema "
                    "or has a wrong clock (for cron)");
    fleet->add_flag("--json", c.as_json, "Print JSON");

    auto* history = app.add_subcommand(
        "history", "Every accepted change of a row, with conflicts and resolutions");
    history->add_option("--table", table, "Table (found from the row id when left out)");
    history->add_option("--row", row, "Row id")->required();
    history->add_flag("--json", c.as_json, "Print JSON");

    auto* rows_cmd = app.add_subcommand("rows", "Rows that need an admin's eye");
    rows_cmd->require_subcommand(1);
    std::string move_table, move_ids, move_where, rows_to;
    bool dry_run = false;
    auto* rmove = rows_cmd->add_subcommand(
        "move", "Move rows to another commune (a household that moved): its tablets take them "
                "whole, the old commune's let them go");
    rmove->add_option("--table", move_table, "The table, e.g. household")->required();
    auto* ids_opt = rmove->add_option("--ids", move_ids, "The rows' ids, ID[,ID…]");
    auto* where_opt =
        rmove->add_option("--where", move_where, "Rows whose COLUMN holds VALUE: COLUMN=VALUE");
    ids_opt->excludes(where_opt);
    rmove->add_option("--to", rows_to, "The code of the commune they go to")->required();
    rmove->add_flag("--dry-run", dry_run, "Change nothing; list the rows that would move");
    rmove->add_flag("--json", c.as_json, "Print JSON");
    auto* too_large = rows_cmd->add_subcommand(
        "too-large", "Rows larger than a tablet may send now; those no pull carries come first");
    too_large->add_flag("--json", c.as_json, "Print JSON");

    auto* report = app.add_subcommand("report", "Reports");
    report->require_subcommand(1);
    auto* c19 = report->add_subcommand(
        "criterion19",
        "Communes meeting criterion 19 (19.1 and 19.2), per district (per province after 2025)");
    c19->add_option("--year", year, "The year (default: the latest with an assessment)");
    std::string geography = "historical";
    c19->add_option("--geography", geography,
                    "historical: the communes of the year's map (by district before 2025-07-01); "
                    "current: today's units, older assessments counted where theirs went")
        ->check(CLI::IsMember({"historical", "current"}))
        ->default_val("historical");
    auto* csv_opt = c19->add_flag(
        "--csv", csv, "CSV for a spreadsheet (UTF-8 with a BOM, so Excel reads Vietnamese)");
    bool no_bom = false, by_commune = false;
    auto* no_bom_opt =
        c19->add_flag("--no-bom", no_bom, "With --csv: no byte order mark (for scripts)");
    auto* by_commune_opt = c19->add_flag(
        "--by-commune", by_commune, "With --csv: one line per commune, named, with its district");
    c19->add_flag("--json", c.as_json, "Print JSON");
    std::string xlsx_file;
    c19->add_option("--xlsx", xlsx_file,
                    "Write the report as an Excel workbook to this file (a sheet of districts, "
                    "or provinces, and one of communes, in Vietnamese)")
        ->excludes(csv_opt)
        ->excludes(no_bom_opt)
        ->excludes(by_commune_opt);

    auto* reference = app.add_subcommand(
        "reference", "The province's reference data (the communes): read it, and change it as "
                     "no tablet may; every change is in the admin log");
    reference->require_subcommand(1);
    std::string ref_table, ref_id, ref_object;
    std::vector<std::string> ref_values;
    auto* rlist = reference->add_subcommand("list", "Every row of a reference table");
    rlist->add_option("TABLE", ref_table, "The table, e.g. commune")->required();
    rlist->add_flag("--json", c.as_json, "Print JSON");
    auto* rshow = reference->add_subcommand("show", "One row of a reference table");
    rshow->add_option("TABLE", ref_table, "The table, e.g. commune")->required();
    rshow->add_option("ID", ref_id, "The row's id, e.g. a commune's code")->required();
    rshow->add_flag("--json", c.as_json, "Print JSON");
    auto* rset = reference->add_subcommand(
        "set", "Make a row or change its cells; every tablet takes it at its next sync");
    rset->add_option("TABLE", ref_table, "The table, e.g. commune")->required();
    rset->add_option("ID", ref_id, "The row's id, e.g. a commune's code")->required();
    rset->add_option("--value", ref_values,
                     "COLUMN=JSON, once per column: name='\"Phường Dương Quang\"', key_area=1");
    rset->add_option("--values", ref_object,
                     "Instead or as well: a JSON object of column → value, e.g. "
                     "'{\"name\": \"Phường Dương Quang\", \"kind\": \"phuong\"}'");
    rset->add_flag("--json", c.as_json, "Print JSON");
    auto* rdelete = reference->add_subcommand(
        "delete", "Delete a row; every tablet drops it at its next sync (set brings it back)");
    rdelete->add_option("TABLE", ref_table, "The table, e.g. commune")->required();
    rdelete->add_option("ID", ref_id, "The row's id")->required();
    rdelete->add_flag("--json", c.as_json, "Print JSON");

    auto* schema_cmd = app.add_subcommand(
        "schema", "The application's tables and columns, and publishing a new version of them");
    schema_cmd->require_subcommand(1);
    auto* sshow =
        schema_cmd->add_subcommand("show", "The current version, every table and column, history");
    sshow->add_flag("--json", c.as_json, "Print JSON, the shape schema apply takes");
    std::string schema_file;
    auto* sapply = schema_cmd->add_subcommand(
        "apply", "Publish a new version: new tables and new columns only; tablets follow it");
    sapply
        ->add_option("FILE", schema_file,
                     "The new version as JSON, as show --json prints it, with version + 1")
        ->required()
        ->check(CLI::ExistingFile);
    sapply->add_flag("--json", c.as_json, "Print JSON");

    auto* scope = app.add_subcommand(
        "scope", "The province's map: its units, and merging them when the map changes");
    scope->require_subcommand(1);
    bool all_units = false;
    std::string on_day, from_codes, into_code, effective, unit_name, unit_kind, basis, map_file;
    auto* sunits = scope->add_subcommand("units", "The units valid today, with their lineage");
    sunits->add_flag("--all", all_units, "Retired units too");
    sunits->add_option("--on", on_day, "The units valid on a day, YYYY-MM-DD");
    sunits->add_flag("--json", c.as_json, "Print JSON");
    auto* schanges =
        scope->add_subcommand("changes", "The changes of the map applied, oldest first");
    schanges->add_flag("--json", c.as_json, "Print JSON");
    auto* smerge = scope->add_subcommand(
        "merge", "Merge units into one from a day on; their rows, devices and tablets follow");
    smerge->add_option("--from", from_codes, "The codes of the units that go in, CODE[,CODE…]")
        ->required();
    smerge->add_option("--into", into_code, "The code of the unit they make")->required();
    smerge->add_option("--effective", effective, "The day it takes effect, YYYY-MM-DD")->required();
    smerge->add_option("--name", unit_name,
                       "The new unit's name (default: the unit with its code)");
    smerge->add_option("--kind", unit_kind,
                       "xa, phuong or dac_khu (default: the unit with its code)");
    smerge->add_option("--basis", basis, "The legal basis, e.g. Nghị quyết 1683/NQ-UBTVQH15");
    smerge->add_flag("--dry-run", dry_run, "Change nothing; print what would change");
    smerge->add_flag("--json", c.as_json, "Print JSON");
    auto* sreorg = scope->add_subcommand(
        "reorganise", "Apply a whole new map from a lineage file (shared/data/"
                      "vietnam-2025-07-lineage.csv, or old_code,new_code[,new_name])");
    sreorg->add_option("FILE", map_file, "The lineage file")->required()->check(CLI::ExistingFile);
    sreorg->add_option("--effective", effective, "The day it takes effect, YYYY-MM-DD")->required();
    sreorg->add_option("--basis", basis, "The legal basis");
    sreorg->add_flag("--dry-run", dry_run, "Change nothing; print what would change");
    sreorg->add_flag("--json", c.as_json, "Print JSON");

    try {
        app.parse(argc, argv);
        if (*add && commune.empty() && !province)
            throw CLI::RequiredError("--commune or --province");
        if (*qdiscard && !discard_all && qid_opt->count() == 0)
            throw CLI::RequiredError("a quarantine id, or --all");
        if (*cresolve && cid_opt->count() == 0 && cdevice_opt->count() == 0)
            throw CLI::RequiredError("a conflict id, or --device");
        if (*rset && ref_values.empty() && ref_object.empty())
            throw CLI::RequiredError("--value COLUMN=JSON, or --values with a JSON object");
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? ok : usage;
    }

    try {
        json out;
        int rc = ok;
        noi::admin::labelled names(noi::admin::language_of(c.lang), [&]() -> std::optional<json> {
            // Labels are a help to read by: without them the names are printed as they are.
            std::string answer;
            std::ostringstream quiet;
            auto* was = std::cerr.rdbuf(quiet.rdbuf());
            const int got = fetch(c, "GET", "/admin/v1/schema", "", answer);
            std::cerr.rdbuf(was);
            json s = json::parse(answer, nullptr, false);
            if (got != ok || !s.is_object()) return std::nullopt;
            return s;
        });
        if (*aadd) {
            json body{{"name", account_name}, {"role", role}, {"communes", json::array()}};
            body["communes"] = comma_list(communes_csv);
            if (password_stdin) {
                auto pw = read_password(true, account_name);
                if (!pw) return usage;
                body["password"] = *pw;
            }
            rc = call(c, "POST", "/admin/v1/accounts", body.dump(), out);
            if (rc == ok && !c.as_json)
                std::cout << "account " << text(out["name"]) << " (" << text(out["role"])
                          << ")\ntoken (shown only now): " << text(out["token"]) << "\n";
        } else if (*alist) {
            rc = call(c, "GET", "/admin/v1/accounts", "", out);
            if (rc == ok && !c.as_json) {
                json rows = json::array();
                for (const auto& a : out) {
                    std::string list;
                    for (const auto& x : a["communes"])
                        list += (list.empty() ? "" : ",") + x.get<std::string>();
                    rows.push_back({{"name", a["name"]},
                                    {"role", a["role"]},
                                    {"communes", list.empty() ? "all" : list},
                                    {"disabled", a["disabled"]},
                                    {"password", a.value("password", false) ? "set" : "-"},
                                    {"created_at", a["created_at"]}});
                }
                print_table(rows,
                            {"name", "role", "communes", "disabled", "password", "created_at"});
            }
        } else if (*apasswd) {
            auto pw = read_password(password_stdin, account_name);
            if (!pw) return usage;
            rc = call(c, "POST", "/admin/v1/accounts/" + enc(account_name) + "/password",
                      json{{"password", *pw}}.dump(), out);
            if (rc == ok && !c.as_json)
                std::cout << "set the console password of " << text(out["name"]) << "\n";
        } else if (*log) {
            rc = call(c, "GET", "/admin/v1/log?limit=" + std::to_string(log_limit), "", out);
            if (rc == ok && !c.as_json) {
                json rows = json::array();
                for (const auto& e : out)
                    rows.push_back({{"at", when(e["at"])},
                                    {"account", e["account"]},
                                    {"action", with_words(e.value("action_text", json()),
                                                          e["action"], names.lang())},
                                    {"target", e["target"]},
                                    {"detail", in_language(e.value("detail_text", json()),
                                                           e["detail"], names.lang())}});
                print_table(rows, {"at", "account", "action", "target", "detail"});
            }
        } else if (*adisable) {
            rc = call(c, "POST", "/admin/v1/accounts/" + enc(account_name) + "/disable", "", out);
            if (rc == ok && !c.as_json)
                std::cout << "disabled account " << text(out["name"]) << "\n";
        } else if (*atoken) {
            rc = call(c, "POST", "/admin/v1/accounts/" + enc(account_name) + "/token", "", out);
            if (rc == ok && !c.as_json)
                std::cout << "new token for " << text(out["name"])
                          << " (shown only now): " << text(out["token"]) << "\n";
        } else if (*add) {
            json body{{"name", name}};
            if (province)
                body["province"] = true;
            else
                body["commune"] = commune;
            rc = call(c, "POST", "/admin/v1/devices", body.dump(), out);
            if (rc == ok && out.contains("warning"))
                std::cerr << "warning: " << text(out["warning"]) << "\n";
            if (rc == ok && !c.as_json)
                std::cout << "enrolled " << out["device_id"].get<std::string>() << " for "
                          << (out["scope"] == "*" ? std::string("the whole province")
                                                  : "commune " + out["scope"].get<std::string>())
                          << "\ntoken (shown only now): " << out["token"].get<std::string>()
                          << "\n";
        } else if (*list) {
            rc = call(c, "GET",
                      "/admin/v1/devices" +
                          (name_part.empty() ? std::string() : "?name=" + enc(name_part)),
                      "", out);
            if (rc == ok && !c.as_json) {
                json rows = json::array();
                for (const auto& d : out)
                    rows.push_back({{"device_id", d["device_id"]},
                                    {"name", d["name"]},
                                    {"commune", d["scope"]},
                                    {"last sync", when(d["last_sync_at"])},
                                    {"revoked", revoked_text(d)}});
                print_table(rows, {"device_id", "name", "commune", "last sync", "revoked"});
            }
        } else if (*revoke) {
            rc = call(c, "POST", "/admin/v1/devices/" + enc(device_id) + "/revoke",
                      wipe ? json{{"wipe", true}}.dump() : "", out);
            if (rc == ok && !c.as_json)
                std::cout << "revoked " << device_id
                          << (wipe ? "; its tablet deletes its synced data at its next contact, "
                                     "and device list shows when it did\n"
                                   : "\n");
        } else if (*ddelete) {
            rc = call(c, "DELETE", "/admin/v1/devices/" + enc(device_id), "", out);
            if (rc == ok && !c.as_json) std::cout << "deleted " << device_id << "\n";
        } else if (*dmove) {
            rc = call(c, "POST", "/admin/v1/devices/" + enc(device_id) + "/move",
                      json{{"commune", move_to}}.dump(), out);
            if (rc == ok && !c.as_json)
                std::cout << "moved " << text(out["device_id"]) << " from " << text(out["from"])
                          << " to " << text(out["scope"]) << "; its tablet sends what it wrote for "
                          << text(out["from"])
                          << ", then takes its new commune's rows at its next sync\n";
        } else if (*dtoken) {
            rc = call(c, "POST", "/admin/v1/devices/" + enc(device_id) + "/token", "", out);
            if (rc == ok && !c.as_json)
                std::cout << "new token for " << text(out["device_id"])
                          << " (shown only now; its older tokens no longer work): "
                          << text(out["token"]) << "\n";
        } else if (*clist) {
            std::string target = "/admin/v1/conflicts?status=" + enc(status);
            if (!commune.empty()) target += "&commune=" + enc(commune);
            if (!table.empty()) target += "&table=" + enc(table);
            if (!conflict_device.empty()) target += "&device_id=" + enc(conflict_device);
            rc = call(c, "GET", target, "", out);
            if (rc == ok && !c.as_json) {
                json rows = json::array();
                for (const auto& x : out) {
                    const auto side = [&](const json& v) {
                        return names.value(x["table"], x["column"], v["value"], text(v["value"])) +
                               " (" + named(v["device_name"], v["device_id"]) + ")";
                    };
                    rows.push_back(
                        {{"id", x["id"]},
                         {"kind", x["kind"]},
                         {"status", x["status"]},
                         {"table", names.table(x["table"])},
                         {"row_id", x["row_id"]},
                         {"column", names.column(x["table"], x["column"])},
                         {"commune", x["commune"]},
                         {"kept", side(x["versions"][0])},
                         {"lost", side(x["versions"][1])},
                         {"resolved", x.contains("resolved_by")
                                          ? text(x["resolved_by"]) + ", " + when(x["resolved_at"]) +
                                                ": " +
                                                in_language(x.value("resolution_text", json()),
                                                            x["resolution"], names.lang())
                                          : std::string()}});
                }
                std::vector<std::string> columns{"id",     "kind",    "table", "row_id",
                                                 "column", "commune", "kept",  "lost"};
                if (status != "open") {
                    columns.insert(columns.begin() + 2, "status");
                    columns.push_back("resolved");
                }
                print_table(rows, columns);
            }
        } else if (*cshow) {
            rc = call(c, "GET", "/admin/v1/conflicts/" + std::to_string(id), "", out);
            if (rc == ok && !c.as_json) {
                std::cout << "conflict " << out["id"] << " (" << text(out["kind"]) << ", "
                          << text(out["status"]) << ") on " << names.table(out["table"]) << " "
                          << text(out["row_id"])
                          << (out["column"].is_null()
                                  ? std::string()
                                  : ", " + names.column(out["table"], out["column"]))
                          << ", commune " << text(out["commune"]) << "\n";
                for (const auto& v : out["versions"])
                    std::cout << (v["winner"].get<bool>()   ? "  applied  "
                                  : out["status"] == "open" ? "  lost     "
                                                            : "  side     ")
                              << names.value(out["table"], out["column"], v["value"],
                                             text(v["value"]))
                              << (v["deleted"].get<bool>() ? " (deleted the row)" : "") << " by "
                              << named(v["device_name"], v["device_id"]) << " at "
                              << when(v["time"]) << "\n";
                std::cout << "  (resolve with --keep and a device's id or name, or --value)\n";
                std::cout << "  row now  "
                          << (out["row"].is_null() ? std::string("deleted") : text(out["row"]))
                          << "\n";
            }
        } else if (*cresolve && !conflict_device.empty()) {
            rc = call(c, "POST", "/admin/v1/conflicts/resolve",
                      json{{"device_id", conflict_device}}.dump(), out);
            if (rc == ok && !c.as_json)
                std::cout << "resolved " << out["resolved"] << " conflicts of device "
                          << text(out["device_id"]) << ", each row kept as it stands\n";
        } else if (*cresolve) {
            if (keep.empty() && value_json.empty()) {
                std::cerr << "error: give --keep DEVICE_ID or --value JSON\n";
                return usage;
            }
            json body{{"force", force}, {"by", by}};
            if (!keep.empty()) body["keep"] = keep;
            if (!value_json.empty()) {
                json v = json::parse(value_json, nullptr, false);
                if (v.is_discarded() || v.is_object() || v.is_array()) {
                    std::cerr << "error: --value must be a JSON scalar, for example 5, \"Nà Pài\" "
                                 "(with the quotes) or null\n";
                    return usage;
                }
                body["value"] = v;
            }
            rc = call(c, "POST", "/admin/v1/conflicts/" + std::to_string(id) + "/resolve",
                      body.dump(), out);
            if (rc == ok && !c.as_json)
                std::cout << "resolved conflict " << id << ": " << text(out["resolution"]) << "\n";
        } else if (*qlist) {
            rc = call(c, "GET", "/admin/v1/quarantine?status=" + enc(status), "", out);
            if (rc == ok && !c.as_json) {
                json rows = json::array();
                for (const auto& q : out)
                    rows.push_back({{"id", q["id"]},
                                    {"status", q["status"]},
                                    {"device", named(q["device_name"], q["device_id"])},
                                    {"table", names.table(q["table"])},
                                    {"row_id", q["row_id"]},
                                    {"reason", with_words(q.value("reason_text", json()),
                                                          q["reason"], names.lang())},
                                    {"times", q["repeats"]},
                                    {"received", when(q["received_at"])}});
                std::vector<std::string> columns{"id",     "device", "table",   "row_id",
                                                 "reason", "times",  "received"};
                // One state asked for: a column that says it on every row says nothing.
                if (status == "all") columns.insert(columns.begin() + 1, "status");
                print_table(rows, columns);
            }
        } else if (*qshow) {
            rc = call(c, "GET", "/admin/v1/quarantine/" + std::to_string(id), "", out);
            if (rc == ok && !c.as_json) {
                std::cout << "quarantined row " << out["id"] << " (" << text(out["status"])
                          << "): " << names.table(out["table"]) << " " << text(out["row_id"])
                          << " from " << named(out["device_name"], out["device_id"]) << ", commune "
                          << text(out["commune"]) << ", " << when(out["received_at"]) << "\n"
                          << "  reason   "
                          << with_words(out.value("reason_text", json()), out["reason"],
                                        names.lang())
                          << ": "
                          << in_language(out.value("message_text", json()), out["message"],
                                         names.lang())
                          << "\n"
                          << "  times    " << out["repeats"] << "\n";
                if (out["values"].is_object()) {
                    json rows = json::array();
                    for (const auto& [k, v] : out["values"].items())
                        rows.push_back({{"column", names.column(out["table"], k)},
                                        {"value", names.value(out["table"], k, v, text(v))}});
                    print_table(rows, {"column", "value"});
                } else {
                    std::cout << "  values   "
                              << (out["values"].is_null()
                                      ? std::string("not kept (too large, or discarded)")
                                      : text(out["values"]))
                              << "\n";
                }
            }
        } else if (*qdiscard && discard_all) {
            json body = json::object();
            if (!device_id.empty()) body["device_id"] = device_id;
            if (!reason.empty()) body["reason"] = reason;
            rc = call(c, "POST", "/admin/v1/quarantine/discard", body.dump(), out);
            if (rc == ok && !c.as_json)
                std::cout << "discarded " << out["discarded"] << " quarantined rows\n";
        } else if (*qdiscard || *qrelease) {
            rc = call(c, "POST",
                      "/admin/v1/quarantine/" + std::to_string(id) +
                          (*qrelease ? "/release" : "/discard"),
                      "", out);
            if (rc == ok && !c.as_json)
                std::cout << text(out["status"]) << " quarantined row " << id << "\n";
        } else if (*fleet) {
            rc = call(c, "GET", "/admin/v1/status?silent_days=" + std::to_string(silent_days), "",
                      out);
            std::size_t alerting = 0;
            if (rc == ok) {
                json rows = json::array();
                for (const auto& d : out) {
                    std::string state;
                    for (const auto& a : d["alerts"])
                        state += (state.empty() ? "" : ",") + a.get<std::string>();
                    if (!d["alerts"].empty()) ++alerting;
                    if (state.empty()) state = d["revoked"].get<bool>() ? "revoked" : "ok";
                    rows.push_back(
                        {{"device", named(d["name"], d["device_id"])},
                         {"commune", d["scope"].get<std::string>() +
                                         (d["commune_name"].get<std::string>().empty()
                                              ? ""
                                              : " " + d["commune_name"].get<std::string>())},
                         {"last sync", when(d["last_sync_at"])},
                         {"pend/rej", text(d["pending"]) + "/" + text(d["rejected"])},
                         {"app/schema", d["app_version"].is_null() ? std::string("-")
                                                                   : text(d["app_version"]) + " s" +
                                                                         text(d["schema_version"])},
                         {"state", state}});
                }
                if (!c.as_json)
                    print_table(rows, {"device", "commune", "last sync", "pend/rej", "app/schema",
                                       "state"});
                if (fail_if_any && alerting) {
                    if (c.as_json) std::cout << out.dump() << "\n";
                    std::cerr << alerting << " of " << out.size()
                              << " devices need attention (state above, or \"alerts\" in --json)\n";
                    return failure;
                }
            }
        } else if (*history) {
            rc = call(c, "GET",
                      "/admin/v1/history?row=" + enc(row) +
                          (table.empty() ? std::string() : "&table=" + enc(table)),
                      "", out);
            if (rc == ok && !c.as_json) {
                json rows = json::array();
                for (const auto& h : out) {
                    // A resolution's "new" is what the admin did, not a value of the column.
                    const bool cell = h["kind"] != "resolution";
                    const auto& tbl = h.value("table", json(table));
                    rows.push_back(
                        {{"time", when(h["time"])},
                         {"by", named(h["device_name"], h["device_id"])},
                         {"kind", h["kind"]},
                         {"column", names.column(tbl, h["column"])},
                         {"old", cell ? names.value(tbl, h["column"], h["old"], text(h["old"]))
                                      : text(h["old"])},
                         {"new", cell ? names.value(tbl, h["column"], h["new"], text(h["new"]))
                                      : text(h["new"])}});
                }
                print_table(rows, {"time", "by", "kind", "column", "old", "new"});
            }
        } else if (*rmove) {
            json body{{"table", move_table}, {"to", rows_to}, {"dry_run", dry_run}};
            if (!move_ids.empty()) {
                body["ids"] = comma_list(move_ids);
            } else if (const auto eq = move_where.find('='); eq != std::string::npos && eq > 0) {
                // A number is matched as one; anything else (a code, a village) as text.
                auto v = json::parse(move_where.substr(eq + 1), nullptr, false);
                if (v.is_discarded() || !v.is_primitive()) v = move_where.substr(eq + 1);
                body["where"] = {{"column", move_where.substr(0, eq)}, {"value", v}};
            } else {
                std::cerr << "error: name the rows: --ids ID[,ID…] or --where COLUMN=VALUE\n";
                return usage;
            }
            rc = call(c, "POST", "/admin/v1/rows/move", body.dump(), out);
            if (rc == ok && !c.as_json) {
                std::cout << (out["dry_run"].get<bool>() ? "dry run: nothing was changed; " : "")
                          << out["rows"].size() << " rows of " << text(out["table"])
                          << (out["dry_run"].get<bool>() ? " would move" : " moved") << " to "
                          << text(out["to"]) << "\n";
                for (const auto& r : out["rows"])
                    std::cout << "  " << text(r["id"]) << " (from " << text(r["from"]) << ")\n";
            }
        } else if (*too_large) {
            rc = call(c, "GET", "/admin/v1/rows/too-large", "", out);
            if (rc == ok && !c.as_json) {
                json rows = json::array();
                for (const auto& r : out)
                    rows.push_back({{"table", r["table"]},
                                    {"id", r["id"]},
                                    {"commune", r["commune"]},
                                    {"KiB", r["bytes"].get<std::uint64_t>() / 1024},
                                    {"pulled", r["pulled"].get<bool>() ? "alone" : "never"}});
                print_table(rows, {"table", "id", "commune", "KiB", "pulled"});
                if (out.empty()) std::cout << "no row is too large\n";
            }
        } else if (*sunits) {
            std::string q = all_units ? "?all=1" : on_day.empty() ? "" : "?on=" + enc(on_day);
            rc = call(c, "GET", "/admin/v1/map/units" + q, "", out);
            if (rc == ok && !c.as_json) {
                json rows = json::array();
                for (const auto& u : out) {
                    std::string into, from;
                    for (const auto& e : u["went_into"])
                        into += (into.empty() ? "" : ", ") + text(e["unit"]);
                    for (const auto& e : u["made_from"])
                        from += (from.empty() ? "" : ", ") + text(e["unit"]);
                    rows.push_back({{"id", u["id"]},
                                    {"name", u["name"]},
                                    {"kind", u["kind"]},
                                    {"from", u["valid_from"]},
                                    {"until", u["valid_until"]},
                                    {"made from", from.empty() ? "-" : from},
                                    {"went into", into.empty() ? "-" : into}});
                }
                print_table(rows,
                            {"id", "name", "kind", "from", "until", "made from", "went into"});
            }
        } else if (*schanges) {
            rc = call(c, "GET", "/admin/v1/map/changes", "", out);
            if (rc == ok && !c.as_json) {
                if (out.empty()) std::cout << "the map has not changed since the server was made\n";
                for (const auto& ch : out) {
                    std::cout << "change " << ch["id"] << " (" << text(ch["kind"])
                              << "), effective " << text(ch["effective"]) << ", by "
                              << text(ch["account"]) << " on " << when(ch["applied_at"])
                              << (ch["basis"].get<std::string>().empty()
                                      ? std::string()
                                      : ", basis: " + text(ch["basis"]))
                              << "\n";
                    for (const auto& e : ch["lineage"])
                        std::cout << "  " << text(e["old_unit"]) << " → " << text(e["new_unit"])
                                  << " (" << text(e["share"]) << ")\n";
                }
            }
        } else if (*smerge) {
            const auto from = comma_list(from_codes);
            json body{{"kind", "merge"},
                      {"effective", effective},
                      {"basis", basis},
                      {"dry_run", dry_run},
                      {"groups", json::array({{{"from", from},
                                               {"code", into_code},
                                               {"name", unit_name},
                                               {"kind", unit_kind}}})}};
            rc = call(c, "POST", "/admin/v1/map/changes", body.dump(), out);
            if (rc == ok && !c.as_json) print_impact(out);
        } else if (*sreorg) {
            json units;
            rc = call(c, "GET", "/admin/v1/map/units", "", units);
            if (rc != ok) return rc;
            std::set<std::string> codes;
            for (const auto& u : units)
                codes.insert(u["code"].get<std::string>());
            auto lines = reorganisation_lines(map_file, codes);
            if (!lines) return failure;
            json body{{"kind", "reorganise"},
                      {"effective", effective},
                      {"basis", basis},
                      {"dry_run", dry_run},
                      {"lines", *lines}};
            rc = call(c, "POST", "/admin/v1/map/changes", body.dump(), out);
            if (rc == ok && !c.as_json) print_impact(out);
        } else if (*rlist) {
            rc = call(c, "GET", "/admin/v1/reference/" + enc(ref_table), "", out);
            if (rc == ok && !c.as_json) {
                std::vector<std::string> cols{"id"};
                if (!out.empty())
                    for (const auto& [column, v] : out[0].items())
                        if (column != "id") cols.push_back(column);
                print_table(out, cols);
            }
        } else if (*rshow) {
            rc = call(c, "GET", "/admin/v1/reference/" + enc(ref_table) + "/" + enc(ref_id), "",
                      out);
            if (rc == ok && !c.as_json)
                for (const auto& [column, v] : out.items())
                    std::cout << column << ": " << text(v) << "\n";
        } else if (*rset) {
            auto body =
                ref_object.empty() ? json::object() : json::parse(ref_object, nullptr, false);
            if (!body.is_object()) {
                std::cerr << "error: --values must be a JSON object of column → value, for example "
                             "'{\"name\": \"Phường Dương Quang\"}'\n";
                return usage;
            }
            for (const auto& arg : ref_values) {
                const auto eq = arg.find('=');
                json v = eq == std::string::npos ? json(nullptr)
                                                 : json::parse(arg.substr(eq + 1), nullptr, false);
                if (eq == 0 || eq == std::string::npos || v.is_discarded() || v.is_object() ||
                    v.is_array()) {
                    std::cerr << "error: --value " << noi::tools::printable(arg)
                              << " is not COLUMN=JSON; the value is a JSON scalar, text in its "
                                 "quotes: --value 'name=\"Phường Dương Quang\"', --value "
                                 "key_area=1\n";
                    return usage;
                }
                body[arg.substr(0, eq)] = v;
            }
            rc = call(c, "PUT", "/admin/v1/reference/" + enc(ref_table) + "/" + enc(ref_id),
                      body.dump(), out);
            if (rc == ok && !c.as_json) {
                const auto what = text(out["table"]) + " " + text(out["id"]);
                if (out["changed"].empty()) std::cout << what << ": nothing to change\n";
                if (out["created"].get<bool>()) std::cout << "made " << what << "\n";
                for (const auto& ch : out["changed"])
                    std::cout << what << ": " << text(ch["column"]) << " " << as_json(ch["old"])
                              << " → " << as_json(ch["new"]) << "\n";
                if (!out["changed"].empty())
                    std::cout << "every tablet takes it at its next sync\n";
            }
        } else if (*rdelete) {
            rc = call(c, "DELETE", "/admin/v1/reference/" + enc(ref_table) + "/" + enc(ref_id), "",
                      out);
            if (rc == ok && !c.as_json)
                std::cout << "deleted " << text(out["table"]) << " " << text(out["id"])
                          << "; every tablet drops it at its next sync\n";
        } else if (*sshow) {
            rc = call(c, "GET", "/admin/v1/schema", "", out);
            if (rc == ok && !c.as_json) print_schema(out, names.lang());
        } else if (*sapply) {
            std::ifstream in(schema_file, std::ios::binary);
            std::string body((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
            if (json::parse(body, nullptr, false).is_discarded()) {
                std::cerr << "error: " << schema_file
                          << " is not JSON; start from what noi-admin schema show --json prints\n";
                return failure;
            }
            rc = call(c, "POST", "/admin/v1/schema", body, out);
            if (rc == ok && !c.as_json)
                std::cout << "published schema version " << out["version"] << ": "
                          << text(out["changes"]) << "\ntablets take it at their next sync\n";
        } else if (*c19 && !xlsx_file.empty()) {
            std::string workbook;
            rc = fetch(c, "GET",
                       "/admin/v1/reports/criterion19.xlsx?geography=" + geography +
                           (year ? "&year=" + std::to_string(year) : std::string()),
                       "", workbook);
            if (rc != ok) return rc;
            // Written beside the file and renamed over it: a cut-off run leaves no half workbook.
            const auto part = xlsx_file + ".part";
            {
                std::ofstream f(part, std::ios::binary | std::ios::trunc);
                f.write(workbook.data(), static_cast<std::streamsize>(workbook.size()));
                if (!f.flush()) {
                    f.close();
                    std::remove(part.c_str());
                    std::cerr << "error: cannot write " << part
                              << "; check the folder exists and is writable\n";
                    return failure;
                }
            }
            if (std::rename(part.c_str(), xlsx_file.c_str()) != 0) {
                std::cerr << "error: cannot write " << xlsx_file << ": " << std::strerror(errno)
                          << "\n";
                std::remove(part.c_str());
                return failure;
            }
            if (c.as_json)
                std::cout << json{{"file", xlsx_file}, {"bytes", workbook.size()}}.dump() << "\n";
            else
                std::cout << "wrote " << xlsx_file << " (" << workbook.size() << " bytes)\n";
            return ok;
        } else if (*c19 && csv) {
            std::string file;
            rc = fetch(c, "GET",
                       std::string("/admin/v1/reports/criterion19.csv?bom=") +
                           (no_bom ? "0" : "1") + "&by_commune=" + (by_commune ? "1" : "0") +
                           (year ? "&year=" + std::to_string(year) : std::string()) +
                           "&geography=" + geography,
                       "", file);
            if (rc == ok) std::cout << file;
            return rc;
        } else if (*c19) {
            rc = call(c, "GET",
                      "/admin/v1/reports/criterion19?geography=" + geography +
                          (year ? "&year=" + std::to_string(year) : std::string()),
                      "", out);
            if (rc == ok && !c.as_json) {
                // A limited account's figures are its communes', never the province's.
                std::string shown;
                if (out["limited_to"].is_array())
                    for (const auto& code : out["limited_to"])
                        shown += (shown.empty() ? ", your communes " : " ") + text(code);
                std::cout << "Criterion 19, year " << out["year"] << shown << ": "
                          << out["province"]["met"] << " of " << out["province"]["total"]
                          << " communes met\n";
                print_table(out["districts"], {"name", "met", "total"});
            }
        }
        if (rc == ok && c.as_json) std::cout << out.dump() << "\n";
        return rc;
    } catch (const noi::admin::unreachable& e) {
        std::cerr << "error: " << e.what() << "; check the address and that the server runs\n";
        return network;
    } catch (const noi::admin::tls_refused& e) {
        std::cerr << "error: " << e.what() << "\n";
        return failure;
    } catch (const std::invalid_argument& e) {
        std::cerr << "error: " << e.what() << "\n";
        return usage;
    }
}
