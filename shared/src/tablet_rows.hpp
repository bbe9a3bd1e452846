// What the parts of the tablet role (tablet*.cpp) share: a row's values wherever they are
// kept, and the guard that keeps applied changes out of the capture log.
#pragma once

#include <noi/sync/replica.hpp>
#include <noi/sync/row_state.hpp>

#include "table_io.hpp"

#include <string>
#include <vector>

namespace noi {

// Capture is off for the life of this guard: applied remote changes are not echoed.
class capture_off {
public:
    explicit capture_off(replica& r) : r_(r) { r_.set_capture(false); }
    ~capture_off() { r_.set_capture(true); }

private:
    replica& r_;
};

// The values a row holds outside the table: a deleted or not yet visible row's last values.
inline std::vector<value> tomb_values(const table_def& def, const row_state* st) {
    auto t = st ? st->tomb : std::vector<value>{};
    t.resize(def.columns.size());
    return t;
}

inline std::vector<value> current_values(replica& rep, const table_def& def, const std::string& id,
                                         const row_state* st) {
    if (auto v = rep.io(def).read(id)) return *v;
    return tomb_values(def, st);
}

inline row_state fresh_state(const table_def& def) {
    row_state s;
    s.cells.resize(def.columns.size());
    return s;
}

} // namespace noi
