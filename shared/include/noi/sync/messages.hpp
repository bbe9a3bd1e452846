// Texts people read, in Vietnamese or English, from one catalogue: po/vi.po, in GNU gettext's
// format, built into the library and read with Boost.Locale (docs/messages.md). The code writes
// English, which is the English text. A text is translated whole, or by one of the catalogue's
// patterns, whose {1}, {2}… stand for the parts that vary (a code, a name, a number): so a
// message a server stored, by any release, reads in the officer's language. A text the
// catalogue lacks stays English. Machine fields (reason codes, actions) are never translated;
// these functions give their words beside them.
#pragma once

#include <noi/sync/language.hpp>

#include <string>
#include <string_view>

namespace noi {

struct texts {
    std::string vi, en;
};

std::string translate(std::string_view english, language lang);
texts in_both(std::string_view english);

// A rejection reason code (proto::to_string(reject_reason)): what it is, as the admin reads it
// ("another commune's data"), and what the officer does about it.
texts reason_summary(std::string_view reason);
texts reason_advice(std::string_view reason);

// An admin-log action ("revoke and wipe"), in words.
texts action_text(std::string_view action);

} // namespace noi
