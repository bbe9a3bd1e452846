# Writes OUT, a C++ source holding the compiled catalogue MO and its source PO as bytes
# (shared/src/messages.cpp reads the first with Boost.Locale and its patterns from the second).
# Bytes, not text: a CMake list would split the catalogue's lines at their semicolons.
# Run as: cmake -DMO=… -DPO=… -DOUT=… -P this
include(${CMAKE_CURRENT_LIST_DIR}/bytes_of.cmake)
bytes_of("${MO}" mo)
bytes_of("${PO}" po)
file(WRITE "${OUT}" "// Generated from po/vi.po by cmake/embed_catalogue.cmake; do not edit.
#include \"catalogue.hpp\"

namespace noi::catalogue {
const unsigned char vi_mo[] = {${mo}};
const std::size_t vi_mo_size = sizeof vi_mo;
const unsigned char vi_po[] = {${po}};
const std::size_t vi_po_size = sizeof vi_po;
} // namespace noi::catalogue
")
