#include "auth_store.hpp"

#include <noi/sync/error.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace noi::server {
namespace {

std::string hex(const unsigned char* p, std::size_t n) {
    static constexpr char d[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += d[p[i] >> 4];
        s += d[p[i] & 15];
    }
    return s;
}

std::string sha256(const std::string& s) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(s.data(), s.size(), out, &n, EVP_sha256(), nullptr))
        throw std::runtime_error("SHA-256 failed");
    return std::string(reinterpret_cast<char*>(out), n);
}

} // namespace

std::string random_token() {
    unsigned char b[24];
    if (RAND_bytes(b, sizeof b) != 1)
        throw std::runtime_error("the system has no randomness to make a token");
    return hex(b, sizeof b);
}

bool account::reads(const std::string& scope) const {
    return communes.empty() || std::find(communes.begin(), communes.end(), scope) != communes.end();
}

auth_store::auth_store(server_store& store) : store_(store) {
    auto& db = store_.rep().db();
    db.exec("CREATE TABLE IF NOT EXISTS noi_tokens (hash BLOB PRIMARY KEY, kind TEXT NOT NULL, "
            "device_id TEXT, created_at INTEGER NOT NULL, account TEXT) WITHOUT ROWID");
    db.exec("CREATE TABLE IF NOT EXISTS noi_accounts (name TEXT PRIMARY KEY, role TEXT NOT NULL, "
            "communes TEXT NOT NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0, "
            "created_at INTEGER NOT NULL) WITHOUT ROWID");
    db.exec("CREATE TABLE IF NOT EXISTS noi_admin_log (id INTEGER PRIMARY KEY, at INTEGER NOT "
            "NULL, account TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT "
            "NOT NULL DEFAULT '')");
    // Databases from before named accounts: their admin tokens become the account `admin`'s.
    auto info = db.prepare(
        "SELECT count(*) FROM pragma_table_info('noi_tokens') WHERE name = 'account'");
    const bool has_account = info.step() && info.column_int(0) > 0;
    info.reset();
    if (has_account) return;
    transaction tx(db);
    db.exec("ALTER TABLE noi_tokens ADD COLUMN account TEXT");
    auto& admin = db.cached("INSERT OR IGNORE INTO noi_accounts(name, role, created_at) VALUES "
                            "('admin', 'admin', ?1)");
    admin.bind(1, store_.rep().clock().wall_ms());
    admin.run();
    db.exec("UPDATE noi_tokens SET account = 'admin' WHERE kind = 'admin'");
    tx.commit();
}

std::string auth_store::add_token(const std::string& account) {
    auto token = random_token();
    auto h = sha256(token);
    auto& st = store_.rep().db().cached(
        "INSERT INTO noi_tokens(hash, kind, account, created_at) VALUES (?1, 'admin', ?2, ?3)");
    st.bind_blob(1, h.data(), h.size()).bind(2, account).bind(3, store_.rep().clock().wall_ms());
    st.run();
    return token;
}

std::string auth_store::add_account(const std::string& name, const std::string& role,
                                    const std::vector<std::string>& communes) {
    const bool name_ok =
        !name.empty() && name.size() <= 64 &&
        std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                   c == '-' || c == '@';
        });
    if (!name_ok)
        throw sync_error(errc::refused, "an account name is 1 to 64 of A-Z a-z 0-9 . _ - @, "
                                        "for example hoa.nguyen");
    if (role != "admin" && role != "viewer")
        throw sync_error(errc::refused, "the role is admin or viewer");
    if (role == "admin" && !communes.empty())
        throw sync_error(errc::refused, "an admin sees every commune; give --communes to a viewer");
    std::string list;
    for (const auto& c : communes) {
        check_commune(c);
        list += (list.empty() ? "" : ",") + c;
    }
    transaction tx(store_.rep().db());
    if (find_account(name))
        throw sync_error(errc::already_exists, "there is an account named " + name +
                                                   " already; choose another name");
    auto& st = store_.rep().db().cached(
        "INSERT INTO noi_accounts(name, role, communes, created_at) VALUES (?1, ?2, ?3, ?4)");
    st.bind(1, name).bind(2, role).bind(3, list).bind(4, store_.rep().clock().wall_ms());
    st.run();
    auto token = add_token(name);
    tx.commit();
    return token;
}

namespace {

account read_account(const statement& st) {
    account a{st.column_text(0), st.column_text(1), {}, st.column_int(3) != 0, st.column_int(4)};
    std::string list = st.column_text(2);
    for (std::size_t at = 0; at < list.size();) {
        auto comma = list.find(',', at);
        a.communes.push_back(list.substr(at, comma == std::string::npos ? comma : comma - at));
        at = comma == std::string::npos ? list.size() : comma + 1;
    }
    return a;
}

} // namespace

std::optional<account> auth_store::find_account(const std::string& name) {
    auto& st = store_.rep().db().cached("SELECT name, role, communes, disabled, created_at FROM "
                                        "noi_accounts WHERE name = ?1");
    st.bind(1, name);
    std::optional<account> a;
    if (st.step()) a = read_account(st);
    st.reset();
    return a;
}

