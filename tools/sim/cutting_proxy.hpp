// A TCP proxy on 127.0.0.1 for fault tests: it forwards each connection to the target and
// cuts it after a random number of bytes (both directions counted) or after a time, and can
// delay traffic and limit its rate (a 2G link: about 2,500 bytes a second, 300 ms latency).
// Deterministic by seed; bounded: it serves until stopped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace noi::sim {

struct proxy_options {
    std::uint16_t target_port = 0;
    std::uint64_t seed = 1;
    double cut_share = 1.0;            // the share of connections that get cut at all
    std::size_t min_cut_bytes = 2'000; // a cut connection carries at least this much before the cut
    std::size_t max_cut_bytes = 60'000;
    int delay_ms = 0;         // added before forwarding each chunk
    int rate_bytes_per_s = 0; // a slow link: each chunk waits its time on the wire (0: no limit)
    int cut_after_ms = 0;     // every connection is cut this long after it opens (0: never)
};

class cutting_proxy {
public:
    explicit cutting_proxy(proxy_options opt);
    ~cutting_proxy();
    std::uint16_t port() const;
    std::uint64_t connections() const;
    std::uint64_t cuts() const;
    std::uint64_t bytes() const; // forwarded, both directions

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace noi::sim
