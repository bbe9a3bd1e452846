// The rows the server rejected, as the tablet keeps them for its officer, and what the officer
// does with each: drop it, or correct it and write it again (docs/protocol.md, Rejections).
#include <noi/sync/error.hpp>
#include <noi/sync/tablet.hpp>

#include "table_io.hpp"

namespace noi {
namespace {

const char* answer_word(proto::rejection_answer a) {
    return a == proto::rejection_answer::dropped ? "dropped" : "resent";
}

constexpr const char* rejected_columns =
    "SELECT quarantine_id, tbl, row_id, reason, message, row_values, recorded_at, answer FROM "
    "noi_rejected";

// A row of rejected_columns.
rejected_row read_rejected(statement& st) {
    rejected_row r{static_cast<std::uint64_t>(st.column_int(0)),
                   st.column_text(1),
                   st.column_text(2),
                   st.column_text(3),
                   st.column_text(4),
                   unpack_values(st.column_blob(5)),
                   st.column_int(6)};
    if (!st.column_is_null(7)) r.answer = st.column_text(7);
    return r;
}

} // namespace

std::vector<rejected_row> tablet::rejected() {
    std::vector<rejected_row> out;
    auto st = rep_->db().prepare(std::string(rejected_columns) + " ORDER BY quarantine_id");
    while (st.step())
        out.push_back(read_rejected(st));
    return out;
}

std::vector<proto::answered_rejection> tablet::answers() {
    std::vector<proto::answered_rejection> out;
    auto& st = rep_->db().cached("SELECT quarantine_id, answer FROM noi_rejected WHERE answer IS "
                                 "NOT NULL ORDER BY quarantine_id DESC LIMIT ?1");
    st.bind(1, static_cast<std::int64_t>(proto::max_rejected_listed));
    while (st.step())
        out.push_back({static_cast<std::uint64_t>(st.column_int(0)),
                       st.column_text(1) == "dropped" ? proto::rejection_answer::dropped
                                                      : proto::rejection_answer::resent});
    st.reset();
    return out;
}

rejected_row tablet::unanswered(std::uint64_t quarantine_id) {
    auto st = rep_->db().prepare(std::string(rejected_columns) + " WHERE quarantine_id = ?1");
    st.bind(1, static_cast<std::int64_t>(quarantine_id));
    if (!st.step())
        throw sync_error(errc::refused, "this tablet keeps no rejected row " +
                                            std::to_string(quarantine_id) +
                                            "; list them again, it may have been settled");
    auto r = read_rejected(st);
    if (r.answer)
        throw sync_error(errc::refused, "rejected row " + std::to_string(quarantine_id) + " was " +
                                            *r.answer + " already; the next sync tells the server");
    return r;
}

void tablet::set_answer(std::uint64_t quarantine_id, proto::rejection_answer a) {
    auto& st = rep_->db().cached("UPDATE noi_rejected SET answer = ?2 WHERE quarantine_id = ?1");
    st.bind(1, static_cast<std::int64_t>(quarantine_id)).bind(2, std::string_view(answer_word(a)));
    st.run();
}

void tablet::drop_rejected(std::uint64_t quarantine_id) {
    transaction tx(rep_->db());
    unanswered(quarantine_id);
    set_answer(quarantine_id, proto::rejection_answer::dropped);
    tx.commit();
}

void tablet::resend_rejected(std::uint64_t quarantine_id,
                             const std::vector<std::pair<std::string, value>>& corrections) {
    transaction tx(rep_->db());
    rep_->refresh_schema();
    auto kept = unanswered(quarantine_id);
    const auto* def = rep_->tables().find(kept.table);
    if (!def)
        throw sync_error(errc::refused, "this tablet has no table " + kept.table +
                                            " to write rejected row " +
                                            std::to_string(quarantine_id) + " to; drop it");
    // A row the pull brought back holds others' later edits: only the corrections change it.
    // One the server never took is the officer's row as the tablet kept it.
    auto& io = rep_->io(*def);
    auto values = io.read(kept.row_id).value_or(std::move(kept.values));
    if (values.empty())
        throw sync_error(errc::refused, "nothing of rejected row " + std::to_string(quarantine_id) +
                                            " was kept to write again; enter it anew, then drop "
                                            "this one");
    values.resize(def->columns.size());
    for (const auto& [column, v] : corrections) {
        const auto col = def->column_index(column);
        if (!col)
            throw sync_error(errc::refused,
                             "table " + def->name + " has no column " + column + " to correct");
        values[*col] = v;
    }
    // With the capture on: a local change like any the officer types, pushed at the next sync.
    try {
        io.upsert(kept.row_id, values);
    } catch (const sync_error& e) {
        // The replica's own rules (its scope triggers, a constraint), not a failing disk.
        if (e.code() != errc::sqlite) throw;
        throw sync_error(errc::refused, "rejected row " + std::to_string(quarantine_id) +
                                            " cannot be written as corrected: " + e.what());
    }
    set_answer(quarantine_id, proto::rejection_answer::resent);
    tx.commit();
}

} // namespace noi
