#include "pg_port.hpp"

#include "pg_quarantine_book.hpp"
#include "pg_tables.hpp"
#include "schema_safe_group.hpp"

#include <noi/sync/database.hpp>
#include <noi/sync/error.hpp>

namespace noi {
namespace {

// A synced table's definition as noi_tables keeps it: the scope's index (-1 for none), then
// each column's name, type and whether it holds dates.
std::string pack_table(const table_def& t) {
    std::vector<value> v{t.scope ? static_cast<std::int64_t>(*t.scope) : std::int64_t{-1}};
    for (const auto& c : t.columns) {
        v.emplace_back(c.name);
        v.emplace_back(static_cast<std::int64_t>(c.type));
        v.emplace_back(std::int64_t{c.date});
    }
    return pack_values(v);
}

table_def unpack_table(const std::string& name, const std::string& bytes) {
    const auto v = unpack_values(bytes);
    table_def t;
    t.name = name;
    if (v.empty()) throw sync_error(errc::corrupt_state, "table " + name + " has no definition");
    if (const auto scope = std::get<std::int64_t>(v[0]); scope >= 0)
        t.scope = static_cast<std::size_t>(scope);
    for (std::size_t i = 1; i + 2 < v.size(); i += 3)
        t.columns.push_back({std::get<std::string>(v[i]),
                             static_cast<col_type>(std::get<std::int64_t>(v[i + 1])),
                             std::get<std::int64_t>(v[i + 2]) != 0});
    return t;
}

// The application's first schema, as SQLite describes its tables (default_schema.cpp).
schema default_schema() {
    database scratch(":memory:");
    schema s;
    s.version = default_schema_version;
    for (const auto& t : default_tables()) {
        scratch.exec(t.create_sql);
        s.tables.push_back(
            describe_table(scratch, t.name, t.global ? std::string() : default_scope_column));
    }
    return s;
}

} // namespace

void store_synced_table(pg::connection& c, const table_def& t, const table_def* held) {
    for (const auto& sql : table_ddl(t, held))
        c.exec(sql);
    c.run("INSERT INTO noi_tables(name, scope_column, spec) VALUES ($1, $2, $3) ON CONFLICT "
          "(name) DO UPDATE SET spec = excluded.spec",
          {t.name, t.scope ? t.columns[*t.scope].name : std::string(),
           pg::param::blob(pack_table(t))});
}

std::unique_ptr<pg_port> pg_port::create(const std::string& conninfo, const wall_clock& wall,
                                         replica_options opt) {
    return std::unique_ptr<pg_port>(new pg_port(conninfo, wall, opt, creating{}));
}

pg_port::pg_port(const std::string& conninfo, const wall_clock& wall, replica_options opt, creating)
    : c_(conninfo), clock_(wall), random_(opt.seed) {
    creation_.emplace(c_);
    pg::make_tables_of_new_store(c_, "init");
    for (const auto& t : default_schema().tables)
        store_synced_table(c_, t, nullptr);
    random_bytes random(opt.seed);
    site_id site{};
    while (site == site_id{})
        random.fill(site.data(), site.size());
    c_.run("INSERT INTO noi_meta(key, value) VALUES ('schema_version', $1), ('hlc_floor', '0'), "
           "('created_at_ms', $2)",
           {std::int64_t{default_schema_version}, wall.now_ms()});
    c_.run("INSERT INTO noi_meta(key, bytes) VALUES ('site_id', $1)",
           {pg::param::blob(
               std::string_view(reinterpret_cast<const char*>(site.data()), site.size()))});
    open(wall);
}

void pg_port::commit_creation() {
    creation_->commit();
    creation_.reset();
}

pg_port::pg_port(const std::string& conninfo, const wall_clock& wall, replica_options opt)
    : c_(conninfo), clock_(wall), random_(opt.seed) {
    pg::transaction tx(c_);
    c_.run("SELECT pg_advisory_xact_lock($1)", {pg::write_lock_key});
    if (!pg::holds_store(c_))
        throw sync_error(errc::refused,
                         "this PostgreSQL database holds no Nối store; make one with noi-server "
                         "init --store (a directory whose init stopped before its store was "
                         "made: remove its store.json and run init again)");
    pg::create_tables(c_);
    tx.commit();
    open(wall);
}

void pg_port::open(const wall_clock& wall) {
    site_ = site_from(c_.run("SELECT bytes FROM noi_meta WHERE key = 'site_id'").bytes(0, 0));
    clock_.observe(static_cast<std::uint64_t>(meta_int("hlc_floor", 0)));
    load_schema();
    devices_ = std::make_unique<pg_device_registry>(c_, wall);
    feed_ = std::make_unique<pg_feed>(c_, [this] { refresh_schema(); });
    quarantine_ = std::make_unique<pg_quarantine_book>(c_);
    conflicts_ = std::make_unique<pg_conflict_book>(c_, wall);
    units_ = std::make_unique<pg_unit_registry>(c_);
    live_ = std::make_unique<pg_live_sites>(c_);
    schemas_ = std::make_unique<pg_schema_log>(c_);
    access_ = std::make_unique<pg_access_store>(c_, wall);
    states_ = std::make_unique<pg_row_states>(c_);
    // Each writing transaction also tells the other processes' listeners (pg_feed_watch), who
    // hear it once it commits: in the statement that takes the lock, outside any savepoint a
    // failed request rolls back, so no commit goes untold.
    c_.on_begin([this] {
        c_.run("SELECT pg_advisory_xact_lock($1), pg_notify('noi_feed', '')", {pg::write_lock_key});
        catch_up();
    });
    // Last: it stores the lists it lacks under the write lock, which needs the rest.
    audit_ = std::make_unique<pg_audit_trail>(c_, schema_);
}

void pg_port::catch_up() {
    auto r = c_.run("SELECT (SELECT coalesce(max(seq), 0) FROM noi_feed), (SELECT value::bigint "
                    "FROM noi_meta WHERE key = 'hlc_floor'), (SELECT value::bigint FROM noi_meta "
                    "WHERE key = 'schema_version')");
    const auto head = static_cast<std::uint64_t>(r.integer(0, 0));
    const auto floor = static_cast<std::uint64_t>(r.integer(0, 1));
    const auto version = static_cast<std::uint32_t>(r.integer(0, 2));
    // The head is always the committed one: sequences a rolled-back transaction took are free.
    feed_->start_at(head);
    clock_.observe(floor);
    if (version != schema_.version) refresh_schema();
    // PostgreSQL has no cheap sign that another connection committed (SQLite's data_version):
    // the service reads its part again at every write lock, one query.
    if (caught_up_) caught_up_();
}

std::unique_ptr<store_group> pg_port::begin() {
    return std::make_unique<schema_safe_group<pg::transaction>>(c_, *this);
}

void pg_port::reopen_transaction() {
    c_.restart();
}

pg_table_rows& pg_port::table(const table_def& t) {
    auto it = rows_.find(t.name);
    if (it == rows_.end()) it = rows_.emplace(t.name, std::make_unique<pg_table_rows>(c_, t)).first;
    return *it->second;
}

table_rows& pg_port::rows(const table_def& t) {
    return table(t);
}

void pg_port::read_ahead(const std::vector<row_ahead>& rows) {
    states_->expect(rows);
    std::map<std::string_view, std::vector<std::string>> ids_of; // mostly one table
    for (const auto& r : rows)
        if (r.values) ids_of[r.table].emplace_back(r.id);
    for (const auto& [name, ids] : ids_of)
        if (const auto* def = schema_.find(name)) table(*def).expect(ids);
}

push_gate pg_port::gate_of(const std::string& device_id, const site_id& s) {
    // One round trip instead of the books' four: a push pays each one, on the writer's path.
    auto r = c_.run(std::string("SELECT d.revoked, st.acked_seq, q.*, (SELECT count(*) FROM "
                                "noi_conflicts WHERE device_id = $1 AND status = 'open') FROM (") +
                        pg_open_held_sql +
                        ") q LEFT JOIN noi_devices d ON d.device_id = $1 LEFT JOIN noi_sites st "
                        "ON st.site = $2 AND st.device_id = $1",
                    {device_id, site_param(s)});
    push_gate g;
    g.may_push = !r.is_null(0, 0) && r.integer(0, 0) == 0;
    if (!r.is_null(0, 1)) g.acked = static_cast<std::uint64_t>(r.integer(0, 1));
    g.quarantined = {static_cast<std::uint64_t>(r.integer(0, 2)),
                     static_cast<std::uint64_t>(r.integer(0, 3))};
    g.open_conflicts = static_cast<std::uint64_t>(r.integer(0, 4));
    return g;
}

void pg_port::load_schema() {
    schema s;
    s.version = static_cast<std::uint32_t>(meta_int("schema_version", 0));
    auto r = c_.run("SELECT name, spec FROM noi_tables ORDER BY name");
    for (int i = 0; i < r.rows(); ++i)
        s.tables.push_back(unpack_table(r.bytes(i, 0), r.bytes(i, 1)));
    schema_ = std::move(s);
    rows_.clear();
}

void pg_port::refresh_schema() {
    if (meta_int("schema_version", 0) == schema_.version) return;
    load_schema();
    audit_ = std::make_unique<pg_audit_trail>(c_, schema_);
}

void pg_port::adopt_schema(const schema& next) {
    for (const auto& t : next.tables)
        store_synced_table(c_, t, schema_.find(t.name));
    set_meta_int("schema_version", next.version);
    schema_ = next;
    rows_.clear();
}

void pg_port::save_clock() {
    set_meta_int("hlc_floor", static_cast<std::int64_t>(clock_.floor()));
}

site_id pg_port::epoch() {
    auto r = c_.run("SELECT bytes FROM noi_meta WHERE key = 'epoch'");
    return r.rows() ? site_from(r.bytes(0, 0)) : site_id{};
}

void pg_port::set_epoch(const site_id& e) {
    c_.run("INSERT INTO noi_meta(key, bytes) VALUES ('epoch', $1) ON CONFLICT (key) DO UPDATE SET "
           "bytes = excluded.bytes",
           {site_param(e)});
}

std::optional<std::string> pg_port::meta_text(const std::string& key) {
    auto r = c_.run("SELECT value FROM noi_meta WHERE key = $1 AND value IS NOT NULL", {key});
    if (r.rows() == 0) return std::nullopt;
    return r.bytes(0, 0);
}

void pg_port::set_meta_text(const std::string& key, const std::string& value) {
    c_.send("INSERT INTO noi_meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value",
            {key, value});
}

std::int64_t pg_port::meta_int(const std::string& key, std::int64_t fallback) {
    const auto text = meta_text(key);
    return text ? std::stoll(*text) : fallback;
}

void pg_port::set_meta_int(const std::string& key, std::int64_t value) {
    set_meta_text(key, std::to_string(value));
}

} // namespace noi
