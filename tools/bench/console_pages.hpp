// noi-bench's console figure: how long the admin API takes to answer the pages the web console
// reads, with a province's worth of devices and a backlog of conflicts, beside the whole
// unpaged list (what noi-admin reads) as the baseline.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>

namespace noi::bench {

nlohmann::json bench_console(const std::filesystem::path& dir, std::size_t devices,
                             std::size_t conflicts, int repeats);

} // namespace noi::bench
