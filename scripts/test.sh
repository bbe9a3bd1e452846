#!/usr/bin/env bash
# Installs what is missing, builds the debug configuration and runs the whole test suite, then
# builds the libFuzzer targets with clang and runs each briefly from its seeds (NOI_FUZZ_SECONDS,
# 30 by default; 0 skips them).
# NOI_PRESET=asan scripts/test.sh runs the suite under AddressSanitizer and UBSan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
preset="${NOI_PRESET:-debug}"
# UBSan reports and carries on by default: a report must fail the test that caused it.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)"

fuzz_seconds="${NOI_FUZZ_SECONDS:-30}"
if [ "$fuzz_seconds" != 0 ]; then
  cmake --preset fuzz -DNOI_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
  cmake --build --preset fuzz -j "$(nproc)"
  ctest --preset fuzz -j "$(nproc)"
fi
