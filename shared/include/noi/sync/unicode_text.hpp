// Text as people compare and read it. Values are stored byte for byte as typed (some
// keyboards type Vietnamese decomposed, NFD: "ươ" as u + horn + o + horn); what an admin
// compares (a device's name, a search) and how wide a terminal shows it must not depend on that.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace noi {

// The NFC form of UTF-8 text; bytes that are not UTF-8 come back unchanged.
std::string nfc(std::string_view utf8);

// Whether a store keeps the text as it is: UTF-8 throughout (no overlong form, no surrogate)
// and no NUL character, which PostgreSQL's text cannot hold and a C string would cut at.
bool storable_text(std::string_view utf8);

// The text with each byte that is not part of a UTF-8 character, and each NUL, written as
// \xNN: what a store's text column and a log line hold of a value a device sent.
std::string escaped_text(std::string_view bytes);

// Whether two texts are the same once both are NFC.
bool same_text(std::string_view a, std::string_view b);

// The text cut to at most `max_bytes` bytes (at least 4) at a character's start, ending in
// "…" when it was cut; shorter text comes back whole.
std::string clipped(std::string_view utf8, std::size_t max_bytes);

// Terminal columns the text takes: combining marks take none, wide (CJK) characters two.
std::size_t display_width(std::string_view utf8);

} // namespace noi
