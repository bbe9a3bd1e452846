#include <noi/sync/messages.hpp>

#include "catalogue.hpp"

#include <boost/locale/gnu_gettext.hpp>
#include <boost/locale/message.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <locale>
#include <optional>
#include <vector>

namespace noi {
namespace {

// A locale whose messages are the built-in catalogue's, whatever locales the system has.
const std::locale& vietnamese() {
    static const std::locale loc = [] {
        namespace gg = boost::locale::gnu_gettext;
        gg::messages_info info;
        info.language = "vi";
        info.encoding = "UTF-8";
        info.domains.emplace_back("noi");
        info.paths.emplace_back("built-in");
        info.callback = [](const std::string& file, const std::string&) {
            if (file != "built-in/vi/LC_MESSAGES/noi.mo") return std::vector<char>();
            const auto* at = reinterpret_cast<const char*>(catalogue::vi_mo);
            return std::vector<char>(at, at + catalogue::vi_mo_size);
        };
        return std::locale(std::locale::classic(), gg::create_messages_facet<char>(info));
    }();
    return loc;
}

std::string lookup(const char* context, const std::string& msgid) {
    return context ? boost::locale::translate(std::string(context), msgid).str(vietnamese())
                   : boost::locale::translate(msgid).str(vietnamese());
}

// A pattern: fixed pieces of text with a placeholder ({1}, {2}…) between each two; the first
// and the last piece may be empty.
struct pattern {
    std::string msgid;
    std::vector<std::string> pieces;
    std::vector<std::size_t> numbers; // the placeholders' numbers, in the order they come
    std::size_t words = 0;            // the length of its fixed text
};

// The parts of `text` the placeholders stand for, when `text` is the pattern with them filled
// in; each is one or more characters without "; " (a message's next clause is never a part of
// it). Searched piece by piece, trying the next place a piece occurs when the rest fails: no
// regex, whose recursion a long text could take past the stack.
bool match(const pattern& p, std::string_view text, std::size_t piece, std::size_t at,
           std::vector<std::string_view>& parts) {
    const auto clause = text.find("; ", at);
    if (piece + 2 == p.pieces.size()) {
        const auto& last = p.pieces.back();
        if (text.size() <= at + last.size() || !text.ends_with(last)) return false;
        const auto end = text.size() - last.size();
        if (clause < end) return false;
        parts[piece] = text.substr(at, end - at);
        return true;
    }
    const auto& next = p.pieces[piece + 1];
    if (next.empty()) return false; // two placeholders side by side cannot be told apart
    for (auto end = text.find(next, at + 1); end != std::string_view::npos && end <= clause;
         end = text.find(next, end + 1)) {
        parts[piece] = text.substr(at, end - at);
        if (match(p, text, piece + 1, end + next.size(), parts)) return true;
    }
    return false;
}

std::optional<std::vector<std::string>> parts_of(const pattern& p, std::string_view text) {
    if (!text.starts_with(p.pieces.front())) return std::nullopt;
    std::vector<std::string_view> parts(p.numbers.size());
    if (!match(p, text, 0, p.pieces.front().size(), parts)) return std::nullopt;
    return std::vector<std::string>(parts.begin(), parts.end());
}

// The n of a placeholder "{n}" (1 to 9) at `i` of `text`; 0 for none.
std::size_t placeholder_at(std::string_view text, std::size_t i) {
    if (i + 2 >= text.size() || text[i] != '{' || text[i + 2] != '}') return 0;
    return text[i + 1] >= '1' && text[i + 1] <= '9' ? static_cast<std::size_t>(text[i + 1] - '0')
                                                    : 0;
}

// `text` with {n} replaced by parts[numbers[i]]…: one pass, so a part that holds "{1}" itself
// is left as it is.
std::string filled(std::string_view text, const std::vector<std::size_t>& numbers,
                   const std::vector<std::string>& parts) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (const auto n = placeholder_at(text, i)) {
            const auto at = std::find(numbers.begin(), numbers.end(), n);
            if (at != numbers.end()) {
                out += parts[static_cast<std::size_t>(at - numbers.begin())];
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

std::uint32_t word_at(std::size_t at) {
    std::uint32_t w = 0;
    std::memcpy(&w, catalogue::vi_mo + at, sizeof w);
    return w;
}

// The catalogue's msgids without a context that hold a placeholder, read from the compiled
// catalogue (GNU gettext's MO: a count at byte 8, the originals' table at byte 12, each entry
// a length and an offset), which msgfmt wrote from po/vi.po without its fuzzy entries.
std::vector<pattern> read_patterns() {
    std::vector<pattern> out;
    // Written in this machine's byte order by the msgfmt of its build.
    if (catalogue::vi_mo_size < 20 || word_at(0) != 0x950412de) return out;
    const auto count = word_at(8), table = word_at(12);
    for (std::uint32_t i = 0; i < count; ++i) {
        const auto length = word_at(table + 8 * i), offset = word_at(table + 8 * i + 4);
        const std::string msgid(reinterpret_cast<const char*>(catalogue::vi_mo) + offset, length);
        // A context is written before its msgid with \x04.
        if (msgid.find('\x04') != std::string::npos || msgid.find("{1}") == std::string::npos)
            continue;
        pattern p{msgid, {""}, {}, 0};
        for (std::size_t k = 0; k < msgid.size(); ++k) {
            if (const auto n = placeholder_at(msgid, k)) {
                p.numbers.push_back(n);
                p.pieces.emplace_back();
                k += 2;
            } else {
                p.pieces.back() += msgid[k];
                ++p.words;
            }
        }
        out.push_back(std::move(p));
    }
    // The most particular first: "kept the row ({1})" before "kept {1}".
    std::stable_sort(out.begin(), out.end(),
                     [](const pattern& a, const pattern& b) { return a.words > b.words; });
    return out;
}

const std::vector<pattern>& patterns() {
    static const std::vector<pattern> all = read_patterns();
    return all;
}

std::string translated(const char* context, const std::string& english) {
    if (auto whole = lookup(context, english); whole != english) return whole;
    if (context) return english;
    for (const auto& p : patterns())
        if (auto parts = parts_of(p, english))
            return filled(lookup(nullptr, p.msgid), p.numbers, *parts);
    return english;
}

struct reason_words {
    std::string_view reason, summary, advice;
};

constexpr std::array<reason_words, 10> reasons{{
    {"unknown_table", "a table the server's schema does not have",
     "The province's server does not know this form. Update the app, or ask the province "
     "office."},
    {"unknown_column", "a column the server's schema does not have",
     "The province's server does not know a field of this record. Update the app, or ask the "
     "province office."},
    {"out_of_scope", "another commune's data",
     "This record belongs to another commune: this tablet records its own commune's data only. "
     "Correct the commune code, or delete the record."},
    {"global_table", "a province-wide table tablets may not change",
     "This list is kept by the province office; a tablet cannot change it."},
    {"scope_changed", "a row moved to another commune",
     "The record's commune code was changed; a tablet cannot move a record to another commune. "
     "Ask the province office."},
    {"wrong_type", "a value of the wrong type (or a date that is not valid)",
     "A field holds a value of the wrong kind (for example text where a number is expected). "
     "Correct it."},
    {"missing_scope", "a new row without its commune code",
     "The record has no commune code. Enter the commune code."},
    {"foreign_version", "a version stamped as another device's",
     "The record carries another tablet's changes and was not accepted. Ask the province "
     "office."},
    {"unknown_row", "a change to a row the server does not hold",
     "This record is no longer on the province's server (it may have been deleted). Enter it "
     "again if it is still needed."},
    {"too_large", "a row too large to send to the tablets",
     "The record is too large to send (a very long note?). Shorten it."},
}};

const reason_words* words_of(std::string_view reason) {
    for (const auto& w : reasons)
        if (w.reason == reason) return &w;
    return nullptr;
}

texts both(const char* context, const std::string& english) {
    return {translated(context, english), english};
}

// A reason of a newer release, said as it is: its pattern in the catalogue.
texts unknown_reason(const std::string& pattern_en, std::string_view reason, const char* context) {
    const std::vector<std::size_t> first{1};
    const std::vector<std::string> code{std::string(reason)};
    return {filled(lookup(context, pattern_en), first, code), filled(pattern_en, first, code)};
}

} // namespace

std::string translate(std::string_view english, language lang) {
    return lang == language::en ? std::string(english) : translated(nullptr, std::string(english));
}

texts in_both(std::string_view english) {
    return both(nullptr, std::string(english));
}

texts reason_summary(std::string_view reason) {
    if (const auto* w = words_of(reason)) return both("reason", std::string(w->summary));
    return unknown_reason("a reason of a newer release ({1})", reason, "reason");
}

texts reason_advice(std::string_view reason) {
    if (const auto* w = words_of(reason)) return both("advice", std::string(w->advice));
    return unknown_reason(
        "The province's server refused this record ({1}). Ask the province office.", reason,
        "advice");
}

texts action_text(std::string_view action) {
    return both("action", std::string(action));
}

} // namespace noi
