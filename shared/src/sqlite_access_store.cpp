#include "sqlite_access_store.hpp"
#include "sqlite_unit_registry.hpp"
#include "unit_lineage.hpp"
#include "unit_list.hpp"

#include <algorithm>

namespace noi {
namespace {

std::string_view kind_text(token_kind k) {
    return k == token_kind::device ? "device" : "admin";
}

account read_account(const statement& st) {
    account a{st.column_text(0),     st.column_text(1), {},
              st.column_int(3) != 0, st.column_int(4),  st.column_int(5) != 0};
    a.communes = split_units(st.column_text(2));
    return a;
}

} // namespace

sqlite_access_store::sqlite_access_store(replica& rep) : rep_(rep), db_(rep.db()) {}

void sqlite_access_store::add_token(const std::string& hash, token_kind kind,
                                    const std::string& owner) {
    auto& st = db_.cached(kind == token_kind::device
                              ? "INSERT INTO noi_tokens(hash, kind, device_id, created_at) VALUES "
                                "(?1, 'device', ?2, ?3)"
                              : "INSERT INTO noi_tokens(hash, kind, account, created_at) VALUES "
                                "(?1, 'admin', ?2, ?3)");
    st.bind_blob(1, hash.data(), hash.size()).bind(2, owner).bind(3, rep_.clock().wall_ms());
    st.run();
}

std::optional<std::string> sqlite_access_store::token_owner(const std::string& hash,
                                                            token_kind kind) {
    auto& st = db_.cached("SELECT CASE kind WHEN 'device' THEN device_id ELSE account END FROM "
                          "noi_tokens WHERE hash = ?1 AND kind = ?2");
    st.bind_blob(1, hash.data(), hash.size()).bind(2, kind_text(kind));
    std::optional<std::string> owner;
    if (st.step() && !st.column_is_null(0)) owner = st.column_text(0);
    st.reset();
    return owner;
}

void sqlite_access_store::drop_device_tokens(const std::string& device_id) {
    auto& drop = db_.cached("DELETE FROM noi_tokens WHERE kind = 'device' AND device_id = ?1");
    drop.bind(1, device_id);
    drop.run();
}

void sqlite_access_store::add_account(const account& a) {
    const auto list = join_units(a.communes);
    auto& st = db_.cached(
        "INSERT INTO noi_accounts(name, role, communes, created_at) VALUES (?1, ?2, ?3, ?4)");
    st.bind(1, a.name).bind(2, a.role).bind(3, list).bind(4, rep_.clock().wall_ms());
    st.run();
}

std::optional<account> sqlite_access_store::find_account(const std::string& name) {
    auto& st =
        db_.cached("SELECT name, role, communes, disabled, created_at, password_hash IS NOT NULL "
                   "FROM noi_accounts WHERE name = ?1");
    st.bind(1, name);
    std::optional<account> a;
    if (st.step()) a = read_account(st);
    st.reset();
    if (!a) return a;
    // An account given a unit reads the units merged into it too (docs/design.md §11).
    sqlite_unit_registry units(db_);
    const auto given = a->communes;
    for (const auto& unit : given)
        for (auto& m : members_of(units, unit))
            if (std::find(a->communes.begin(), a->communes.end(), m) == a->communes.end())
                a->communes.push_back(std::move(m));
    return a;
}

std::vector<account> sqlite_access_store::accounts() {
    std::vector<account> out;
    auto st = db_.prepare(
        "SELECT name, role, communes, disabled, created_at, password_hash IS NOT NULL FROM "
        "noi_accounts ORDER BY name");
    while (st.step())
        out.push_back(read_account(st));
    return out;
}

bool sqlite_access_store::disable_account(const std::string& name) {
    auto& st = db_.cached("UPDATE noi_accounts SET disabled = 1 WHERE name = ?1");
    st.bind(1, name);
    st.run();
    return db_.changes() > 0;
}

bool sqlite_access_store::set_password_hash(const std::string& name, const std::string& hash) {
    auto& st = db_.cached("UPDATE noi_accounts SET password_hash = ?2 WHERE name = ?1");
    st.bind(1, name).bind(2, hash);
    st.run();
    return db_.changes() > 0;
}

std::optional<std::string> sqlite_access_store::password_hash(const std::string& name) {
    auto& st = db_.cached("SELECT password_hash FROM noi_accounts WHERE name = ?1 AND disabled = 0 "
                          "AND password_hash IS NOT NULL");
    st.bind(1, name);
    std::optional<std::string> hash;
    if (st.step()) hash = st.column_text(0);
    st.reset();
    return hash;
}

void sqlite_access_store::record(const std::string& account, const std::string& action,
                                 const std::string& target, const std::string& detail) {
    auto& st = db_.cached("INSERT INTO noi_admin_log(at, account, action, target, detail) VALUES "
                          "(?1, ?2, ?3, ?4, ?5)");
    st.bind(1, rep_.clock().wall_ms())
        .bind(2, account)
        .bind(3, action)
        .bind(4, target)
        .bind(5, detail);
    st.run();
}

std::vector<admin_log_entry> sqlite_access_store::admin_log(std::int64_t offset,
                                                            std::int64_t limit) {
    auto& st = db_.cached("SELECT id, at, account, action, target, detail FROM noi_admin_log "
                          "ORDER BY id DESC LIMIT ?1 OFFSET ?2");
    st.bind(1, limit).bind(2, offset);
    std::vector<admin_log_entry> out;
    while (st.step())
        out.push_back({st.column_int(0), st.column_int(1), st.column_text(2), st.column_text(3),
                       st.column_text(4), st.column_text(5)});
    st.reset();
    return out;
}

std::int64_t sqlite_access_store::admin_log_size() {
    auto& st = db_.cached("SELECT count(*) FROM noi_admin_log");
    st.step();
    const auto n = st.column_int(0);
    st.reset();
    return n;
}

bool sqlite_access_store::is_commune(const std::string& code) {
    auto& st = db_.cached("SELECT 1 FROM commune WHERE id = ?1");
    st.bind(1, code);
    const bool known = st.step();
    st.reset();
    return known;
}

} // namespace noi
