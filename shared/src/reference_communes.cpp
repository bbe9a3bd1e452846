// Parses the built-in copy of the province's official commune list (shared/data/).
#include <noi/sync/schema.hpp>

#include <sstream>

namespace noi {

extern const char* const communes_csv; // generated from shared/data/bac-kan-communes.csv

const std::vector<commune>& reference_communes() {
    static const std::vector<commune> rows = [] {
        std::vector<commune> out;
        std::istringstream in(communes_csv);
        std::string line;
        std::getline(in, line); // header
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            std::vector<std::string> f;
            std::stringstream ls(line);
            std::string cell;
            while (std::getline(ls, cell, ','))
                f.push_back(cell);
            if (f.size() < 6) continue;
            out.push_back({f[0], f[1], f[2], f[3], f[4], f[5]});
        }
        return out;
    }();
    return rows;
}

} // namespace noi
