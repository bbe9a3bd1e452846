// The Vietnamese catalogue, built in (cmake/embed_catalogue.cmake): compiled by msgfmt, and as
// written.
#pragma once

#include <cstddef>

namespace noi::catalogue {

extern const unsigned char vi_mo[];
extern const std::size_t vi_mo_size;
extern const unsigned char vi_po[];
extern const std::size_t vi_po_size;

} // namespace noi::catalogue
