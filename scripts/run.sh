#!/usr/bin/env bash
# Installs what is missing, builds the release configuration and runs the main job: noi-sim
# with its defaults. Arguments are passed on to noi-sim (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target noi-sim
exec build/release/tools/noi-sim "$@"
