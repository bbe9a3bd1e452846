// Opening and creating replicas, their metadata, and capture triggers.
#include <noi/sync/error.hpp>
#include <noi/sync/replica.hpp>
#include <noi/sync/schema_change.hpp>

#include "capture_functions.hpp"
#include "capture_log.hpp"
#include "table_io.hpp"
#include "unit_list.hpp"

#include <filesystem>

namespace noi {
namespace {

constexpr const char* internal_schema = R"sql(
CREATE TABLE IF NOT EXISTS noi_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noi_tables (name TEXT PRIMARY KEY, scope_column TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noi_rows (
  tbl TEXT NOT NULL, id TEXT NOT NULL, state BLOB NOT NULL, PRIMARY KEY (tbl, id)) WITHOUT ROWID;
)sql";

constexpr const char* tablet_schema = R"sql(
CREATE TABLE IF NOT EXISTS noi_pending (lseq INTEGER PRIMARY KEY, tbl TEXT NOT NULL, id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS noi_departed (tbl TEXT NOT NULL, id TEXT NOT NULL,
  PRIMARY KEY (tbl, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noi_rejected (
  quarantine_id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, row_id TEXT NOT NULL, reason TEXT NOT NULL,
  message TEXT NOT NULL, row_values BLOB, recorded_at INTEGER NOT NULL, answer TEXT);
CREATE TABLE IF NOT EXISTS noi_conflict_notices (conflict_id INTEGER PRIMARY KEY,
  tbl TEXT NOT NULL, row_id TEXT NOT NULL, col TEXT, decided INTEGER NOT NULL, kept BLOB,
  noticed_at INTEGER NOT NULL, decided_at INTEGER);
)sql";

} // namespace

replica::replica(std::unique_ptr<database> db, const wall_clock& wall, replica_options opt)
    : db_(std::move(db)), clock_(wall), random_(opt.seed),
      ctx_(std::make_unique<capture_context>()) {
    ctx_->owner = this;
}

replica::~replica() = default;

void replica::make_tablet_tables(database& db) {
    db.exec(tablet_schema);
}

void replica::configure_connection() {
    db_->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;");
    register_capture_functions(*db_, *ctx_);
}

std::unique_ptr<replica> replica::create(const std::string& path, replica_role role,
                                         const wall_clock& wall, replica_options opt) {
    if (path != ":memory:" && std::filesystem::exists(path))
        throw sync_error(errc::already_exists,
                         path + " already exists; choose another path or remove it first");
    auto r = std::unique_ptr<replica>(new replica(std::make_unique<database>(path), wall, opt));
    r->configure_connection();
    transaction tx(r->db());
    r->db().exec(internal_schema);
    if (role == replica_role::tablet) {
        make_tablet_tables(r->db());
        r->db().exec(capture_log_schema("noi_capture"));
        r->set_meta_int("capture_format", capture_format);
        r->set_meta_int("trigger_format", trigger_format);
    }
    r->random_.fill(r->site_.data(), r->site_.size());
    auto& st = r->db().cached("INSERT INTO noi_meta(key, value) VALUES ('site_id', ?1)");
    st.bind_blob(1, r->site_.data(), r->site_.size());
    st.run();
    r->set_meta_int("role", static_cast<std::int64_t>(role));
    r->set_meta_int("format", 1);
    tx.commit();
    r->load();
    return r;
}

std::unique_ptr<replica> replica::open(const std::string& path, const wall_clock& wall,
                                       replica_options opt) {
    if (path != ":memory:" && !std::filesystem::exists(path))
        throw sync_error(errc::not_a_replica, path + " does not exist; create it with init first");
    auto r =
        std::unique_ptr<replica>(new replica(std::make_unique<database>(path, false), wall, opt));
    auto probe = r->db().prepare(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'noi_meta'");
    if (!probe.step() || probe.column_int(0) == 0)
        throw sync_error(errc::not_a_replica, path + " is not a Nối replica");
    // A statement left stepped holds a read transaction, in which a file copied out of WAL mode
    // (VACUUM INTO, the sqlite3 shell's .backup) could not be switched back to it.
    probe.reset();
    r->configure_connection();
    r->load();
    return r;
}

void replica::load() {
    auto st = db_->prepare("SELECT value FROM noi_meta WHERE key = 'site_id'");
    if (!st.step()) throw sync_error(errc::not_a_replica, "the replica has no site id");
    auto s = st.column_blob(0);
    if (s.size() != site_.size())
        throw sync_error(errc::corrupt_state, "the replica's site id is damaged");
    std::copy(s.begin(), s.end(), site_.begin());
    role_ = static_cast<replica_role>(meta_int("role", 1));
    schema_.version = static_cast<std::uint32_t>(meta_int("schema_version", 0));
    schema_.tables.clear();
    io_.clear();
    auto t = db_->prepare("SELECT name, scope_column FROM noi_tables ORDER BY name");
    while (t.step())
        schema_.tables.push_back(describe_table(*db_, t.column_text(0), t.column_text(1)));
    ctx_->scope = meta_text("scope").value_or("");
    ctx_->units = split_units(meta_text("scope_units").value_or(""));
    clock_.set_offset(meta_int("clock_offset_ms", 0));
    refresh_clock();
}

table_io& replica::io(const table_def& t) {
    auto it = io_.find(t.name);
    if (it == io_.end()) it = io_.emplace(t.name, std::make_unique<table_io>(*db_, t)).first;
    return *it->second;
}

void replica::register_table(const std::string& table, const std::string& scope_column) {
    auto def = describe_table(*db_, table, scope_column);
    transaction tx(*db_);
    auto& st = db_->cached("INSERT OR REPLACE INTO noi_tables(name, scope_column) VALUES (?1, ?2)");
    st.bind(1, table).bind(2, scope_column);
    st.run();
    if (role_ == replica_role::tablet) install_triggers(def);
    tx.commit();
    load();
}

void replica::install_default_schema() {
    transaction tx(*db_);
    for (const auto& t : default_tables()) {
        db_->exec(t.create_sql);
        auto& st =
            db_->cached("INSERT OR REPLACE INTO noi_tables(name, scope_column) VALUES (?1, ?2)");
        st.bind(1, t.name).bind(2, std::string(t.global ? "" : default_scope_column));
        st.run();
    }
    set_meta_int("schema_version", default_schema_version);
    tx.commit();
    load();
    if (role_ == replica_role::tablet) {
        transaction tx2(*db_);
        for (const auto& t : schema_.tables)
            install_triggers(t);
        tx2.commit();
    }
}

void replica::adopt_schema(const schema& next) {
    check_compatible(schema_, next);
    std::vector<std::string> changed;
    for (const auto& t : next.tables) {
        const auto* held = schema_.find(t.name);
        if (!held) {
            std::string sql = "CREATE TABLE " + quote_ident(t.name) +
                              " (\n  id TEXT PRIMARY KEY NOT NULL DEFAULT (noi_uuid())";
            for (std::size_t i = 0; i < t.columns.size(); ++i)
                sql += ",\n  " + quote_ident(t.columns[i].name) + " " +
                       type_name(t.columns[i].type) + (t.scope == i ? " NOT NULL" : "");
            db_->exec(sql + "\n) STRICT");
            auto& st = db_->cached("INSERT INTO noi_tables(name, scope_column) VALUES (?1, ?2)");
            st.bind(1, t.name).bind(2, t.scope ? t.columns[*t.scope].name : std::string());
            st.run();
            changed.push_back(t.name);
            continue;
        }
        for (const auto& c : t.columns)
            if (!held->column_index(c.name)) {
                db_->exec("ALTER TABLE " + quote_ident(t.name) + " ADD COLUMN " +
                          quote_ident(c.name) + " " + type_name(c.type));
                if (changed.empty() || changed.back() != t.name) changed.push_back(t.name);
            }
    }
    set_meta_int("schema_version", next.version);
    load();
    if (role_ != replica_role::tablet) return;
    for (const auto& name : changed)
        install_triggers(*schema_.find(name));
}

schema_adoption::~schema_adoption() {
    if (committed_) return;
    try {
        r_.refresh_schema();
    } catch (const std::exception&) {
        // The connection failed too: the next open reads the tables afresh.
    }
}

bool replica::refresh_schema() {
    if (meta_int("schema_version", 0) == schema_.version) return false;
    load();
    return true;
}

void replica::reinstall_triggers() {
    for (const auto& t : schema_.tables)
        install_triggers(t);
    set_meta_int("trigger_format", trigger_format);
}

void replica::install_triggers(const table_def& t) {
    const auto tq = quote_ident(t.name);
    const auto tname = "'" + t.name + "'"; // a checked catalogue name without quotes
    const auto scope_col = t.scope ? quote_ident(t.columns[*t.scope].name) : std::string();
    const std::string scope_new = t.scope ? "NEW." + scope_col : "NULL";
    const std::string scope_old = t.scope ? "OLD." + scope_col : "NULL";
    const std::string global = t.is_global() ? "1" : "0";
    std::string old_values;
    for (const auto& c : t.columns)
        old_values += ", OLD." + quote_ident(c.name);
    const auto prefix = "noi_" + t.name;
    for (const char* suffix : {"_ins", "_upd", "_del", "_key", "_date"})
        db_->exec("DROP TRIGGER IF EXISTS " + quote_ident(prefix + suffix));
    // Each piece of a trigger costs on every captured write (docs/capture.md): one statement,
    // one function call, and the update trigger reads no OLD column, so that SQLite loads none.
    // What an update changed is found when the log is folded; the key check is a trigger of its
    // own that SQLite builds only into updates that name the id or the scope.
    // An insert's date columns go to noi_stamp with their names, which refuses a value that is
    // not an ISO date (dates.hpp): in the call the trigger makes anyway, since a trigger of its
    // own cost every insert about 6 % (callgrind, noi-bench's capture figure). An update is
    // checked by a trigger SQLite builds only into updates that name a date column.
    std::string dates, date_columns;
    for (const auto& c : t.columns)
        if (c.date) {
            dates += ", '" + c.name + "', NEW." + quote_ident(c.name);
            date_columns += (date_columns.empty() ? "" : ", ") + quote_ident(c.name);
        }
    auto stamp = [&](const std::string& scope, bool with_dates) {
        return "noi_stamp(" + tname + ", " + scope + ", " + global + (with_dates ? dates : "") +
               ")";
    };
    db_->exec("CREATE TRIGGER " + quote_ident(prefix + "_ins") + " AFTER INSERT ON " + tq +
              " WHEN noi_capture_on() BEGIN INSERT INTO noi_capture(tbl, id, op, hlc) VALUES (" +
              tname + ", NEW.id, 1, " + stamp(scope_new, true) + "); END");
    db_->exec("CREATE TRIGGER " + quote_ident(prefix + "_upd") + " AFTER UPDATE ON " + tq +
              " WHEN noi_capture_on() BEGIN INSERT INTO noi_capture(tbl, id, op, hlc) VALUES (" +
              tname + ", NEW.id, 2, " + stamp(scope_new, false) + "); END");
    if (!date_columns.empty())
        db_->exec("CREATE TRIGGER " + quote_ident(prefix + "_date") + " BEFORE UPDATE OF " +
                  date_columns + " ON " + tq + " WHEN noi_capture_on() BEGIN SELECT " +
                  "noi_check_dates(" + dates.substr(2) + "); END");
    db_->exec("CREATE TRIGGER " + quote_ident(prefix + "_del") + " AFTER DELETE ON " + tq +
              " WHEN noi_capture_on() BEGIN INSERT INTO noi_capture(tbl, id, op, hlc, old) "
              "VALUES (" +
              tname + ", OLD.id, 3, " + stamp(scope_old, false) + ", noi_pack(" +
              (old_values.empty() ? "" : old_values.substr(2)) + ")); END");
    std::string key_columns = "id", key_changed = "NEW.id IS NOT OLD.id";
    if (t.scope) {
        key_columns += ", " + scope_col;
        key_changed += " OR " + scope_new + " IS NOT " + scope_old;
    }
    // The keyboard's rule: the library's own writes (capture off) move a row to another unit.
    db_->exec("CREATE TRIGGER " + quote_ident(prefix + "_key") + " BEFORE UPDATE OF " +
              key_columns + " ON " + tq + " WHEN noi_capture_on() AND (" + key_changed + ")" +
              " BEGIN SELECT RAISE(ABORT, 'noi: the id and the scope of a synced row never "
              "change; insert a new row and delete the old one instead'); END");
}

void replica::refresh_clock() {
    clock_.observe(static_cast<std::uint64_t>(meta_int("hlc_floor", 0)));
    if (role_ == replica_role::tablet) {
        auto& st = db_->cached("SELECT hlc FROM noi_capture ORDER BY seq DESC LIMIT 1");
        if (st.step()) clock_.observe(static_cast<std::uint64_t>(st.column_int(0)));
        st.reset();
    }
}

void replica::save_clock() {
    set_meta_int("hlc_floor", static_cast<std::int64_t>(clock_.floor()));
}

std::int64_t replica::meta_int(std::string_view key, std::int64_t fallback) {
    auto& st = db_->cached("SELECT value FROM noi_meta WHERE key = ?1");
    st.bind(1, key);
    std::int64_t v = st.step() ? st.column_int(0) : fallback;
    st.reset();
    return v;
}

void replica::set_meta_int(std::string_view key, std::int64_t v) {
    auto& st = db_->cached("INSERT OR REPLACE INTO noi_meta(key, value) VALUES (?1, ?2)");
    st.bind(1, key).bind(2, v);
    st.run();
}

std::optional<std::string> replica::meta_text(std::string_view key) {
    auto& st = db_->cached("SELECT value FROM noi_meta WHERE key = ?1");
    st.bind(1, key);
    std::optional<std::string> v;
    if (st.step()) v = st.column_text(0);
    st.reset();
    return v;
}

void replica::set_meta_text(std::string_view key, std::string_view v) {
    auto& st = db_->cached("INSERT OR REPLACE INTO noi_meta(key, value) VALUES (?1, ?2)");
    st.bind(1, key).bind(2, v);
    st.run();
}

void replica::set_capture(bool on) {
    ctx_->capture_on = on;
}

void replica::set_scope(const std::string& scope, const std::vector<std::string>& units) {
    ctx_->scope = scope;
    ctx_->units = units;
    set_meta_text("scope", scope);
    set_meta_text("scope_units", join_units(units));
}

std::vector<std::string> replica::scope_units() const {
    if (ctx_->units.empty() && !ctx_->scope.empty()) return {ctx_->scope};
    return ctx_->units;
}

std::string replica::new_uuid() {
    // UUIDv7: keys in time order keep B-tree inserts at the right edge (docs/design.md §2).
    std::uint64_t ms = static_cast<std::uint64_t>(clock_.corrected_ms());
    std::uint64_t a = random_.next64(), b = random_.next64();
    std::uint8_t u[16];
    for (int i = 0; i < 6; ++i)
        u[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
    u[6] = static_cast<std::uint8_t>(0x70 | (a & 0x0f));
    u[7] = static_cast<std::uint8_t>(a >> 8);
    u[8] = static_cast<std::uint8_t>(0x80 | ((a >> 16) & 0x3f));
    for (int i = 9; i < 16; ++i)
        u[i] = static_cast<std::uint8_t>(b >> (8 * (i - 9)));
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += hex[u[i] >> 4];
        out += hex[u[i] & 15];
    }
    return out;
}

} // namespace noi
