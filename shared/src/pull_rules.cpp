#include "pull_rules.hpp"

#include <noi/protocol/row_size.hpp>
#include <noi/sync/row_change.hpp>

#include <algorithm>

namespace noi {
namespace {

proto::row_change departure(const table_def& def, const std::string& id, const std::string& unit,
                            const version& ver) {
    proto::row_change r;
    r.table = def.name;
    r.id = id;
    r.scope = unit;
    r.cells.push_back({def.columns[*def.scope].name, unit, ver, std::nullopt});
    return r;
}

} // namespace

std::optional<proto::row_change> row_for_puller(const device& d, const table_def& def,
                                                const std::string& id, row_state st,
                                                std::vector<value> values, std::uint64_t seq,
                                                bool answer) {
    // The feed's scope decides what is read; the row's own scope decides what is sent.
    const auto* scope = def.scope ? std::get_if<std::string>(&values[*def.scope]) : nullptr;
    if (d.scope == "*" || !def.scope || (scope && d.reads(*scope))) {
        if (answer) stamp_all(st, seq);
        return change_at(def, id, st, std::move(values), seq, false);
    }
    if (scope && st.cells[*def.scope]) return departure(def, id, *scope, st.cells[*def.scope]->ver);
    return std::nullopt;
}

pull_page::pull_page(const proto::pull& p, std::size_t server_max_rows, std::size_t max_bytes,
                     bool skips_own)
    : limit_(
          std::clamp<std::size_t>(p.max_rows ? p.max_rows : server_max_rows, 1, server_max_rows)),
      scan_limit_(skips_own ? limit_ * 8 : limit_), max_bytes_(max_bytes) {
    out_.cursor = p.cursor;
}

bool pull_page::room() {
    if (sent_ == limit_ || scanned_ == scan_limit_) {
        out_.more = true;
        return false;
    }
    ++scanned_;
    return true;
}

void pull_page::pass(std::uint64_t seq) {
    out_.cursor = seq;
}

bool pull_page::offer(proto::row_change r, std::uint64_t seq) {
    static const proto::limits lim; // what every replica decodes
    // Only a row over a MiB, or of very many cells, can be one no replica decodes.
    const auto size = proto::encoded_bound(r);
    if ((size > lim.max_string_bytes || r.cells.size() > lim.max_cells_per_row) &&
        !proto::fits_alone(r, lim)) {
        out_.cursor = seq;
        return true;
    }
    if (sent_ > 0 && bytes_ + size > max_bytes_) {
        out_.more = true;
        return false;
    }
    bytes_ += size;
    out_.cursor = seq;
    out_.rows.push_back(std::move(r));
    ++sent_;
    return true;
}

} // namespace noi
