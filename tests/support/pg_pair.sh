#!/usr/bin/env bash
# A PostgreSQL primary and its synchronous standby on this machine, for the failover test
# (tests/e2e/failover_test.cpp): each in a directory of its own under one temporary directory,
# on a Unix socket there (no TCP), as the unprivileged `postgres` user when run as root.
#   start STATE    makes both (standby `standby`, synchronous_commit on); STATE's first line is
#                  a multi-host connection string that finds whichever takes writes
#   kill STATE     SIGKILLs the primary and every process of it, as a lost machine would go
#   promote STATE  promotes the standby: it is the primary from now on
#   rebuild STATE  makes a new synchronous standby of the primary where the lost one was
#   stop STATE     stops both and removes their directory
set -euo pipefail
cmd=${1:?start, kill, promote, rebuild or stop}
state=${2:?the state file}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "error: PostgreSQL is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
root() { sed -n 2p "$state"; }
primary() { sed -n 3p "$state"; }
other() { if [ "$(primary)" = a ]; then echo b; else echo a; fi; }
write_state() { # root primary
  printf 'host=%s/a,%s/b user=noi dbname=postgres target_session_attrs=read-write connect_timeout=2\n%s\n%s\n' \
    "$1" "$1" "$1" "$2" >"$state"
}
start_node() { # dir
  as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
    -o "-k $1 -c listen_addresses=''" start >/dev/null || { cat "$1/server.log" >&2; exit 1; }
}
make_standby() { # root name-of-primary name-of-standby
  local from="$1/$2" to="$1/$3"
  rm -rf "$to"; mkdir -p "$to"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$to"
  as_owner "$bin/pg_basebackup" -h "$from" -U noi -D "$to/data" -X stream -R >/dev/null
  echo "primary_conninfo = 'host=$from user=noi application_name=standby'" >>"$to/data/postgresql.auto.conf"
  start_node "$to"
}

case "$cmd" in
start)
  dir=$(mktemp -d /tmp/noi-pgpair.XXXXXX)
  write_state "$dir" a # first: a start that fails half-way is still stopped and removed
  mkdir -p "$dir/a"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/a/data" -A trust -U noi -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  cat >>"$dir/a/data/postgresql.conf" <<CONF
wal_level = replica
max_wal_senders = 4
synchronous_commit = on
synchronous_standby_names = 'standby'
max_connections = 200
CONF
  start_node "$dir/a"
  make_standby "$dir" a b
  ;;
kill)
  dir=$(root)/$(primary)
  pid=$(head -1 "$dir/data/postmaster.pid")
  children=$(ps -o pid= --ppid "$pid" || true)
  kill -9 "$pid" $children 2>/dev/null || true
  ;;
promote)
  as_owner "$bin/pg_ctl" -D "$(root)/$(other)/data" -w promote >/dev/null
  write_state "$(root)" "$(other)"
  ;;
rebuild)
  make_standby "$(root)" "$(primary)" "$(other)"
  ;;
stop)
  [ -f "$state" ] || exit 0
  for n in a b; do
    [ -d "$(root)/$n/data" ] && as_owner "$bin/pg_ctl" -D "$(root)/$n/data" -m immediate -w stop >/dev/null 2>&1 || true
  done
  rm -rf "$(root)" "$state"
  ;;
*) echo "usage: $0 start|kill|promote|rebuild|stop STATE" >&2; exit 2 ;;
esac
