#include "sqlite_port.hpp"

#include "schema_safe_group.hpp"
#include "server_schema.hpp"
#include "site_bytes.hpp"
#include "sqlite_access_store.hpp"
#include "sqlite_audit_trail.hpp"
#include "sqlite_conflict_book.hpp"
#include "sqlite_device_registry.hpp"
#include "sqlite_feed.hpp"
#include "sqlite_live_sites.hpp"
#include "sqlite_quarantine_book.hpp"
#include "sqlite_schema_log.hpp"
#include "sqlite_unit_registry.hpp"
#include "table_io.hpp"

#include <algorithm>

namespace noi {

sqlite_port::sqlite_port(std::unique_ptr<replica> r) : rep_(std::move(r)), states_(rep_->db()) {
    migrate(rep_->db(), server_migrations(rep_->clock().wall_ms()));
    devices_ = std::make_unique<sqlite_device_registry>(*rep_);
    feed_ = std::make_unique<sqlite_feed>(*rep_);
    quarantine_ = std::make_unique<sqlite_quarantine_book>(*rep_);
    conflicts_ = std::make_unique<sqlite_conflict_book>(*rep_);
    audit_ = std::make_unique<sqlite_audit_trail>(rep_->db(), rep_->tables());
    units_ = std::make_unique<sqlite_unit_registry>(rep_->db());
    live_ = std::make_unique<sqlite_live_sites>(rep_->db());
    schemas_ = std::make_unique<sqlite_schema_log>(rep_->db());
    access_ = std::make_unique<sqlite_access_store>(*rep_);
    data_version_ = rep_->db().data_version();
    rep_->db().on_write_lock([this] { catch_up(); });
}

sqlite_port::~sqlite_port() {
    rep_->db().on_write_lock({});
}

void sqlite_port::catch_up() {
    const auto seen = rep_->db().data_version();
    if (seen == data_version_) return;
    data_version_ = seen;
    feed_->reload();
    rep_->refresh_clock();
    refresh_schema();
    if (caught_up_) caught_up_();
}

void sqlite_port::refresh_schema() {
    if (rep_->refresh_schema())
        audit_ = std::make_unique<sqlite_audit_trail>(rep_->db(), rep_->tables());
}

std::unique_ptr<store_group> sqlite_port::begin() {
    return std::make_unique<schema_safe_group<transaction>>(rep_->db(), *this);
}

void sqlite_port::limit_size(std::uint64_t mib) {
    if (mib == 0) return;
    auto page = rep_->db().prepare("PRAGMA page_size");
    page.step();
    const auto pages =
        static_cast<std::int64_t>(mib) * (1 << 20) / std::max<std::int64_t>(1, page.column_int(0));
    rep_->db().exec("PRAGMA max_page_count = " + std::to_string(pages));
}

device_registry& sqlite_port::devices() {
    return *devices_;
}
feed& sqlite_port::changes() {
    return *feed_;
}
quarantine_book& sqlite_port::quarantine() {
    return *quarantine_;
}
conflict_book& sqlite_port::conflicts() {
    return *conflicts_;
}
audit_trail& sqlite_port::audit() {
    return *audit_;
}
unit_registry& sqlite_port::units() {
    return *units_;
}
live_sites& sqlite_port::live() {
    return *live_;
}
schema_log& sqlite_port::schemas() {
    return *schemas_;
}

table_rows& sqlite_port::rows(const table_def& t) {
    return rep_->io(t);
}

site_id sqlite_port::epoch() {
    auto& st = rep_->db().cached("SELECT value FROM noi_meta WHERE key = 'epoch'");
    site_id e{};
    if (st.step()) e = to_site(st.column_blob(0));
    st.reset();
    return e;
}

void sqlite_port::set_epoch(const site_id& e) {
    auto& st =
        rep_->db().cached("INSERT OR REPLACE INTO noi_meta(key, value) VALUES ('epoch', ?1)");
    st.bind_blob(1, e.data(), e.size());
    st.run();
}

} // namespace noi
