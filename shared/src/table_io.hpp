// Reads and writes whole rows of one synced table with statements built from the checked
// schema (never from wire data), prepared once per connection.
#pragma once

#include <noi/sync/database.hpp>
#include <noi/sync/schema.hpp>
#include <noi/sync/store_books.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace noi {

std::string quote_ident(const std::string& name);

class table_io final : public table_rows {
public:
    table_io(database& db, const table_def& def);

    std::optional<std::vector<value>> read(const std::string& id) override;
    void upsert(const std::string& id, const std::vector<value>& values) override;
    // A plain insert, cheaper than the upsert's conflict clause.
    void insert(const std::string& id, const std::vector<value>& values) override;
    void remove(const std::string& id) override;
    void for_each(const std::function<void(const std::string&, std::vector<value>)>& fn) override;

private:
    // The connection's cached statements, kept here: their texts are long, and looking one up
    // by its text costs more than running it on every row.
    database& db_;
    std::string select_all_;
    std::size_t columns_;
    statement *select_, *insert_, *upsert_, *delete_;
};

} // namespace noi
