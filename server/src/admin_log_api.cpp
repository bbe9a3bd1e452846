// /admin/v1/log: what every account did, newest first.
#include "admin_handlers.hpp"
#include "api_query.hpp"

namespace noi::server {

// The admin log, newest first (?offset=N&limit=N, at most 500 a page).
api_response admin_log(admin_request& r) {
    auto p = page_of(r.q);
    if (!p.problem.empty()) return error(400, p.problem);
    json out = json::array();
    for (const auto& e :
         r.store.access().admin_log(static_cast<std::int64_t>(p.offset),
                                    p.limit ? static_cast<std::int64_t>(p.limit) : -1))
        out.push_back({{"id", e.id},
                       {"at", iso8601_ms(e.at_ms)},
                       {"account", e.account},
                       {"action", e.action},
                       {"action_text", both(action_text(e.action))},
                       {"target", e.target},
                       {"detail", e.detail},
                       {"detail_text", both(in_both(e.detail))}});
    return {200, text(out), r.store.access().admin_log_size()};
}

} // namespace noi::server
