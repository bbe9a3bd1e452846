#include "log_throttle.hpp"

namespace noi::server {

log_throttle::verdict log_throttle::allow(const std::string& key, clock::time_point now) {
    std::lock_guard lock(mu_);
    auto [it, fresh] = keys_.try_emplace(key, minute{now});
    auto& m = it->second;
    std::size_t told_late = 0;
    if (!fresh && now - m.started >= std::chrono::minutes(1)) {
        told_late = m.held_back;
        m = minute{now};
    }
    if (m.written < per_minute_) {
        ++m.written;
        return {true, told_late};
    }
    ++m.held_back;
    return {false, told_late};
}

std::vector<log_throttle::summary> log_throttle::ended(clock::time_point now) {
    std::vector<summary> out;
    std::lock_guard lock(mu_);
    for (auto it = keys_.begin(); it != keys_.end();) {
        if (now - it->second.started < std::chrono::minutes(1)) {
            ++it;
            continue;
        }
        if (it->second.held_back) out.push_back({it->first, it->second.held_back});
        it = keys_.erase(it);
    }
    return out;
}

} // namespace noi::server
