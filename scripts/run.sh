#!/usr/bin/env bash
# Installs what is missing, builds the release programs and runs the main job: noi-sim
# with its defaults. Arguments are passed on to noi-sim (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target noi-sim noi-server noi-client noi-admin noi-bench
exec build/release/tools/noi-sim "$@"
