#!/usr/bin/env bash
# The PostgreSQL cluster the store tests use (CTest fixture `pg`): `start STATE` makes a fresh
# cluster in a temporary directory, as the unprivileged `postgres` user when run as root,
# listening on a Unix socket there and on no TCP port, and writes its libpq connection string
# to the file STATE; `stop STATE` stops it and removes its directory. Each test makes and drops
# its own database in it. fsync is off: these are tests of behaviour; noi-bench measures a
# durable cluster of its own.
set -euo pipefail
cmd=${1:?start or stop}
state=${2:?the state file}

stop() {
  [ -f "$state" ] || return 0
  local dir
  dir=$(sed -n 's/^host=\([^ ]*\) .*/\1/p' "$state")
  if [ -n "$dir" ] && [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
  fi
  rm -f "$state"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "error: PostgreSQL is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }

case "$cmd" in
start)
  stop
  dir=$(mktemp -d /tmp/noi-pg.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U noi -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-k $dir -c listen_addresses='' -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "host=$dir user=noi dbname=postgres" >"$state"
  ;;
stop) stop ;;
*) echo "usage: $0 start|stop STATE" >&2; exit 2 ;;
esac
