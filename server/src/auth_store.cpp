#include "auth_store.hpp"
#include "password_hash.hpp"

#include <noi/sync/dates.hpp>
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

auth_store::auth_store(server_store& store) : store_(store), access_(store.access()) {}

std::string auth_store::add_token(const std::string& account) {
    auto token = random_token();
    access_.add_token(sha256(token), token_kind::admin, account);
    return token;
}

namespace {

// The hash of a password that may be set; throws sync_error(refused) saying why not.
std::string checked_hash(const std::string& password) {
    if (auto problem = password_problem(password)) throw sync_error(errc::refused, *problem);
    return hash_password(password);
}

} // namespace

std::string auth_store::add_account(const std::string& name, const std::string& role,
                                    const std::vector<std::string>& communes,
                                    const std::string& password) {
    const bool name_ok =
        !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
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
    for (const auto& c : communes)
        check_commune(c);
    const auto hash = password.empty() ? std::string() : checked_hash(password);
    auto tx = store_.begin();
    if (access_.find_account(name))
        throw sync_error(errc::already_exists,
                         "there is an account named " + name + " already; choose another name");
    access_.add_account({name, role, communes, false, 0});
    if (!hash.empty()) access_.set_password_hash(name, hash);
    auto token = add_token(name);
    tx->commit();
    return token;
}

std::vector<account> auth_store::accounts() {
    return access_.accounts();
}

bool auth_store::disable_account(const std::string& name) {
    return access_.disable_account(name);
}

bool auth_store::set_password(const std::string& name, const std::string& password) {
    if (!access_.find_account(name)) return false;
    return access_.set_password_hash(name, checked_hash(password));
}

std::optional<std::string> auth_store::password_hash(const std::string& name) {
    return access_.password_hash(name);
}

std::optional<std::string> auth_store::new_token(const std::string& name) {
    auto a = access_.find_account(name);
    if (!a || a->disabled) return std::nullopt;
    return add_token(name);
}

std::optional<account> auth_store::enabled_account(const std::string& name) {
    auto a = access_.find_account(name);
    if (!a || a->disabled) return std::nullopt;
    return a;
}

std::optional<account> auth_store::account_for(const std::string& token) {
    auto name = access_.token_owner(sha256(token), token_kind::admin);
    if (!name) return std::nullopt;
    return enabled_account(*name);
}

void auth_store::record(const std::string& account, const std::string& action,
                        const std::string& target, const std::string& detail) {
    access_.record(account, action, target, detail);
}

void auth_store::check_commune(const std::string& code) {
    if (access_.is_commune(code)) return;
    std::string why;
    if (auto u = store_.unit_on(code, vietnam_day(store_.now_ms()), why))
        why = "commune " + code + " " + u->name + " is named " + u->id + " since " + u->valid_from +
              " (the code named another unit before); give " + u->id;
    throw sync_error(errc::refused, why.empty() ? "commune " + code +
                                                      " is not in the province's reference "
                                                      "data; check the 5-digit code"
                                                : why);
}

enrolment auth_store::enrol(const std::string& commune, const std::string& name) {
    // The code names the unit valid today: the same five digits named another territory
    // before a change of the map (docs/design.md §11).
    std::string scope = "*";
    if (commune != "*") {
        std::string why;
        auto u = store_.unit_on(commune, vietnam_day(store_.now_ms()), why);
        if (!u) throw sync_error(errc::refused, why);
        scope = u->id;
    }
    auto tx = store_.begin();
    enrolment e;
    e.dev = device{"dev-" + random_token().substr(0, 12), scope, name, false};
    store_.add_device(e.dev);
    e.token = add_device_token(e.dev.id);
    tx->commit();
    return e;
}

std::string auth_store::add_device_token(const std::string& device_id) {
    auto token = random_token();
    access_.add_token(sha256(token), token_kind::device, device_id);
    return token;
}

std::optional<std::string> auth_store::replace_device_token(const std::string& device_id) {
    auto d = store_.find_device(device_id);
    if (!d || d->revoked) return std::nullopt;
    auto tx = store_.begin();
    access_.drop_device_tokens(device_id);
    auto token = add_device_token(device_id);
    tx->commit();
    return token;
}

std::optional<device> auth_store::token_device(const std::string& token) {
    auto id = access_.token_owner(sha256(token), token_kind::device);
    if (!id) return std::nullopt;
    return store_.find_device(*id);
}

std::optional<device> auth_store::device_for(const std::string& token) {
    auto d = token_device(token);
    if (d && d->revoked) store_.record_refusal(d->id);
    if (!d || d->revoked) return std::nullopt;
    return d;
}

bool auth_store::revoke(const std::string& device_id, bool wipe) {
    return store_.revoke_device(device_id, wipe);
}

std::optional<device> auth_store::wipe_ordered_for(const std::string& token) {
    auto d = token_device(token);
    if (!d || !d->revoked || !d->wipe_ordered_at_ms) return std::nullopt;
    return d;
}

} // namespace noi::server
