// Failed authentications per client address, as a token bucket: each address may fail
// `per_minute` times in a burst, and regains that many a minute. An address that has used
// its budget is refused (429) for everything that needs a token until it regains one, so
// guessing tokens, or a misconfigured tablet retrying in a loop, costs the server little.
// Tablets behind one carrier NAT share an address: the budget is per address, not per
// device, and a refused tablet simply retries later (docs/security.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace noi::server {

class auth_limiter {
public:
    using clock = std::chrono::steady_clock;
    explicit auth_limiter(int per_minute, std::size_t max_addresses = 100'000)
        : per_minute_(per_minute), max_addresses_(max_addresses) {}

    // Seconds until the address may try again; 0 when it may now. Thread-safe.
    int blocked_for(const std::string& address, clock::time_point now = clock::now());
    void failed(const std::string& address, clock::time_point now = clock::now());
    // For a check whose outcome is not known yet (a console password): takes one failure from
    // the address's budget ahead of it and returns 0, or, with nothing left, takes nothing and
    // returns the seconds until the address may try again. Taken before the check, so checks
    // running at once cannot pass the budget between them. Thread-safe.
    int take(const std::string& address, clock::time_point now = clock::now());
    // Gives back what take() took: the check succeeded, and success costs no budget.
    void give_back(const std::string& address, clock::time_point now = clock::now());
    std::size_t addresses_tracked();

private:
    struct bucket {
        double tokens;
        clock::time_point at;
    };
    void refill(bucket& b, clock::time_point now) const;
    int seconds_until_one(const bucket& b) const;
    // The address's bucket, refilled to `now`; an unknown address gets a full one.
    bucket& bucket_of(const std::string& address, clock::time_point now);
    void forget_full_buckets(clock::time_point now);

    const int per_minute_; // 0: no limit
    const std::size_t max_addresses_;
    std::mutex mu_;
    std::unordered_map<std::string, bucket> buckets_;
};

} // namespace noi::server
