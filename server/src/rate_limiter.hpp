// A budget per device, as a token bucket: `burst` at most, `per_second` more each second. Used
// for sync requests (a device over it is read later, not refused, so one device's flood cannot
// take the database threads from the others) and for bytes pushed (a device over it is told to
// retry later). Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace noi::server {

class rate_limiter {
public:
    using clock = std::chrono::steady_clock;
    // per_second 0: no limit. burst 0: twice per_second.
    explicit rate_limiter(double per_second, double burst = 0, std::size_t max_devices = 100'000)
        : per_second_(per_second), burst_(burst > 0 ? burst : 2 * per_second),
          max_devices_(max_devices) {}

    // Takes `cost` from the device's budget, into debt if need be; returns how long the device
    // must wait before what it took is covered (zero while it is within its budget).
    clock::duration take(const std::string& device_id, double cost = 1,
                         clock::time_point now = clock::now());
    // Takes `cost` only when the budget covers it; false, taking nothing, otherwise.
    bool try_take(const std::string& device_id, double cost, clock::time_point now = clock::now());

private:
    struct bucket {
        double tokens;
        clock::time_point at;
    };
    bucket& refilled(const std::string& device_id, clock::time_point now);

    const double per_second_;
    const double burst_;
    const std::size_t max_devices_;
    std::mutex mu_;
    std::unordered_map<std::string, bucket> buckets_;
};

} // namespace noi::server
