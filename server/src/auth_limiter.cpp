#include "auth_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace noi::server {

void auth_limiter::refill(bucket& b, clock::time_point now) const {
    const double minutes = std::chrono::duration<double>(now - b.at).count() / 60.0;
    b.tokens = std::min<double>(per_minute_, b.tokens + minutes * per_minute_);
    b.at = now;
}

int auth_limiter::seconds_until_one(const bucket& b) const {
    return static_cast<int>(std::ceil((1.0 - b.tokens) * 60.0 / per_minute_));
}

auth_limiter::bucket& auth_limiter::bucket_of(const std::string& address, clock::time_point now) {
    if (buckets_.size() >= max_addresses_) forget_full_buckets(now);
    auto [it, fresh] = buckets_.try_emplace(address, bucket{static_cast<double>(per_minute_), now});
    if (!fresh) refill(it->second, now);
    return it->second;
}

int auth_limiter::blocked_for(const std::string& address, clock::time_point now) {
    if (per_minute_ <= 0) return 0;
    std::lock_guard lock(mu_);
    auto it = buckets_.find(address);
    if (it == buckets_.end()) return 0;
    refill(it->second, now);
    if (it->second.tokens >= 1.0) return 0;
    return seconds_until_one(it->second);
}

void auth_limiter::failed(const std::string& address, clock::time_point now) {
    if (per_minute_ <= 0) return;
    std::lock_guard lock(mu_);
    auto& b = bucket_of(address, now);
    b.tokens = std::max(0.0, b.tokens - 1.0);
}

int auth_limiter::take(const std::string& address, clock::time_point now) {
    if (per_minute_ <= 0) return 0;
    std::lock_guard lock(mu_);
    auto& b = bucket_of(address, now);
    if (b.tokens < 1.0) return seconds_until_one(b);
    b.tokens -= 1.0;
    return 0;
}

void auth_limiter::give_back(const std::string& address, clock::time_point now) {
    if (per_minute_ <= 0) return;
    std::lock_guard lock(mu_);
    // An address forgotten meanwhile starts with a full budget anyway.
    auto it = buckets_.find(address);
    if (it == buckets_.end()) return;
    refill(it->second, now);
    it->second.tokens = std::min<double>(per_minute_, it->second.tokens + 1.0);
}

std::size_t auth_limiter::addresses_tracked() {
    std::lock_guard lock(mu_);
    return buckets_.size();
}

// A full bucket is what an unknown address starts with, so forgetting it changes nothing;
// if every address is still draining, the oldest half goes (a flood of addresses must not
// grow memory without bound).
void auth_limiter::forget_full_buckets(clock::time_point now) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        auto b = it->second;
        refill(b, now);
        it = b.tokens >= per_minute_ ? buckets_.erase(it) : std::next(it);
    }
    if (buckets_.size() < max_addresses_) return;
    std::vector<std::pair<clock::time_point, std::string>> by_age;
    for (const auto& [a, b] : buckets_)
        by_age.emplace_back(b.at, a);
    std::sort(by_age.begin(), by_age.end());
    for (std::size_t i = 0; i < by_age.size() / 2; ++i)
        buckets_.erase(by_age[i].second);
}

} // namespace noi::server