std::vector<account> auth_store::accounts() {
    std::vector<account> out;
    auto st = store_.rep().db().prepare(
        "SELECT name, role, communes, disabled, created_at FROM noi_accounts ORDER BY name");
    while (st.step())
        out.push_back(read_account(st));
    return out;
}

bool auth_store::disable_account(const std::string& name) {
    auto& st = store_.rep().db().cached("UPDATE noi_accounts SET disabled = 1 WHERE name = ?1");
    st.bind(1, name);
    st.run();
    return store_.rep().db().changes() > 0;
}

std::optional<std::string> auth_store::new_token(const std::string& name) {
    auto a = find_account(name);
    if (!a || a->disabled) return std::nullopt;
    return add_token(name);
}

std::optional<account> auth_store::account_for(const std::string& token) {
    auto h = sha256(token);
    auto& st = store_.rep().db().cached(
        "SELECT account FROM noi_tokens WHERE hash = ?1 AND kind = 'admin'");
    st.bind_blob(1, h.data(), h.size());
    std::optional<std::string> name;
    if (st.step() && !st.column_is_null(0)) name = st.column_text(0);
    st.reset();
    if (!name) return std::nullopt;
    auto a = find_account(*name);
    if (!a || a->disabled) return std::nullopt;
    return a;
}

void auth_store::record(const std::string& account, const std::string& action,
                        const std::string& target, const std::string& detail) {
    auto& st = store_.rep().db().cached("INSERT INTO noi_admin_log(at, account, action, target, "
                                        "detail) VALUES (?1, ?2, ?3, ?4, ?5)");
    st.bind(1, store_.rep().clock().wall_ms()).bind(2, account).bind(3, action).bind(4, target);
    st.bind(5, detail);
    st.run();
}

void auth_store::check_commune(const std::string& code) {
    auto& st = store_.rep().db().cached("SELECT 1 FROM commune WHERE id = ?1");
    st.bind(1, code);
    const bool known = st.step();
    st.reset();
    if (!known)
        throw sync_error(errc::refused, "commune " + code +
                                            " is not in the province's reference data; check the "
                                            "5-digit code");
}

enrolment auth_store::enrol(const std::string& scope, const std::string& name) {
    if (scope != "*") check_commune(scope);
    transaction tx(store_.rep().db());
    enrolment e;
    e.dev = device{"dev-" + random_token().substr(0, 12), scope, name, false};
    store_.add_device(e.dev);
    e.token = add_device_token(e.dev.id);
    tx.commit();
    return e;
}

std::string auth_store::add_device_token(const std::string& device_id) {
    auto token = random_token();
    auto h = sha256(token);
    auto& st = store_.rep().db().cached(
        "INSERT INTO noi_tokens(hash, kind, device_id, created_at) VALUES (?1, 'device', ?2, ?3)");
    st.bind_blob(1, h.data(), h.size()).bind(2, device_id).bind(3, store_.rep().clock().wall_ms());
    st.run();
    return token;
}

std::optional<std::string> auth_store::replace_device_token(const std::string& device_id) {
    auto d = store_.find_device(device_id);
    if (!d || d->revoked) return std::nullopt;
    transaction tx(store_.rep().db());
    auto& drop =
        store_.rep().db().cached("DELETE FROM noi_tokens WHERE kind = 'device' AND device_id = ?1");
    drop.bind(1, device_id);
    drop.run();
    auto token = add_device_token(device_id);
    tx.commit();
    return token;
}

std::optional<device> auth_store::device_for(const std::string& token) {
    auto h = sha256(token);
    auto& st = store_.rep().db().cached(
        "SELECT device_id FROM noi_tokens WHERE hash = ?1 AND kind = 'device'");
    st.bind_blob(1, h.data(), h.size());
    std::optional<std::string> id;
    if (st.step()) id = st.column_text(0);
    st.reset();
    if (!id) return std::nullopt;
    auto d = store_.find_device(*id);
    if (d && d->revoked) {
        // The fleet status shows a revoked tablet that still tries (a lost one found by
        // someone, or one nobody told): refused_at after its last contact.
        // At most a write a minute, however often a revoked token is tried.
        auto& seen = store_.rep().db().cached(
            "UPDATE noi_devices SET refused_at = ?2 WHERE device_id = ?1 AND (refused_at IS NULL "
            "OR refused_at < ?2 - 60000)");
        seen.bind(1, d->id).bind(2, store_.rep().clock().wall_ms());
        seen.run();
    }
    if (!d || d->revoked) return std::nullopt;
    return d;
}

bool auth_store::revoke(const std::string& device_id) {
    auto& st = store_.rep().db().cached("UPDATE noi_devices SET revoked = 1 WHERE device_id = ?1");
    st.bind(1, device_id);
    st.run();
    return store_.rep().db().changes() > 0;
}

} // namespace noi::server
