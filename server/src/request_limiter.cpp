#include "request_limiter.hpp"

#include <algorithm>

namespace noi::server {

request_limiter::clock::duration request_limiter::take(const std::string& device_id,
                                                       clock::time_point now) {
    if (per_second_ <= 0) return clock::duration::zero();
    const double burst = 2.0 * per_second_;
    std::lock_guard lock(mu_);
    // Devices are enrolled by the province, so the map is bounded by the fleet; a full one
    // starts again (every bucket then full: a moment's leniency, never a refusal).
    if (buckets_.size() >= max_devices_) buckets_.clear();
    auto [it, fresh] = buckets_.try_emplace(device_id, bucket{burst, now});
    auto& b = it->second;
    if (!fresh) {
        const double seconds = std::chrono::duration<double>(now - b.at).count();
        b.tokens = std::min(burst, b.tokens + seconds * per_second_);
        b.at = now;
    }
    b.tokens -= 1.0;
    if (b.tokens >= 0) return clock::duration::zero();
    return std::chrono::duration_cast<clock::duration>(
        std::chrono::duration<double>(-b.tokens / per_second_));
}

} // namespace noi::server
