// noi-admin: the province administrator's tool, a thin client of /admin/v1 (CLI.md).
#include "admin/http_client.hpp"

#include <noi/sync/hlc.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>

namespace {

using json = nlohmann::json;
enum exit_code { ok = 0, failure = 1, usage = 2, network = 3, credentials = 4 };

struct context {
    std::string server, token, ca_file;
    bool as_json = false;
};

// Sends one request; prints the server's error and returns its exit code on failure.
int call(const context& c, const std::string& method, const std::string& target, const std::string& body, json& out) {
    if (c.server.empty()) {
        std::cerr << "error: give --server URL or set NOI_SERVER\n";
        return usage;
    }
    auto r = noi::admin::request(c.server, method, target, c.token, body, c.ca_file);
    json j = json::parse(r.body, nullptr, false);
    if (r.status == 401) {
        std::cerr << "error: the server refused the admin token; pass --token or set NOI_ADMIN_TOKEN\n";
        return credentials;
    }
    if (r.status >= 400) {
        std::cerr << "error: " << (j.is_object() && j.contains("error") ? j["error"].get<std::string>() : r.body) << "\n";
        return failure;
    }
    if (j.is_discarded()) {
        std::cerr << "error: the server's answer is not JSON; is " << c.server << " a Nối server?\n";
        return failure;
    }
    out = std::move(j);
    return ok;
}

std::string text(const json& v) { return v.is_null() ? "-" : v.is_string() ? v.get<std::string>() : v.dump(); }

// Terminal columns of UTF-8 text: one per code point (Vietnamese letters are precomposed).
std::size_t columns_of(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
    return n;
}

void print_table(const json& rows, const std::vector<std::string>& cols) {
    std::vector<std::size_t> w(cols.size());
    for (std::size_t i = 0; i < cols.size(); ++i) w[i] = cols[i].size();
    for (const auto& r : rows)
        for (std::size_t i = 0; i < cols.size(); ++i) w[i] = std::max(w[i], columns_of(text(r[cols[i]])));
    auto cell = [&](const std::string& s, std::size_t i) { std::cout << s << std::string(w[i] + 2 - columns_of(s), ' '); };
    for (std::size_t i = 0; i < cols.size(); ++i) cell(cols[i], i);
    std::cout << "\n";
    for (const auto& r : rows) {
        for (std::size_t i = 0; i < cols.size(); ++i) cell(text(r[cols[i]]), i);
        std::cout << "\n";
    }
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"noi-admin: enrol and revoke tablets, and look after the province's data"};
    context c;
    if (const char* s = std::getenv("NOI_SERVER")) c.server = s;
    if (const char* t = std::getenv("NOI_ADMIN_TOKEN")) c.token = t;
    app.add_option("--server", c.server, "Server URL, http://HOST:PORT (default $NOI_SERVER)");
    app.add_option("--token", c.token, "Admin token (default $NOI_ADMIN_TOKEN)");
    app.add_option("--ca-file", c.ca_file, "Extra trusted CA for https:// (a private provincial CA)");
    app.require_subcommand(1);

    auto* dev = app.add_subcommand("device", "Enrol, list and revoke devices");
    dev->require_subcommand(1);
    std::string commune, name, device_id;
    bool province = false;
    auto* add = dev->add_subcommand("add", "Enrol a tablet for one commune, or a province-wide device; shows its token once");
    auto* commune_opt = add->add_option("--commune", commune, "The commune's 5-digit code");
    auto* province_opt = add->add_flag("--province", province, "A province-wide device (scope *)");
    commune_opt->excludes(province_opt);
    add->add_option("--name", name, "A name to recognise the device by");
    add->add_flag("--json", c.as_json, "Print JSON");
    auto* list = dev->add_subcommand("list", "Every device");
    list->add_flag("--json", c.as_json, "Print JSON");
    auto* revoke = dev->add_subcommand("revoke", "Stop a device's token at once and close its connections");
    revoke->add_option("device_id", device_id, "The device to revoke")->required();
    revoke->add_flag("--json", c.as_json, "Print JSON");

    try {
        app.parse(argc, argv);
        if (*add && commune.empty() && !province) throw CLI::RequiredError("--commune or --province");
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? ok : usage;
    }

    try {
        json out;
        int rc = ok;
        if (*add) {
            json body{{"name", name}};
            if (province)
                body["province"] = true;
            else
                body["commune"] = commune;
            rc = call(c, "POST", "/admin/v1/devices", body.dump(), out);
            if (rc == ok && !c.as_json)
                std::cout << "enrolled " << out["device_id"].get<std::string>() << " for "
                          << (out["scope"] == "*" ? std::string("the whole province") : "commune " + out["scope"].get<std::string>())
                          << "\ntoken (shown only now): " << out["token"].get<std::string>() << "\n";
        } else if (*list) {
            rc = call(c, "GET", "/admin/v1/devices", "", out);
            if (rc == ok && !c.as_json) print_table(out, {"device_id", "scope", "name", "last_sync_at", "revoked"});
        } else if (*revoke) {
            rc = call(c, "POST", "/admin/v1/devices/" + device_id + "/revoke", "", out);
            if (rc == ok && !c.as_json) std::cout << "revoked " << device_id << "\n";
        }
        if (rc == ok && c.as_json) std::cout << out.dump() << "\n";
        return rc;
    } catch (const noi::admin::unreachable& e) {
        std::cerr << "error: " << e.what() << "; check the address and that the server runs\n";
        return network;
    } catch (const std::invalid_argument& e) {
        std::cerr << "error: " << e.what() << "\n";
        return usage;
    }
}
