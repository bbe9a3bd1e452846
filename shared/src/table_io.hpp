// Reads and writes whole rows of one synced table with statements built from the checked
// schema (never from wire data), prepared once per connection.
#pragma once

#include <noi/sync/database.hpp>
#include <noi/sync/schema.hpp>

#include <optional>
#include <string>
#include <vector>

namespace noi {

std::string quote_ident(const std::string& name);

class table_io {
public:
    table_io(database& db, const table_def& def);

    // The row's values by column index, or none when the row is absent.
    std::optional<std::vector<value>> read(const std::string& id);
    void upsert(const std::string& id, const std::vector<value>& values);
    void remove(const std::string& id);

private:
    // The connection's cached statement for sql, found once and then kept here: the text is
    // long, and looking it up by text costs more than the statement on every row.
    statement& get(statement*& slot, const std::string& sql);

    database& db_;
    std::size_t columns_;
    std::string select_sql_, upsert_sql_, delete_sql_;
    statement *select_ = nullptr, *upsert_ = nullptr, *delete_ = nullptr;
};

} // namespace noi
