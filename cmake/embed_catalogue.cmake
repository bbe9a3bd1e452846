# Writes OUT, a C++ source holding the compiled catalogue MO as bytes (shared/src/messages.cpp
# reads it with Boost.Locale, and its patterns from its table of msgids).
# Run as: cmake -DMO=… -DOUT=… -P this
include(${CMAKE_CURRENT_LIST_DIR}/bytes_of.cmake)
bytes_of("${MO}" mo)
file(WRITE "${OUT}" "// Generated from po/vi.po by cmake/embed_catalogue.cmake; do not edit.
#include \"catalogue.hpp\"

namespace noi::catalogue {
const unsigned char vi_mo[] = {${mo}};
const std::size_t vi_mo_size = sizeof vi_mo;
} // namespace noi::catalogue
")
