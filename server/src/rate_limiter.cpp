#include "rate_limiter.hpp"

#include <algorithm>

namespace noi::server {

// Devices are enrolled by the province, so the map is bounded by the fleet; a full one starts
// again (every bucket then full: a moment's leniency, never a refusal).
rate_limiter::bucket& rate_limiter::refilled(const std::string& device_id, clock::time_point now) {
    if (buckets_.size() >= max_devices_) buckets_.clear();
    auto [it, fresh] = buckets_.try_emplace(device_id, bucket{burst_, now});
    auto& b = it->second;
    if (!fresh) {
        const double seconds = std::chrono::duration<double>(now - b.at).count();
        b.tokens = std::min(burst_, b.tokens + seconds * per_second_);
        b.at = now;
    }
    return b;
}

rate_limiter::clock::duration rate_limiter::take(const std::string& device_id, double cost,
                                                 clock::time_point now) {
    if (per_second_ <= 0) return clock::duration::zero();
    std::lock_guard lock(mu_);
    auto& b = refilled(device_id, now);
    b.tokens -= cost;
    if (b.tokens >= 0) return clock::duration::zero();
    return std::chrono::duration_cast<clock::duration>(
        std::chrono::duration<double>(-b.tokens / per_second_));
}

bool rate_limiter::try_take(const std::string& device_id, double cost, clock::time_point now) {
    if (per_second_ <= 0) return true;
    std::lock_guard lock(mu_);
    auto& b = refilled(device_id, now);
    if (b.tokens < cost) return false;
    b.tokens -= cost;
    return true;
}

} // namespace noi::server
