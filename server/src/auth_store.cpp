#include "auth_store.hpp"

#include <noi/sync/error.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

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

auth_store::auth_store(server_store& store) : store_(store) {
    store_.rep().db().exec(
        "CREATE TABLE IF NOT EXISTS noi_tokens (hash BLOB PRIMARY KEY, kind TEXT NOT NULL, "
        "device_id TEXT, created_at INTEGER NOT NULL) WITHOUT ROWID");
}

std::string auth_store::new_admin_token() {
    auto token = random_token();
    auto h = sha256(token);
    auto& st = store_.rep().db().cached(
        "INSERT INTO noi_tokens(hash, kind, created_at) VALUES (?1, 'admin', ?2)");
    st.bind_blob(1, h.data(), h.size()).bind(2, store_.rep().clock().wall_ms());
    st.run();
    return token;
}

bool auth_store::is_admin(const std::string& token) {
    auto h = sha256(token);
    auto& st =
        store_.rep().db().cached("SELECT 1 FROM noi_tokens WHERE hash = ?1 AND kind = 'admin'");
    st.bind_blob(1, h.data(), h.size());
    bool ok = st.step();
    st.reset();
    return ok;
}

enrolment auth_store::enrol(const std::string& scope, const std::string& name) {
    if (scope != "*") {
        auto& st = store_.rep().db().cached("SELECT 1 FROM commune WHERE id = ?1");
        st.bind(1, scope);
        bool known = st.step();
        st.reset();
        if (!known)
            throw sync_error(
                errc::refused,
                "commune " + scope +
                    " is not in the province's reference data; check the 5-digit code");
    }
    transaction tx(store_.rep().db());
    enrolment e;
    e.dev = device{"dev-" + random_token().substr(0, 12), scope, name, false};
    store_.add_device(e.dev);
    e.token = random_token();
    auto h = sha256(e.token);
    auto& st = store_.rep().db().cached(
        "INSERT INTO noi_tokens(hash, kind, device_id, created_at) VALUES (?1, 'device', ?2, ?3)");
    st.bind_blob(1, h.data(), h.size()).bind(2, e.dev.id).bind(3, store_.rep().clock().wall_ms());
    st.run();
    tx.commit();
    return e;
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
