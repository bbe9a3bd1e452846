#!/usr/bin/env bash
# The tablet library on ARM: cross-builds it for 64-bit (aarch64) and 32-bit (armhf) ARM with
# Debian's cross compilers, runs the wire, sync-core and simulation tests under qemu-user, then
# syncs the C API's program, running as ARM code, with a real noi-server on this x86-64 machine.
# Ends with each build's stripped library sizes. Not part of the test command (about 25 minutes
# on 2 cores); docs/android.md keeps its last result.
#
#   scripts/arm-test.sh [aarch64] [armhf]     both when none is named
#   NOI_SIM_SEEDS=N                           simulation seeds per architecture (default 25)
set -euo pipefail
cd "$(dirname "$0")/.."

arches=("$@")
[ ${#arches[@]} -eq 0 ] && arches=(aarch64 armhf)
for a in "${arches[@]}"; do
  case "$a" in
    aarch64 | armhf) ;;
    *) echo "usage: scripts/arm-test.sh [aarch64] [armhf]" >&2; exit 2 ;;
  esac
done
seeds="${NOI_SIM_SEEDS:-25}"
jobs="$(nproc)"

scripts/install-deps.sh --arm
echo "== the x86-64 server (release build)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target noi-server noi-admin
host=build/release/tools

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A fresh server on 127.0.0.1 with a free port; sets $url and $admin_token.
start_server() {
  rm -rf "$work/server"
  admin_token="$("$host/noi-server" init --data "$work/server")"
  "$host/noi-server" serve --data "$work/server" --listen 127.0.0.1:0 2>"$work/serve.log" &
  server_pid=$!
  local port=""
  for _ in $(seq 1 100); do
    port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.log" | head -n1)"
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "error: noi-server did not start in 10 s" >&2; cat "$work/serve.log" >&2; exit 1; }
  url="http://127.0.0.1:$port"
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

sizes=()
for arch in "${arches[@]}"; do
  case "$arch" in
    aarch64) triple=aarch64-linux-gnu qemu=qemu-aarch64 ;;
    armhf) triple=arm-linux-gnueabihf qemu=qemu-arm ;;
  esac
  dir="build/cross-$arch"
  echo "== $arch: build ($triple, Release)"
  cmake -S . -B "$dir" -G Ninja --toolchain "cmake/toolchains/$triple.cmake" \
    -DNOI_CLIENT_ONLY=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$dir" -j "$jobs"

  echo "== $arch: the wire, the sync core and the simulation's fixed cases under $qemu"
  ctest --test-dir "$dir" -j "$jobs" -E '^simulation\.seeds' --output-on-failure
  echo "== $arch: $seeds simulation seeds"
  NOI_SIM_FIRST=0 NOI_SIM_COUNT="$seeds" "$qemu" "$dir/tests/sim_tests" \
    --gtest_filter=simulation.seed_range --gtest_brief=1

  echo "== $arch: the C API's program on $arch syncs with the x86-64 server"
  start_server
  device="$("$host/noi-admin" --server "$url" --token "$admin_token" device add --commune 01849 \
    --name "máy $arch" --json)"
  "$qemu" "$dir/tests/c_api_check" "$work/tablet-$arch.db" "$url" "$(json_field token <<<"$device")"
  device_id="$(json_field device_id <<<"$device")"
  synced="$("$host/noi-admin" --server "$url" --token "$admin_token" status --json |
    python3 -c 'import json, sys; d = [r for r in json.load(sys.stdin) if r["device_id"] == sys.argv[1]]
print(d[0]["last_sync_at"] if d else "")' "$device_id")"
  stop_server
  [ -n "$synced" ] && [ "$synced" != None ] ||
    { echo "error: the server has no sync of the $arch tablet on record" >&2; exit 1; }
  echo "the server has the $arch tablet's sync at $synced"

  stripped="$work/libnoi_jni-$arch.so"
  "$triple-strip" -o "$stripped" "$dir/client-lib/java/libnoi_jni.so"
  sizes+=("$arch: libnoi_jni.so $(stat -c %s "$stripped") bytes stripped, needs: $(
    "$triple-objdump" -p "$stripped" | sed -n 's/ *NEEDED *//p' | tr '\n' ' ')")
done

echo "== done"
printf '%s\n' "${sizes[@]}"
