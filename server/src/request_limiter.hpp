// Sync requests per device, as a token bucket: a burst of `per_second` * 2, `per_second` more
// each second. A device over it is not refused: its sessions read their next request later, so
// one device's flood cannot take the database threads from the others. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace noi::server {

class request_limiter {
public:
    using clock = std::chrono::steady_clock;
    explicit request_limiter(int per_second, std::size_t max_devices = 100'000)
        : per_second_(per_second), max_devices_(max_devices) {}

    // Takes one request from the device's budget; returns how long it must wait first (zero
    // while it is within its budget).
    clock::duration take(const std::string& device_id, clock::time_point now = clock::now());

private:
    struct bucket {
        double tokens;
        clock::time_point at;
    };
    const int per_second_; // 0: no limit
    const std::size_t max_devices_;
    std::mutex mu_;
    std::unordered_map<std::string, bucket> buckets_;
};

} // namespace noi::server
