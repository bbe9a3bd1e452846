#!/usr/bin/env bash
# packaging/plain/noi-serverctl, as on a machine without systemd: the settings file read as
# systemd reads it (a value with spaces), start until it listens, status, a sync-ready server
# answering noi-admin, the log in the settings' zone (TZ), reload, stop with SIGTERM, and refusals
# that say what to do.
#   noi_serverctl_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin="$1" src="$2"
ctl="$src/packaging/plain/noi-serverctl"
work="$(mktemp -d)"
cleanup() {
  [ -f "$work/noi.pid" ] && kill "$(cat "$work/noi.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; [ -f "$work/log/noi-server.log" ] && tail -n 20 "$work/log/noi-server.log" >&2; exit 1; }

export NOI_ENV_FILE="$work/noi-server.env" NOI_DATA="$work/data" NOI_LOG="$work/log/noi-server.log"
export NOI_PID="$work/noi.pid" NOI_SERVER_BIN="$bin/noi-server" NOI_USER=""
token="$("$bin/noi-server" init --data "$NOI_DATA")"

# As systemd reads it: unquoted spaces in a value, a quoted value, comments.
cat > "$NOI_ENV_FILE" <<'SETTINGS'
# Settings of the noi-server service
NOI_LISTEN="127.0.0.1:0"
NOI_TLS_CERT=
NOI_TLS_KEY=
NOI_SERVE_OPTIONS=--threads 2 --auth-failures-per-minute 50
TZ=ICT-7
SETTINGS

set +e
"$ctl" status > "$work/out"; rc=$?
set -e
[ "$rc" -eq 3 ] || fail "status of a stopped server exits $rc, not 3"
"$ctl" start > "$work/out" || fail "start: $(cat "$work/out")"
grep -q "started" "$work/out" || fail "start said: $(cat "$work/out")"
"$ctl" status | grep -q "is running" || fail "status after start"
port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$NOI_LOG" | tail -n 1)"
[ -n "$port" ] || fail "no port in the log"
"$bin/noi-admin" --server "http://127.0.0.1:$port" --token "$token" status > /dev/null ||
  fail "noi-admin cannot reach the started server"
"$ctl" start | grep -q "already running" || fail "a second start"
"$ctl" reload | grep -q "reloads" || fail "reload"
sleep 0.3
"$ctl" status | grep -q "is running" || fail "the server died on reload"
"$ctl" stop | grep -q "stopped" || fail "stop"
# The log's times are in the settings' zone, and say so.
grep -q '^\[[0-9-]* [0-9:.]* +07:00\] \[info\] stopping' "$NOI_LOG" ||
  fail "the log's lines name no zone +07:00: $(cat "$NOI_LOG")"
grep -q "stopping" "$NOI_LOG" || fail "the server did not stop on SIGTERM"
[ ! -f "$NOI_PID" ] || fail "the pid file stays after stop"
"$ctl" stop | grep -q "not running" || fail "stop of a stopped server"

# Refusals that say what to do.
echo "NOI_TLS_CERT=" > "$NOI_ENV_FILE"
set +e
"$ctl" start 2> "$work/err"; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "NOI_LISTEN" "$work/err" || fail "a settings file without NOI_LISTEN: rc $rc, $(cat "$work/err")"
rm "$NOI_ENV_FILE"
set +e
"$ctl" start 2> "$work/err"; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "cannot read" "$work/err" || fail "no settings file: rc $rc, $(cat "$work/err")"
echo 'NOI_LISTEN=0.0.0.0:0' > "$NOI_ENV_FILE"
set +e
"$ctl" start 2> "$work/err"; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "stopped at once" "$work/err" || fail "a server that refuses to start: rc $rc, $(cat "$work/err")"
set +e
"$ctl" frobnicate 2> /dev/null; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "an unknown command exits $rc, not 2"
echo "noi-serverctl: every step passed"
