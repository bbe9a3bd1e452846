// The tablet's capture log (docs/design.md §3, docs/capture.md): its table and its formats.
//  1: every column NOT NULL; an update's entry carries its changed-columns mask (`cols`).
//  2: no NOT NULLs (each is a check on every captured write); an update's `cols` is NULL and
//     the fold finds what it changed against the cell digests kept in the row states.
// A format 1 entry still folds by its mask: a log is upgraded without folding it.
#pragma once

#include <cstdint>
#include <string>

namespace noi {

constexpr std::int64_t capture_format = 2;

// The capture triggers' form (replica::install_triggers), in `trigger_format` of noi_meta; a
// tablet with an older one gets them anew when it opens.
//  1: scope and key checks.
//  2: also the date columns' (docs/capture.md).
//  3: the key check the keyboard's alone, so a pulled move of a row to another unit can change
//     its scope (docs/design.md §11).
constexpr std::int64_t trigger_format = 3;

std::string capture_log_schema(const std::string& table);

} // namespace noi
