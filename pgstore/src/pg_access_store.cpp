#include "pg_access_store.hpp"

#include "unit_lineage.hpp"
#include "unit_list.hpp"

#include <algorithm>

namespace noi {
namespace {

constexpr const char* account_columns =
    "name, role, communes, disabled, created_at, password_hash IS NOT NULL";

std::vector<account> read_accounts(const pg::result& r) {
    std::vector<account> out;
    for (int i = 0; i < r.rows(); ++i) {
        account a{r.bytes(i, 0),        r.bytes(i, 1),   {},
                  r.integer(i, 3) != 0, r.integer(i, 4), r.integer(i, 5) != 0};
        a.communes = split_units(r.bytes(i, 2));
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace

void pg_access_store::add_token(const std::string& hash, token_kind kind,
                                const std::string& owner) {
    c_.run(kind == token_kind::device
               ? "INSERT INTO noi_tokens(hash, kind, device_id, created_at) VALUES ($1, 'device', "
                 "$2, $3)"
               : "INSERT INTO noi_tokens(hash, kind, account, created_at) VALUES ($1, 'admin', $2, "
                 "$3)",
           {pg::param::blob(hash), owner, wall_.now_ms()});
}

std::optional<std::string> pg_access_store::token_owner(const std::string& hash, token_kind kind) {
    auto r = c_.run(
        "SELECT CASE kind WHEN 'device' THEN device_id ELSE account END FROM "
        "noi_tokens WHERE hash = $1 AND kind = $2",
        {pg::param::blob(hash), std::string(kind == token_kind::device ? "device" : "admin")});
    if (r.rows() == 0 || r.is_null(0, 0)) return std::nullopt;
    return r.bytes(0, 0);
}

void pg_access_store::drop_device_tokens(const std::string& device_id) {
    c_.run("DELETE FROM noi_tokens WHERE kind = 'device' AND device_id = $1", {device_id});
}

void pg_access_store::add_account(const account& a) {
    c_.run("INSERT INTO noi_accounts(name, role, communes, created_at) VALUES ($1, $2, $3, $4)",
           {a.name, a.role, join_units(a.communes), wall_.now_ms()});
}

std::optional<account> pg_access_store::find_account(const std::string& name) {
    auto found = read_accounts(c_.run(
        std::string("SELECT ") + account_columns + " FROM noi_accounts WHERE name = $1", {name}));
    if (found.empty()) return std::nullopt;
    auto a = std::move(found.front());
    // An account given a unit reads the units merged into it too (docs/design.md §11).
    const auto given = a.communes;
    for (const auto& unit : given)
        for (auto& m : members_of(units_, unit))
            if (std::find(a.communes.begin(), a.communes.end(), m) == a.communes.end())
                a.communes.push_back(std::move(m));
    return a;
}

std::vector<account> pg_access_store::accounts() {
    return read_accounts(
        c_.run(std::string("SELECT ") + account_columns + " FROM noi_accounts ORDER BY name"));
}

bool pg_access_store::disable_account(const std::string& name) {
    return c_.run("UPDATE noi_accounts SET disabled = true WHERE name = $1", {name}).changed() > 0;
}

bool pg_access_store::set_password_hash(const std::string& name, const std::string& hash) {
    return c_.run("UPDATE noi_accounts SET password_hash = $2 WHERE name = $1", {name, hash})
               .changed() > 0;
}

std::optional<std::string> pg_access_store::password_hash(const std::string& name) {
    auto r = c_.run("SELECT password_hash FROM noi_accounts WHERE name = $1 AND NOT disabled AND "
                    "password_hash IS NOT NULL",
                    {name});
    if (r.rows() == 0) return std::nullopt;
    return r.bytes(0, 0);
}

void pg_access_store::record(const std::string& account, const std::string& action,
                             const std::string& target, const std::string& detail) {
    c_.run("INSERT INTO noi_admin_log(id, at, account, action, target, detail) VALUES ((SELECT "
           "coalesce(max(id), 0) + 1 FROM noi_admin_log), $1, $2, $3, $4, $5)",
           {wall_.now_ms(), account, action, target, detail});
}

std::vector<admin_log_entry> pg_access_store::admin_log(std::int64_t offset, std::int64_t limit) {
    auto r = c_.run("SELECT id, at, account, action, target, detail FROM noi_admin_log ORDER BY "
                    "id DESC LIMIT $1 OFFSET $2",
                    {limit < 0 ? pg::param{} : pg::param{limit}, offset});
    std::vector<admin_log_entry> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({r.integer(i, 0), r.integer(i, 1), r.bytes(i, 2), r.bytes(i, 3),
                       r.bytes(i, 4), r.bytes(i, 5)});
    return out;
}

std::int64_t pg_access_store::admin_log_size() {
    return c_.run("SELECT count(*) FROM noi_admin_log").integer(0, 0);
}

bool pg_access_store::is_commune(const std::string& code) {
    return c_.run("SELECT 1 FROM commune WHERE id = $1", {code}).rows() > 0;
}

} // namespace noi
