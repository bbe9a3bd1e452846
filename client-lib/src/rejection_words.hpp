// Why the server refused a row, in words an officer reads: what happened and what to do, in
// Vietnamese or English. The reason is the protocol's (proto::to_string(reject_reason)).
#pragma once

#include <noi/sync/schema_labels.hpp>

#include <string>
#include <string_view>

namespace noi::client {

std::string rejection_words(std::string_view reason, language lang);

} // namespace noi::client
