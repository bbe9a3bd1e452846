// One value a query reads from a tablet's replica, for tests that look at what synced.
#pragma once

#include <noi/sync/tablet.hpp>

#include <cstdint>
#include <string>

namespace noi::test {

// The first column of the first row, as a number (0 when there is none).
inline std::int64_t count(tablet& t, const std::string& sql) {
    auto st = t.rep().db().prepare(sql);
    return st.step() ? st.column_int(0) : 0;
}

// The first column of the first row, as text; "<none>" when there is no row.
inline std::string text(tablet& t, const std::string& sql) {
    auto st = t.rep().db().prepare(sql);
    return st.step() ? st.column_text(0) : "<none>";
}

} // namespace noi::test
