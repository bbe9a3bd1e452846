#include "sqlite_live_sites.hpp"

#include "site_bytes.hpp"

namespace noi {

void sqlite_live_sites::beat(const std::string& holder, const std::string& host, std::int64_t pid,
                             std::int64_t now, bool first) {
    if (first) {
        auto& old = db_.cached("DELETE FROM noi_holders WHERE beat_at < ?1");
        old.bind(1, now - 24 * 3600 * 1000);
        old.run();
    }
    auto& st = db_.cached("INSERT INTO noi_holders(holder, host, pid, beat_at) VALUES (?1, ?2, ?3, "
                          "?4) ON CONFLICT(holder) DO UPDATE SET beat_at = ?4");
    st.bind(1, holder).bind(2, host).bind(3, pid).bind(4, now);
    st.run();
}

std::optional<live_sites::holder> sqlite_live_sites::find_holder(const std::string& holder) {
    auto& st = db_.cached("SELECT host, pid, beat_at FROM noi_holders WHERE holder = ?1");
    st.bind(1, holder);
    std::optional<live_sites::holder> h;
    if (st.step()) h = live_sites::holder{st.column_text(0), st.column_int(1), st.column_int(2)};
    st.reset();
    return h;
}

std::optional<std::string> sqlite_live_sites::claimant(const site_id& s) {
    const auto key = site_bytes(s);
    auto& st = db_.cached("SELECT holder FROM noi_live_sites WHERE site = ?1");
    st.bind_blob(1, key.data(), key.size());
    std::optional<std::string> holder;
    if (st.step()) holder = st.column_text(0);
    st.reset();
    return holder;
}

void sqlite_live_sites::claim(const site_id& s, const std::string& holder, std::int64_t now) {
    const auto key = site_bytes(s);
    auto& st = db_.cached(
        "INSERT OR REPLACE INTO noi_live_sites(site, holder, since) VALUES (?1, ?2, ?3)");
    st.bind_blob(1, key.data(), key.size()).bind(2, holder).bind(3, now);
    st.run();
}

void sqlite_live_sites::release(const site_id& s, const std::string& holder) {
    const auto key = site_bytes(s);
    auto& st = db_.cached("DELETE FROM noi_live_sites WHERE site = ?1 AND holder = ?2");
    st.bind_blob(1, key.data(), key.size()).bind(2, holder);
    st.run();
}

void sqlite_live_sites::leave(const std::string& holder) {
    auto& drop = db_.cached("DELETE FROM noi_live_sites WHERE holder = ?1");
    drop.bind(1, holder);
    drop.run();
    auto& gone = db_.cached("DELETE FROM noi_holders WHERE holder = ?1");
    gone.bind(1, holder);
    gone.run();
}

} // namespace noi
