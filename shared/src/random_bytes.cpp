#include <noi/sync/error.hpp>
#include <noi/sync/random_bytes.hpp>

#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace noi {

random_bytes::random_bytes(std::optional<std::uint64_t> seed) {
    if (seed) seeded_.emplace(*seed);
}

void random_bytes::fill(std::uint8_t* out, std::size_t n) {
    if (seeded_) {
        for (std::size_t i = 0; i < n; ++i)
            out[i] = static_cast<std::uint8_t>((*seeded_)());
        return;
    }
    while (n > 0) {
        if (used_ == block_.size()) {
            std::size_t got = 0;
            while (got < block_.size()) {
                auto r = getrandom(block_.data() + got, block_.size() - got, 0);
                if (r < 0 && errno == EINTR) continue;
                if (r < 0)
                    throw sync_error(errc::refused, std::string("the system gave no randomness "
                                                                "for an id: ") +
                                                        std::strerror(errno));
                got += static_cast<std::size_t>(r);
            }
            used_ = 0;
        }
        const auto take = std::min(n, block_.size() - used_);
        std::memcpy(out, block_.data() + used_, take);
        // Bytes handed out are not kept where a later dump of this block could show them.
        std::memset(block_.data() + used_, 0, take);
        used_ += take;
        out += take;
        n -= take;
    }
}

std::uint64_t random_bytes::next64() {
    if (seeded_) return (*seeded_)();
    std::uint64_t v;
    std::uint8_t b[8];
    fill(b, sizeof b);
    std::memcpy(&v, b, sizeof v);
    return v;
}

} // namespace noi
