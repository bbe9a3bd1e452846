#include "pg_tables.hpp"

#include <noi/sync/error.hpp>

namespace noi::pg {

namespace {

constexpr const char* tables = R"sql(
CREATE TABLE IF NOT EXISTS noi_meta (key text PRIMARY KEY, value text, bytes bytea);
CREATE TABLE IF NOT EXISTS noi_tables (name text PRIMARY KEY, scope_column text NOT NULL,
  spec bytea NOT NULL);
CREATE TABLE IF NOT EXISTS noi_rows (tbl text NOT NULL, id text NOT NULL, state bytea NOT NULL,
  PRIMARY KEY (tbl, id));
CREATE TABLE IF NOT EXISTS noi_feed (seq bigint PRIMARY KEY, tbl text NOT NULL, id text NOT NULL,
  scope text, site bytea, at bigint, device_id text, writer bytea, cells bytea, prev bigint,
  only_site bytea, dead boolean);
CREATE INDEX IF NOT EXISTS noi_feed_live ON noi_feed (scope, seq)
  WHERE dead IS NULL AND only_site IS NULL;
CREATE INDEX IF NOT EXISTS noi_feed_answers ON noi_feed (only_site, seq)
  WHERE only_site IS NOT NULL AND dead IS NULL;
CREATE TABLE IF NOT EXISTS noi_audit (id bigint PRIMARY KEY, at bigint NOT NULL,
  device_id text NOT NULL, site bytea NOT NULL, tbl text NOT NULL, row_id text NOT NULL,
  cells bytea NOT NULL);
CREATE INDEX IF NOT EXISTS noi_audit_row ON noi_audit (tbl, row_id);
CREATE OR REPLACE VIEW noi_audit_log AS
  SELECT id, at, device_id, site, tbl, row_id, cells FROM noi_audit
  UNION ALL SELECT seq, at, device_id, coalesce(writer, site), tbl, id, cells FROM noi_feed
  WHERE cells IS NOT NULL;
CREATE TABLE IF NOT EXISTS noi_audit_columns (id bigint PRIMARY KEY, names bytea NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS noi_devices (device_id text PRIMARY KEY, scope text NOT NULL,
  name text NOT NULL DEFAULT '', created_at bigint NOT NULL, revoked boolean NOT NULL DEFAULT false,
  last_contact_at bigint, last_sync_at bigint, pending bigint, oldest_pending_at bigint,
  clock_skew_ms bigint, app_version text, schema_version bigint, refused_at bigint,
  held_scope text, scope_version bigint NOT NULL DEFAULT 0,
  wipe_ordered_at bigint, wiped_at bigint);
CREATE TABLE IF NOT EXISTS noi_sites (site bytea PRIMARY KEY, device_id text NOT NULL,
  acked_seq bigint NOT NULL DEFAULT 0, confirmed_rejection bigint NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS noi_conflicts (id bigint PRIMARY KEY, kind text NOT NULL,
  tbl text NOT NULL, row_id text NOT NULL, col text, scope text,
  status text NOT NULL DEFAULT 'open', created_at bigint NOT NULL,
  w_value bytea, w_site bytea, w_hlc bigint, w_deleted boolean,
  l_value bytea, l_site bytea, l_hlc bigint, l_deleted boolean,
  resolved_by text, resolved_at bigint, resolution text, device_id text, w_device text,
  l_device text);
CREATE INDEX IF NOT EXISTS noi_conflicts_device ON noi_conflicts (device_id, status);
CREATE INDEX IF NOT EXISTS noi_conflicts_status ON noi_conflicts (status, id);
CREATE TABLE IF NOT EXISTS noi_quarantine (id bigint PRIMARY KEY, device_id text NOT NULL,
  site bytea NOT NULL, tbl text NOT NULL, row_id text NOT NULL, seq bigint NOT NULL,
  reason bigint NOT NULL, message text NOT NULL, payload bytea, received_at bigint NOT NULL,
  status text NOT NULL DEFAULT 'open', repeats bigint NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS noi_quarantine_device ON noi_quarantine (device_id, status);
CREATE INDEX IF NOT EXISTS noi_quarantine_site ON noi_quarantine (site, id);
CREATE TABLE IF NOT EXISTS noi_units (id text PRIMARY KEY, code text NOT NULL, name text NOT NULL,
  kind text NOT NULL DEFAULT '', province_code text NOT NULL DEFAULT '',
  province text NOT NULL DEFAULT '', district_code text, district text, valid_from text,
  valid_until text, change_id bigint);
CREATE INDEX IF NOT EXISTS noi_units_code ON noi_units (code);
CREATE TABLE IF NOT EXISTS noi_map_changes (id bigint PRIMARY KEY, kind text NOT NULL,
  effective text NOT NULL, basis text NOT NULL DEFAULT '', account text NOT NULL,
  at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS noi_lineage (change_id bigint NOT NULL, old_unit text NOT NULL,
  new_unit text NOT NULL, share text NOT NULL, PRIMARY KEY (old_unit, new_unit));
CREATE INDEX IF NOT EXISTS noi_lineage_new ON noi_lineage (new_unit);
CREATE TABLE IF NOT EXISTS noi_row_moves (id bigint PRIMARY KEY, tbl text NOT NULL,
  row_id text NOT NULL, from_unit text NOT NULL, to_unit text NOT NULL, at bigint NOT NULL,
  account text NOT NULL);
CREATE INDEX IF NOT EXISTS noi_row_moves_row ON noi_row_moves (tbl, row_id);
CREATE TABLE IF NOT EXISTS noi_holders (holder text PRIMARY KEY, host text NOT NULL,
  pid bigint NOT NULL, beat_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS noi_live_sites (site bytea PRIMARY KEY, holder text NOT NULL,
  since bigint NOT NULL);
CREATE TABLE IF NOT EXISTS noi_schema_history (version bigint PRIMARY KEY,
  applied_at bigint NOT NULL, applied_by text NOT NULL, feed_head bigint NOT NULL,
  changes text NOT NULL, labels text);
CREATE TABLE IF NOT EXISTS noi_tokens (hash bytea PRIMARY KEY, kind text NOT NULL, device_id text,
  created_at bigint NOT NULL, account text);
CREATE TABLE IF NOT EXISTS noi_accounts (name text PRIMARY KEY, role text NOT NULL,
  communes text NOT NULL DEFAULT '', disabled boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL, password_hash text);
CREATE TABLE IF NOT EXISTS noi_admin_log (id bigint PRIMARY KEY, at bigint NOT NULL,
  account text NOT NULL, action text NOT NULL, target text NOT NULL,
  detail text NOT NULL DEFAULT '');
)sql";

} // namespace

void create_tables(connection& c) {
    c.exec(tables);
    // Columns added after store format 1, nullable: a store made before gains them when it
    // opens, and an earlier release ignores them. Looked for first: ALTER TABLE would lock the
    // table against every other server process even when there is nothing to add.
    const auto missing = [&](const char* table, const char* column) {
        return c.run("SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND "
                     "column_name = $2",
                     {table, column})
                   .rows() == 0;
    };
    if (missing("noi_devices", "wiped_at"))
        c.exec("ALTER TABLE noi_devices ADD COLUMN IF NOT EXISTS wipe_ordered_at bigint; "
               "ALTER TABLE noi_devices ADD COLUMN IF NOT EXISTS wiped_at bigint");
    if (missing("noi_schema_history", "labels"))
        c.exec("ALTER TABLE noi_schema_history ADD COLUMN IF NOT EXISTS labels text");
    auto held = c.run("SELECT value FROM noi_meta WHERE key = 'store_format'");
    if (held.rows() == 0) {
        c.run("INSERT INTO noi_meta(key, value) VALUES ('store_format', $1)", {store_format});
        return;
    }
    const auto format = std::stoll(held.bytes(0, 0));
    if (format > store_format)
        throw sync_error(errc::refused, "the PostgreSQL store is of format " +
                                            std::to_string(format) +
                                            ", made by a later release; "
                                            "update noi-server to open it");
}

void make_tables_of_new_store(connection& c, const char* command) {
    c.run("SELECT pg_advisory_xact_lock($1)", {write_lock_key});
    if (holds_store(c))
        throw sync_error(errc::refused, std::string("this PostgreSQL database holds a Nối store "
                                                    "already; give ") +
                                            command + " an empty database");
    create_tables(c);
}

bool holds_store(connection& c) {
    return c.run("SELECT 1 FROM pg_tables WHERE tablename = 'noi_meta'").rows() > 0 &&
           c.run("SELECT 1 FROM noi_meta WHERE key = 'site_id'").rows() > 0;
}

} // namespace noi::pg
