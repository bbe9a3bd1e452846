// The protocol decoder on arbitrary bytes: it never crashes, and whatever it accepts encodes
// and decodes back to the same message.
#include <noi/protocol/codec.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto decoded = noi::proto::decode({data, size});
    if (auto* m = std::get_if<noi::proto::message>(&decoded)) {
        auto again = noi::proto::decode(noi::proto::encode(*m));
        auto* back = std::get_if<noi::proto::message>(&again);
        if (!back || !(*back == *m)) std::abort();
    }
    return 0;
}
