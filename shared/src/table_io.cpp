#include "table_io.hpp"

namespace noi {

std::string quote_ident(const std::string& name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

table_io::table_io(database& db, const table_def& def) : db_(db), columns_(def.columns.size()) {
    std::string cols, params, updates;
    for (std::size_t i = 0; i < def.columns.size(); ++i) {
        auto q = quote_ident(def.columns[i].name);
        cols += ", " + q;
        params += ", ?" + std::to_string(i + 2);
        updates += (i ? ", " : "") + q + " = excluded." + q;
    }
    auto t = quote_ident(def.name);
    select_ = &db.cached("SELECT id" + cols + " FROM " + t + " WHERE id = ?1");
    select_all_ = "SELECT id" + cols + " FROM " + t + " ORDER BY id";
    const auto insert = "INSERT INTO " + t + " (id" + cols + ") VALUES (?1" + params + ")";
    insert_ = &db.cached(insert);
    upsert_ = &db.cached(insert + (updates.empty() ? " ON CONFLICT(id) DO NOTHING"
                                                   : " ON CONFLICT(id) DO UPDATE SET " + updates));
    delete_ = &db.cached("DELETE FROM " + t + " WHERE id = ?1");
}

std::optional<std::vector<value>> table_io::read(const std::string& id) {
    auto& st = *select_;
    st.reset(); // a use cut short by an exception may have left it mid-step
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    std::vector<value> out(columns_);
    for (std::size_t i = 0; i < columns_; ++i)
        out[i] = st.column(static_cast<int>(i + 1));
    st.reset();
    return out;
}

namespace {

void write_row(statement& st, std::size_t columns, const std::string& id,
               const std::vector<value>& values) {
    st.reset();
    st.bind(1, id);
    for (std::size_t i = 0; i < columns; ++i)
        st.bind(static_cast<int>(i + 2), i < values.size() ? values[i] : value{});
    st.run();
}

} // namespace

void table_io::insert(const std::string& id, const std::vector<value>& values) {
    write_row(*insert_, columns_, id, values);
}

void table_io::upsert(const std::string& id, const std::vector<value>& values) {
    write_row(*upsert_, columns_, id, values);
}

void table_io::for_each(const std::function<void(const std::string&, std::vector<value>)>& fn) {
    auto st = db_.prepare(select_all_);
    while (st.step()) {
        std::vector<value> row(columns_);
        for (std::size_t i = 0; i < columns_; ++i)
            row[i] = st.column(static_cast<int>(i + 1));
        fn(st.column_text(0), std::move(row));
    }
}

void table_io::remove(const std::string& id) {
    auto& st = *delete_;
    st.reset();
    st.bind(1, id);
    st.run();
}

} // namespace noi
