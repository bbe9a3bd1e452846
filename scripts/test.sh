#!/usr/bin/env bash
# Installs what is missing, builds the debug configuration and runs the whole test suite.
# NOI_PRESET=asan scripts/test.sh runs it under AddressSanitizer and UBSan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
preset="${NOI_PRESET:-debug}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)"
