#include "sign_in_queue.hpp"

namespace noi::server {

std::variant<std::shared_ptr<sign_in_queue::place>, sign_in_queue::refusal>
sign_in_queue::enter(const std::string& address) {
    std::lock_guard lock(mu_);
    if (addresses_.count(address)) return refusal::address_busy;
    if (addresses_.size() >= max_) return refusal::full;
    addresses_.insert(address);
    return std::shared_ptr<place>(new place(*this, address));
}

std::size_t sign_in_queue::pending() {
    std::lock_guard lock(mu_);
    return addresses_.size();
}

void sign_in_queue::leave(const std::string& address) {
    std::lock_guard lock(mu_);
    addresses_.erase(address);
}

} // namespace noi::server
