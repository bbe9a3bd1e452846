#include <noi/sync/schema_labels.hpp>

namespace noi {
namespace {

// One string per label place; \x1f cannot occur in a name the schema accepts.
std::string key(std::string_view t, const std::optional<std::string_view>& c,
                const std::optional<std::string_view>& v) {
    std::string k(t);
    k += '\x1f';
    if (c) k.append("c").append(*c);
    k += '\x1f';
    if (v) k.append("v").append(*v);
    return k;
}

std::string key_of(const proto::schema_label& l) {
    return key(l.table, l.column ? std::optional<std::string_view>(*l.column) : std::nullopt,
               l.value ? std::optional<std::string_view>(*l.value) : std::nullopt);
}

} // namespace

const std::string& text_in(const proto::schema_label& l, language lang) {
    const auto& want = lang == language::vi ? l.vi : l.en;
    return want.empty() ? (lang == language::vi ? l.en : l.vi) : want;
}

const std::string& description_in(const proto::schema_label& l, language lang) {
    const auto& want = lang == language::vi ? l.description_vi : l.description_en;
    return want.empty() ? (lang == language::vi ? l.description_en : l.description_vi) : want;
}

std::optional<std::string> label_key(const value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    return std::nullopt;
}

schema_labels::schema_labels(const std::vector<label>& entries) {
    for (const auto& l : entries)
        put(l);
}

void schema_labels::put(label l) {
    auto [it, added] = at_.try_emplace(key_of(l), entries_.size());
    if (added)
        entries_.push_back(std::move(l));
    else
        entries_[it->second] = std::move(l);
}

void schema_labels::overlay(const schema_labels& later) {
    for (const auto& l : later.entries_)
        put(l);
}

const schema_labels::label* schema_labels::table(std::string_view t) const {
    auto it = at_.find(key(t, std::nullopt, std::nullopt));
    return it == at_.end() ? nullptr : &entries_[it->second];
}

const schema_labels::label* schema_labels::column(std::string_view t, std::string_view c) const {
    auto it = at_.find(key(t, c, std::nullopt));
    return it == at_.end() ? nullptr : &entries_[it->second];
}

const schema_labels::label* schema_labels::value(std::string_view t, std::string_view c,
                                                 std::string_view v) const {
    auto it = at_.find(key(t, c, v));
    return it == at_.end() ? nullptr : &entries_[it->second];
}

std::vector<const schema_labels::label*> schema_labels::values_of(std::string_view t,
                                                                  std::string_view c) const {
    std::vector<const label*> out;
    for (const auto& l : entries_)
        if (l.value && l.table == t && l.column == c) out.push_back(&l);
    return out;
}

std::string schema_labels::table_text(std::string_view t, language lang) const {
    const auto* l = table(t);
    return l ? text_in(*l, lang) : std::string(t);
}

std::string schema_labels::column_text(std::string_view t, std::string_view c,
                                       language lang) const {
    const auto* l = column(t, c);
    return l ? text_in(*l, lang) : std::string(c);
}

std::optional<std::string> schema_labels::value_text(std::string_view t, std::string_view c,
                                                     const noi::value& v, language lang) const {
    const auto k = label_key(v);
    const auto* l = k ? value(t, c, *k) : nullptr;
    if (!l) return std::nullopt;
    return text_in(*l, lang);
}

} // namespace noi
