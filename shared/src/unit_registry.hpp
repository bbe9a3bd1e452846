// The administrative map as the server holds it (docs/design.md §11): the only owner of
// noi_units, noi_map_changes and noi_lineage. A unit is never renamed or re-coded: a change of
// the map retires units and makes new ones, and the lineage says which went into which.
#pragma once

#include <noi/sync/database.hpp>
#include <noi/sync/server_records.hpp>

#include <optional>
#include <string>
#include <vector>

namespace noi {

class unit_registry {
public:
    explicit unit_registry(database& db) : db_(db) {}

    void add(const unit_record& u);
    std::optional<unit_record> find(const std::string& id);
    // Every unit, valid or retired, by code then validity.
    std::vector<unit_record> all();
    // The unit `code` names on `day`.
    std::optional<unit_record> on(const std::string& code, const std::string& day);
    // A new unit's id: its code, unless a unit of this server had that id already.
    std::string fresh_id(const std::string& code, const std::string& effective);
    void retire(const std::string& id, const std::string& until);

    // The unit's id first, then every unit that went into it whole, at any depth: the rows a
    // device of the unit reads.
    std::vector<std::string> members(const std::string& id);
    // The units a retired unit went into (the newest units its rows now belong to).
    std::vector<std::string> heirs(const std::string& id);

    std::uint64_t record_change(const map_change_record& c);
    void link(const lineage_edge& e);
    std::vector<map_change_record> changes();
    std::vector<lineage_edge> lineage();

    // Why `code` names no unit of this server on `day`, naming the unit it went into.
    std::string refusal(const std::string& code, const std::string& day);

private:
    database& db_;
};

} // namespace noi
