// /admin/v1/accounts: the people who use the console and noi-admin, their roles and communes,
// tokens and passwords.
#include "admin_handlers.hpp"
#include "api_query.hpp"

#include <noi/sync/error.hpp>

#include <algorithm>

namespace noi::server {

namespace {

json account_json(const account& a) {
    return {{"name", a.name},
            {"role", a.role},
            {"communes", a.communes},
            {"disabled", a.disabled},
            {"password", a.has_password},
            {"created_at", iso8601_ms(a.created_at_ms)}};
}

} // namespace

api_response accounts_list(admin_request& r) {
    json out = json::array();
    for (const auto& a : r.auth.accounts())
        out.push_back(account_json(a));
    return {200, text(out)};
}

api_response account_add(admin_request& r) {
    json req = json::parse(r.body, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body must be a JSON object");
    std::string name, role, password;
    for (auto bad : {field(req, "name", name, "a string"), field(req, "role", role, "a string"),
                     field(req, "password", password, "a string")})
        if (bad) return error(400, *bad);
    std::vector<std::string> communes;
    if (req.contains("communes") && !req["communes"].is_null()) {
        if (!req["communes"].is_array())
            return error(400, "\"communes\" must be an array of 5-digit commune codes");
        for (const auto& c : req["communes"]) {
            if (!c.is_string()) return error(400, "each commune is a 5-digit code string");
            communes.push_back(c.get<std::string>());
        }
    }
    try {
        auto token = r.auth.add_account(name, role, communes, password);
        r.auth.record(r.admin_name(), "account add", name,
                      role + (password.empty() ? "" : ", password"));
        return {201, text(json{{"name", name}, {"role", role}, {"token", token}})};
    } catch (const sync_error& e) {
        return error(e.code() == errc::already_exists ? 409 : 400, e.what());
    }
}

api_response account_disable(admin_request& r) {
    const auto& name = r.args.at(0);
    const auto all = r.auth.accounts();
    const auto admins = std::count_if(all.begin(), all.end(),
                                      [](const account& a) { return a.is_admin() && !a.disabled; });
    const bool last_admin = std::any_of(all.begin(), all.end(),
                                        [&](const account& a) {
                                            return a.name == name && a.is_admin() && !a.disabled;
                                        }) &&
                            admins == 1;
    if (last_admin)
        return error(409,
                     "the account " + name + " is the last enabled admin; add another admin first");
    if (!r.auth.disable_account(name))
        return error(404, "no account " + name + "; list accounts to find its name");
    r.auth.record(r.admin_name(), "account disable", name);
    r.state.console().close_account(name);
    return {200, text(json{{"name", name}, {"disabled", true}})};
}

api_response account_token(admin_request& r) {
    const auto& name = r.args.at(0);
    auto token = r.auth.new_token(name);
    if (!token) return error(404, "no enabled account " + name);
    r.auth.record(r.admin_name(), "account token", name);
    return {200, text(json{{"name", name}, {"token", *token}})};
}

api_response account_password(admin_request& r) {
    const auto& name = r.args.at(0);
    json req = json::parse(r.body, nullptr, false);
    std::string password;
    if (req.is_discarded() || !req.is_object())
        return error(400, "the request body must be a JSON object");
    if (auto bad = field(req, "password", password, "a string")) return error(400, *bad);
    try {
        if (!r.auth.set_password(name, password))
            return error(404, "no account " + name + "; list accounts to find its name");
    } catch (const sync_error& e) {
        return error(400, e.what());
    }
    r.auth.record(r.admin_name(), "account passwd", name);
    r.state.console().close_account(name);
    return {200, text(json{{"name", name}})};
}

} // namespace noi::server
