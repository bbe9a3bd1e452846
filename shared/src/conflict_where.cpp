#include "conflict_where.hpp"

namespace noi {

conflict_where::conflict_where(const conflict_filter& f, char mark) {
    auto next = [&](value v) {
        params.push_back(std::move(v));
        std::string placeholder(1, mark);
        placeholder += std::to_string(params.size());
        return placeholder;
    };
    auto term = [&](const std::string& condition) {
        sql += (sql.empty() ? " WHERE " : " AND ") + condition;
    };
    if (f.id) term("c.id = " + next(static_cast<std::int64_t>(*f.id)));
    if (f.status) term("c.status = " + next(std::string(to_string(*f.status))));
    if (f.table) term("c.tbl = " + next(*f.table));
    if (f.row_id) term("c.row_id = " + next(*f.row_id));
    if (f.scope) term("c.scope = " + next(*f.scope));
    if (f.device_id) term("c.device_id = " + next(*f.device_id));
    if (f.involving) {
        const auto d = next(*f.involving);
        term("(c.device_id = " + d + " OR c.w_device = " + d + " OR c.l_device = " + d + ")");
    }
    if (f.after_id) term("c.id > " + next(static_cast<std::int64_t>(*f.after_id)));
    if (!f.ids.empty()) {
        std::string in;
        for (const auto id : f.ids)
            in += (in.empty() ? "" : ", ") + next(static_cast<std::int64_t>(id));
        term("c.id IN (" + in + ")");
    }
    if (f.created_before_ms) term("c.created_at <= " + next(*f.created_before_ms));
    // A viewer's communes: a conflict of a global table (no scope) is none of them.
    if (!f.scopes.empty()) {
        std::string in;
        for (const auto& sc : f.scopes)
            in += (in.empty() ? "" : ", ") + next(sc);
        term("c.scope IN (" + in + ")");
    }
}

} // namespace noi
