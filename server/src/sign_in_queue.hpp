// Console sign-ins waiting for their password's check: Argon2id takes 64 MiB and about 0.1 s,
// on one thread, so the queue is bounded (at most `max_pending` waiting or being checked) and
// holds one sign-in per client address. An address cannot queue a second guess behind its
// first, so a sign-in waits for at most one check of each other address, and beyond the bound
// it is refused at once instead of waiting. Unbounded, four guessing addresses made a real
// admin's sign-in take 9–12 s (issue 28, item 4).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <variant>

namespace noi::server {

class sign_in_queue {
public:
    explicit sign_in_queue(std::size_t max_pending) : max_(max_pending) {}

    // A sign-in's place in the queue, from before its account is looked up until its check is
    // over; destroying it frees the place, however the sign-in ended.
    class place {
    public:
        ~place() { queue_.leave(address_); }
        place(const place&) = delete;
        place& operator=(const place&) = delete;

    private:
        friend class sign_in_queue;
        place(sign_in_queue& q, std::string address) : queue_(q), address_(std::move(address)) {}
        sign_in_queue& queue_;
        std::string address_;
    };

    enum class refusal {
        address_busy, // a sign-in from this address is being checked
        full,         // max_pending sign-ins are
    };
    // A place for a sign-in from `address`, or why there is none. Thread-safe.
    std::variant<std::shared_ptr<place>, refusal> enter(const std::string& address);
    // Sign-ins waiting or being checked now.
    std::size_t pending();

private:
    void leave(const std::string& address);

    const std::size_t max_;
    std::mutex mu_;
    std::set<std::string> addresses_; // of the sign-ins that hold a place
};

} // namespace noi::server
