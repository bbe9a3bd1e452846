#include "server_schema.hpp"

#include <noi/sync/national_map.hpp>

namespace noi {
namespace {

// Format 2: the tables as they stand now. A database made before the runner (format 1) holds
// them already, perhaps without the columns later steps add.
constexpr const char* server_tables = R"sql(
CREATE TABLE IF NOT EXISTS noi_feed (seq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, id TEXT NOT NULL, scope TEXT, site BLOB,
  at INTEGER, device_id TEXT, writer BLOB, cells BLOB, prev INTEGER);
CREATE INDEX IF NOT EXISTS noi_feed_scope ON noi_feed (scope, seq);
CREATE TABLE IF NOT EXISTS noi_devices (
  device_id TEXT PRIMARY KEY, scope TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
  last_contact_at INTEGER, last_sync_at INTEGER, pending INTEGER, oldest_pending_at INTEGER,
  clock_skew_ms INTEGER, app_version TEXT, schema_version INTEGER, refused_at INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noi_sites (
  site BLOB PRIMARY KEY, device_id TEXT NOT NULL, acked_seq INTEGER NOT NULL DEFAULT 0,
  confirmed_rejection INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noi_conflicts (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, tbl TEXT NOT NULL, row_id TEXT NOT NULL, col TEXT,
  scope TEXT, status TEXT NOT NULL DEFAULT 'open', created_at INTEGER NOT NULL,
  w_value, w_site BLOB, w_hlc INTEGER, w_deleted INTEGER,
  l_value, l_site BLOB, l_hlc INTEGER, l_deleted INTEGER,
  resolved_by TEXT, resolved_at INTEGER, resolution TEXT);
CREATE TABLE IF NOT EXISTS noi_quarantine (
  id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, site BLOB NOT NULL, tbl TEXT NOT NULL,
  row_id TEXT NOT NULL, seq INTEGER NOT NULL, reason INTEGER NOT NULL, message TEXT NOT NULL,
  payload BLOB, received_at INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'open',
  repeats INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS noi_quarantine_site ON noi_quarantine (site, id);
CREATE TABLE IF NOT EXISTS noi_audit (
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, device_id TEXT NOT NULL, site BLOB NOT NULL,
  tbl TEXT NOT NULL, row_id TEXT NOT NULL, cells BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS noi_audit_row ON noi_audit (tbl, row_id);
CREATE TABLE IF NOT EXISTS noi_audit_columns (id INTEGER PRIMARY KEY, names BLOB NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS noi_tokens (hash BLOB PRIMARY KEY, kind TEXT NOT NULL,
  device_id TEXT, created_at INTEGER NOT NULL, account TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noi_accounts (name TEXT PRIMARY KEY, role TEXT NOT NULL,
  communes TEXT NOT NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noi_admin_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL,
  account TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
)sql";

// Every audit record, for reading with SQL: those of databases from before the records moved
// onto their feed entries, then the feed's. A feed entry's writer is NULL when it is the site
// whose push the entry applies, which the entry holds already.
constexpr const char* audit_view = R"sql(
DROP VIEW IF EXISTS noi_audit_log;
CREATE VIEW noi_audit_log AS
  SELECT id, at, device_id, site, tbl, row_id, cells FROM noi_audit
  UNION ALL SELECT seq, at, device_id, coalesce(writer, site), tbl, id, cells FROM noi_feed
  WHERE cells IS NOT NULL)sql";

constexpr const char* map_tables = R"sql(
CREATE TABLE IF NOT EXISTS noi_units (id TEXT PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT '', province_code TEXT NOT NULL DEFAULT '',
  province TEXT NOT NULL DEFAULT '', district_code TEXT, district TEXT, valid_from TEXT,
  valid_until TEXT, change_id INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS noi_units_code ON noi_units (code);
CREATE TABLE IF NOT EXISTS noi_map_changes (id INTEGER PRIMARY KEY, kind TEXT NOT NULL,
  effective TEXT NOT NULL, basis TEXT NOT NULL DEFAULT '', account TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS noi_lineage (change_id INTEGER NOT NULL, old_unit TEXT NOT NULL,
  new_unit TEXT NOT NULL, share TEXT NOT NULL, PRIMARY KEY (old_unit, new_unit)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS noi_lineage_new ON noi_lineage (new_unit);
CREATE TABLE IF NOT EXISTS noi_row_moves (id INTEGER PRIMARY KEY, tbl TEXT NOT NULL,
  row_id TEXT NOT NULL, from_unit TEXT NOT NULL, to_unit TEXT NOT NULL, at INTEGER NOT NULL,
  account TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS noi_row_moves_row ON noi_row_moves (tbl, row_id);
)sql";

// Format 12: the processes serving the store and the sites they have a session of
// (sqlite_live_sites.hpp), so that two processes never both admit one replica.
constexpr const char* live_site_tables = R"sql(
CREATE TABLE IF NOT EXISTS noi_holders (holder TEXT PRIMARY KEY, host TEXT NOT NULL,
  pid INTEGER NOT NULL, beat_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noi_live_sites (site BLOB PRIMARY KEY, holder TEXT NOT NULL,
  since INTEGER NOT NULL) WITHOUT ROWID;
)sql";

} // namespace

std::vector<migration> server_migrations(std::int64_t now_ms) {
    return {
        {2, [](database& db) { db.exec(server_tables); }},
        // The feed names the pushing site and carries the audit records; older entries stay
        // NULL there, which means sent to everyone, audited in noi_audit.
        {3,
         [](database& db) {
             for (auto [name, type] : {std::pair{"site", "BLOB"},
                                       {"at", "INTEGER"},
                                       {"device_id", "TEXT"},
                                       {"writer", "BLOB"},
                                       {"cells", "BLOB"},
                                       {"prev", "INTEGER"}})
                 add_column_if_missing(db, "noi_feed", name, type);
             db.exec(audit_view);
         }},
        // Repeated rejections of one row collapse into one counted entry.
        {4,
         [](database& db) {
             add_column_if_missing(db, "noi_quarantine", "repeats", "INTEGER NOT NULL DEFAULT 1");
             db.exec("CREATE INDEX IF NOT EXISTS noi_quarantine_device ON noi_quarantine "
                     "(device_id, status)");
         }},
        // The fleet status shows a revoked tablet still trying to sync.
        {5,
         [](database& db) { add_column_if_missing(db, "noi_devices", "refused_at", "INTEGER"); }},
        // Named accounts: admin tokens of older databases become the account `admin`'s.
        {6,
         [now_ms](database& db) {
             if (has_column(db, "noi_tokens", "account")) return;
             db.exec("ALTER TABLE noi_tokens ADD COLUMN account TEXT");
             auto& admin = db.cached("INSERT OR IGNORE INTO noi_accounts(name, role, created_at) "
                                     "VALUES ('admin', 'admin', ?1)");
             admin.bind(1, now_ms);
             admin.run();
             db.exec("UPDATE noi_tokens SET account = 'admin' WHERE kind = 'admin'");
         }},
        // Published versions of the application schema (version 1, the default, is implied).
        {7,
         [](database& db) {
             db.exec("CREATE TABLE IF NOT EXISTS noi_schema_history (version INTEGER PRIMARY KEY, "
                     "applied_at INTEGER NOT NULL, applied_by TEXT NOT NULL, feed_head INTEGER "
                     "NOT NULL, changes TEXT NOT NULL)");
         }},
        // Console passwords (Argon2id strings); an account without one signs in with tokens only.
        {8,
         [](database& db) { add_column_if_missing(db, "noi_accounts", "password_hash", "TEXT"); }},
        // Answers read by one replica alone, and dead entries no pull reads (store_books.hpp, the
        // feed); a pull reads the live ranges by partial indexes. Older entries stay live: nothing
        // is lost, a pull reads them as before.
        {9,
         [](database& db) {
             add_column_if_missing(db, "noi_feed", "only_site", "BLOB");
             add_column_if_missing(db, "noi_feed", "dead", "INTEGER");
             db.exec("DROP INDEX IF EXISTS noi_feed_scope;"
                     "CREATE INDEX IF NOT EXISTS noi_feed_live ON noi_feed (scope, seq) WHERE "
                     "dead IS NULL AND only_site IS NULL;"
                     "CREATE INDEX IF NOT EXISTS noi_feed_answers ON noi_feed (only_site, seq) "
                     "WHERE only_site IS NOT NULL AND dead IS NULL");
         }},
        // Who each side of a conflict was, fixed when it is recorded (a replica that moves to
        // another device later does not change who wrote before), and the device whose push
        // made it, whose open conflicts are bounded. Older conflicts name the device the site
        // is bound to now, as before.
        {10,
         [](database& db) {
             for (const char* name : {"device_id", "w_device", "l_device"})
                 add_column_if_missing(db, "noi_conflicts", name, "TEXT");
             db.exec("CREATE INDEX IF NOT EXISTS noi_conflicts_device ON noi_conflicts "
                     "(device_id, status);"
                     "CREATE INDEX IF NOT EXISTS noi_conflicts_status ON noi_conflicts "
                     "(status, id)");
         }},
        // The administrative map with its history (docs/design.md §11). A server made before
        // holds its communes in the reference table only: they become its first map, each
        // unit valid until a change retires it, its province found in the built-in list.
        {11,
         [](database& db) {
             db.exec(map_tables);
             add_column_if_missing(db, "noi_devices", "held_scope", "TEXT");
             add_column_if_missing(db, "noi_devices", "scope_version",
                                   "INTEGER NOT NULL DEFAULT 0");
             if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'commune'").step()) return;
             auto rows = db.prepare("SELECT id, coalesce(name, ''), coalesce(kind, ''), "
                                    "coalesce(province, ''), district_code, district FROM commune");
             auto& add = db.cached(
                 "INSERT OR IGNORE INTO noi_units(id, code, name, kind, province_code, province, "
                 "district_code, district) VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)");
             const std::string before = "2025-06-30"; // the last day of the earlier map
             while (rows.step()) {
                 const auto id = rows.column_text(0);
                 const auto* known = national_map::shipped().unit(id, before);
                 add.bind(1, id).bind(2, rows.column_text(1)).bind(3, rows.column_text(2));
                 add.bind(4, known ? known->province_code : std::string());
                 add.bind(5, rows.column_text(3));
                 for (int i : {4, 5}) {
                     if (rows.column_is_null(i))
                         add.bind_null(i + 2);
                     else
                         add.bind(i + 2, rows.column_text(i));
                 }
                 add.run();
             }
         }},
        {12, [](database& db) { db.exec(live_site_tables); }},
        // A lost tablet's wipe: ordered with its revocation, done when the tablet says so.
        {13,
         [](database& db) {
             add_column_if_missing(db, "noi_devices", "wipe_ordered_at", "INTEGER");
             add_column_if_missing(db, "noi_devices", "wiped_at", "INTEGER");
         }},
        // The labels each published version carried (schema_labels.hpp).
        {14,
         [](database& db) { add_column_if_missing(db, "noi_schema_history", "labels", "TEXT"); }},
    };
}

} // namespace noi
