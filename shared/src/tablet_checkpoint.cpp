#include "tablet_checkpoint.hpp"

#include <string_view>

namespace noi {

tablet_checkpoint read_checkpoint(database& db) {
    auto& st = db.cached("SELECT key, value FROM noi_meta WHERE key IN ('acked_seq', 'sent_seq', "
                         "'local_seq', 'cursor', 'pull_own', 'hlc_received', "
                         "'confirmed_rejection', 'last_sync_at')");
    tablet_checkpoint cp;
    while (st.step()) {
        const auto key = st.column_text(0);
        const auto v = st.column_int(1);
        const auto u = static_cast<std::uint64_t>(v);
        if (key == "acked_seq")
            cp.acked = u;
        else if (key == "sent_seq")
            cp.sent = u;
        else if (key == "local_seq")
            cp.local = u;
        else if (key == "cursor")
            cp.cursor = u;
        else if (key == "pull_own")
            cp.pulls_own = v != 0;
        else if (key == "hlc_received")
            cp.hlc_received = u;
        else if (key == "confirmed_rejection")
            cp.confirmed_rejection = u;
        else if (key == "last_sync_at" && v >= 0)
            cp.last_sync_at_ms = v;
    }
    st.reset();
    return cp;
}

void write_checkpoint(database& db, const tablet_checkpoint& was, const tablet_checkpoint& now) {
    if (now == was) return;
    auto& put = db.cached("INSERT OR REPLACE INTO noi_meta(key, value) VALUES (?1, ?2)");
    auto set = [&](std::string_view key, auto before, auto after) {
        if (before == after) return;
        put.bind(1, key).bind(2, static_cast<std::int64_t>(after));
        put.run();
    };
    set("acked_seq", was.acked, now.acked);
    set("sent_seq", was.sent, now.sent);
    set("local_seq", was.local, now.local);
    set("cursor", was.cursor, now.cursor);
    set("pull_own", was.pulls_own, now.pulls_own);
    set("hlc_received", was.hlc_received, now.hlc_received);
    set("confirmed_rejection", was.confirmed_rejection, now.confirmed_rejection);
    set("last_sync_at", was.last_sync_at_ms.value_or(-1), now.last_sync_at_ms.value_or(-1));
}

} // namespace noi
