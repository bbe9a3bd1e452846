#include <noi/sync/messages.hpp>

#include "catalogue.hpp"

#include <boost/locale/gnu_gettext.hpp>
#include <boost/locale/message.hpp>

#include <algorithm>
#include <array>
#include <locale>
#include <regex>
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

// Puts args[n - 1] where `text` says {n}.
std::string filled(std::string text, const std::vector<std::string>& args) {
    for (std::size_t n = args.size(); n > 0; --n) {
        const auto mark = "{" + std::to_string(n) + "}";
        for (auto at = text.find(mark); at != std::string::npos;
             at = text.find(mark, at + args[n - 1].size()))
            text.replace(at, mark.size(), args[n - 1]);
    }
    return text;
}

struct pattern {
    std::string msgid;
    std::regex english;
    std::vector<int> order; // the number of each placeholder, in the order it comes
    std::size_t words = 0;  // the length of its fixed text
};

// The catalogue's msgids without a context that hold {1}: read from the .po as written, one
// msgid a line (po/vi.po says so), its escapes \" and \\ undone.
std::vector<pattern> read_patterns() {
    std::vector<pattern> out;
    const std::string po(reinterpret_cast<const char*>(catalogue::vi_po), catalogue::vi_po_size);
    const std::regex mark(R"(\{([0-9])\})");
    bool in_context = false;
    for (std::size_t at = 0; at < po.size();) {
        auto end = po.find('\n', at);
        if (end == std::string::npos) end = po.size();
        const std::string_view line(po.data() + at, end - at);
        at = end + 1;
        if (line.starts_with("msgctxt ")) in_context = true;
        if (!line.starts_with("msgid \"")) continue;
        const bool skip = in_context;
        in_context = false;
        if (skip || line.find("{1}") == std::string_view::npos) continue;
        std::string msgid;
        for (std::size_t i = 7; i + 1 < line.size(); ++i)
            msgid += line[i] == '\\' && i + 2 < line.size() ? line[++i] : line[i];
        std::string re = "^";
        const auto literal = [&re](std::string_view text) {
            for (char c : text) {
                if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos)
                    re += '\\';
                re += c;
            }
        };
        std::vector<int> order;
        std::size_t from = 0;
        for (std::sregex_iterator m(msgid.begin(), msgid.end(), mark), done; m != done; ++m) {
            const auto at = static_cast<std::size_t>(m->position());
            literal(std::string_view(msgid).substr(from, at - from));
            re += "(.+?)";
            order.push_back((*m)[1].str()[0] - '0');
            from = at + static_cast<std::size_t>(m->length());
        }
        literal(std::string_view(msgid).substr(from));
        const auto words = msgid.size() - 3 * order.size();
        out.push_back({msgid, std::regex(re + "$"), std::move(order), words});
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
    for (const auto& p : patterns()) {
        std::smatch m;
        if (!std::regex_match(english, m, p.english)) continue;
        std::vector<std::string> args(p.order.size());
        for (std::size_t i = 0; i < p.order.size(); ++i)
            if (p.order[i] >= 1 && static_cast<std::size_t>(p.order[i]) <= args.size())
                args[static_cast<std::size_t>(p.order[i]) - 1] = m[static_cast<int>(i) + 1];
        return filled(lookup(nullptr, p.msgid), args);
    }
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
    const std::vector<std::string> code{std::string(reason)};
    return {filled(lookup(context, pattern_en), code), filled(pattern_en, code)};
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
