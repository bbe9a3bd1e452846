// The server's published schema versions (noi-admin schema apply) and what tablets behind
// them are told.
#include <noi/sync/error.hpp>
#include <noi/sync/schema_change.hpp>
#include <noi/sync/schema_labels_json.hpp>
#include <noi/sync/sync_service.hpp>

namespace noi {
namespace {

// What `next` adds to `current`, and how many labels it adds or changes, in words, for the
// history.
std::string additions(const schema& current, const schema& next, const schema_labels& held,
                      const schema_labels& labels) {
    std::string out;
    auto add = [&](const std::string& what) { out += (out.empty() ? "" : "; ") + what; };
    for (const auto& t : next.tables) {
        const auto* held = current.find(t.name);
        if (!held) {
            add("table " + t.name + (t.scope ? "" : " (global)"));
            continue;
        }
        for (const auto& c : t.columns)
            if (!held->column_index(c.name))
                add("column " + t.name + "." + c.name + " " + type_name(c.type));
    }
    std::size_t changed = 0;
    for (const auto& l : labels.entries()) {
        const auto* was = !l.column ? held.table(l.table)
                          : l.value ? held.value(l.table, *l.column, *l.value)
                                    : held.column(l.table, *l.column);
        changed += !was || *was != l;
    }
    if (changed) add(std::to_string(changed) + (changed == 1 ? " label" : " labels"));
    return out.empty() ? "nothing" : out;
}

} // namespace

schema_version_record sync_service::apply_schema(const schema& next, const std::string& by,
                                                 const schema_labels& labels) {
    // Checked against the schema of this transaction: another process may have published one.
    auto tx = port_->begin();
    const auto& current = port_->tables();
    if (next.version != current.version + 1)
        throw sync_error(errc::schema, "the schema is at version " +
                                           std::to_string(current.version) +
                                           "; the new one must "
                                           "be version " +
                                           std::to_string(current.version + 1) + ", not " +
                                           std::to_string(next.version));
    check_additive(current, next);
    schema_version_record rec{next.version,
                              now_ms(),
                              by,
                              committed_head(),
                              additions(current, next, current_labels(), labels),
                              labels.empty() ? std::string() : labels_text(labels)};
    port_->adopt_schema(next);
    port_->schemas().record(rec);
    tx->commit();
    return rec;
}

std::vector<schema_version_record> sync_service::schema_history() {
    return port_->schemas().all();
}

schema_labels sync_service::current_labels() {
    auto out = default_labels();
    for (const auto& h : port_->schemas().all())
        if (!h.labels.empty()) out.overlay(labels_from_text(h.labels));
    for (const auto& t : port_->tables().tables)
        if (t.scope && !out.column(t.name, t.columns[*t.scope].name))
            out.put(scope_column_label(t.name, t.columns[*t.scope].name));
    return out;
}

std::uint64_t sync_service::schema_since(std::uint32_t version) {
    // The first version's tables have rows from the start of the feed.
    if (version < default_schema_version) return 0;
    return port_->schemas().head_after(version).value_or(0);
}

} // namespace noi
