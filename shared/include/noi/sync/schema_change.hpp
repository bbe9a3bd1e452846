// Changing the application schema after init (docs/compatibility.md): a schema's wire and JSON
// form, and the rule that a new version only adds (tables, nullable columns). A replica takes a
// checked version with replica::adopt_schema.
#pragma once

#include <noi/protocol/messages.hpp>
#include <noi/sync/schema.hpp>

#include <vector>

namespace noi {

const char* type_name(col_type t);
std::vector<proto::table_spec> specs_of(const schema& s);

// The schema the specs describe, each table checked as a new one would be (names, types, the
// scope column, which is added as TEXT when a scoped table does not list it). Throws
// sync_error(errc::schema) naming the table or column and what to write instead.
schema schema_of(std::uint32_t version, const std::vector<proto::table_spec>& tables);

// Refuses (errc::schema) a table both schemas hold whose scope differs, or a column both hold
// whose type differs; the message names the change and what to do instead.
void check_compatible(const schema& held, const schema& next);

// check_compatible, and refuses a table or column of `current` that `next` lacks: nothing is
// dropped or renamed, since tablets in the field still hold and sync it.
void check_additive(const schema& current, const schema& next);

} // namespace noi
