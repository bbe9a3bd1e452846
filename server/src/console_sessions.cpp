#include "console_sessions.hpp"

#include "auth_store.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace noi::server {
namespace {

// A map lookup compares keys byte by byte and stops early; comparing hashes of the id instead
// of the id gives a timing attacker nothing to learn about a live id.
std::string key_of(const std::string& id) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(id.data(), id.size(), out, &n, EVP_sha256(), nullptr))
        throw std::runtime_error("SHA-256 failed");
    return std::string(reinterpret_cast<char*>(out), n);
}

} // namespace

console_sessions::console_sessions(std::chrono::seconds idle, std::size_t max_sessions)
    : idle_(idle), max_(std::max<std::size_t>(max_sessions, 1)) {}

void console_sessions::drop_expired(clock::time_point now) {
    std::erase_if(by_hash_, [&](const auto& kv) { return now - kv.second.last_used > idle_; });
}

console_sessions::opened console_sessions::open(const std::string& account, clock::time_point now) {
    opened o{random_token() + random_token(), {account, random_token()}};
    std::lock_guard lock(mu_);
    drop_expired(now);
    if (by_hash_.size() >= max_) {
        auto oldest = std::min_element(by_hash_.begin(), by_hash_.end(), [](auto& a, auto& b) {
            return a.second.last_used < b.second.last_used;
        });
        by_hash_.erase(oldest);
    }
    by_hash_[key_of(o.id)] = {o.session, now};
    return o;
}

std::optional<console_session> console_sessions::use(const std::string& id, clock::time_point now) {
    std::lock_guard lock(mu_);
    auto it = by_hash_.find(key_of(id));
    if (it == by_hash_.end()) return std::nullopt;
    if (now - it->second.last_used > idle_) {
        by_hash_.erase(it);
        return std::nullopt;
    }
    it->second.last_used = now;
    return it->second.session;
}

void console_sessions::close(const std::string& id) {
    std::lock_guard lock(mu_);
    by_hash_.erase(key_of(id));
}

void console_sessions::close_account(const std::string& account) {
    std::lock_guard lock(mu_);
    std::erase_if(by_hash_, [&](const auto& kv) { return kv.second.session.account == account; });
}

} // namespace noi::server
