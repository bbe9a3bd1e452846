// The sync core's error type: a fixed code, whether a retry can help, and a message that
// tells the user what to do.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace noi {

enum class errc : std::uint16_t {
    sqlite = 1,           // SQLite reported an error
    schema = 2,           // a table cannot be synced as defined
    not_a_replica = 3,    // the file is not a Nối replica
    already_exists = 4,   // init on a replica that exists
    out_of_scope = 5,     // a write outside the device's scope
    corrupt_state = 6,    // internal state that does not decode
    protocol = 7,         // the peer broke the protocol
    refused = 8,          // the peer refused the request
    storage_full = 9,     // the disk, or the database's size limit, is full
    clock_exhausted = 10, // the HLC is at its greatest value and cannot issue another
    postgresql = 11,      // PostgreSQL reported an error, or cannot be reached
};

class sync_error : public std::runtime_error {
public:
    sync_error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
    errc code() const noexcept { return code_; }

private:
    errc code_;
};

// A full disk (or database size limit): the one failure a server reports as such.
inline bool is_storage_full(const std::exception& e) {
    const auto* se = dynamic_cast<const sync_error*>(&e);
    return se && se->code() == errc::storage_full;
}

} // namespace noi
