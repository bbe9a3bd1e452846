// The Vietnamese catalogue, built in (cmake/embed_catalogue.cmake) as msgfmt compiled it.
#pragma once

#include <cstddef>

namespace noi::catalogue {

extern const unsigned char vi_mo[];
extern const std::size_t vi_mo_size;

} // namespace noi::catalogue
