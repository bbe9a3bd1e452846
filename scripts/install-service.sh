#!/usr/bin/env bash
# Installs noi-server as a systemd service: the release programs into /usr/local/bin, the user
# `noi`, /var/lib/noi (0700, made by init on first install), /etc/noi with the settings file,
# and the unit. On a machine without systemd, the plain start script noi-serverctl (in
# /usr/local/sbin) and a logrotate rule for its log in /var/log/noi instead. Run as root after
# building the release (cmake --preset release && cmake --build --preset release). Safe to run
# again: it keeps the data, the settings and the certificate, and restarts a running server on
# the new programs.
#   --root DIR       install under DIR instead of / (for a package, or a test); no user,
#                    no systemctl
#   --build DIR      the build directory (default build/release)
set -euo pipefail

root="" build="build/release"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "error: unknown option $1; see --help" >&2; exit 2 ;;
  esac
done
here="$(cd "$(dirname "$0")/.." && pwd)"
for p in noi-server noi-admin noi-client; do
  [ -x "$build/tools/$p" ] || { echo "error: $build/tools/$p is missing; build the release first (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
done
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "error: run as root (it creates the user noi and installs a system service)" >&2; exit 1
fi

# systemd is running here (or a package is made under --root, which takes both forms).
systemd=0
{ [ -n "$root" ] || [ -d /run/systemd/system ]; } && systemd=1
install -d "$root/usr/local/bin" "$root/usr/local/share/doc/noi"
install -m 0755 "$build/tools/noi-server" "$build/tools/noi-admin" "$build/tools/noi-client" "$root/usr/local/bin/"
if [ "$systemd" = 1 ]; then
  install -d "$root/etc/systemd/system"
  install -m 0644 "$here/packaging/systemd/noi-server.service" "$root/etc/systemd/system/"
fi
if [ -n "$root" ] || [ "$systemd" = 0 ]; then
  install -d "$root/usr/local/sbin" "$root/etc/logrotate.d"
  install -m 0755 "$here/packaging/plain/noi-serverctl" "$root/usr/local/sbin/"
  install -m 0644 "$here/packaging/plain/noi-server.logrotate" "$root/etc/logrotate.d/noi-server"
fi
install -m 0644 "$here/docs/operations.md" "$root/usr/local/share/doc/noi/"
install -d -m 0750 "$root/etc/noi"
[ -e "$root/etc/noi/noi-server.env" ] || install -m 0640 "$here/packaging/systemd/noi-server.env" "$root/etc/noi/"

if [ -n "$root" ]; then
  echo "installed under $root (no user, no service started)" >&2
  exit 0
fi

id noi >/dev/null 2>&1 || useradd --system --home-dir /var/lib/noi --shell /usr/sbin/nologin noi
chgrp noi /etc/noi /etc/noi/noi-server.env
if [ ! -e /var/lib/noi/noi.db ]; then
  install -d -m 0700 -o noi -g noi /var/lib/noi
  token=$(runuser -u noi -- /usr/local/bin/noi-server init --data /var/lib/noi)
  echo "created the server in /var/lib/noi; the first admin token (shown only now): $token"
fi
if [ "$systemd" = 0 ]; then
  # Written by the server through a descriptor root opens: root's, readable by group noi.
  install -d -m 0750 -o root -g noi /var/log/noi
  # Port 443 as the user noi, which the unit's AmbientCapabilities gives under systemd: only
  # root and the group noi may run the program that holds the capability.
  if command -v setcap >/dev/null; then
    chgrp noi /usr/local/bin/noi-server
    chmod 0750 /usr/local/bin/noi-server
    setcap cap_net_bind_service=+ep /usr/local/bin/noi-server
  else
    echo "note: setcap (package libcap2-bin) is missing: noi-server cannot listen on a port below 1024 as noi" >&2
  fi
  if /usr/local/sbin/noi-serverctl status >/dev/null; then
    /usr/local/sbin/noi-serverctl restart
  else
    echo "no systemd here: put the certificate and key in /etc/noi (cert.pem, key.pem, readable by group noi)," >&2
    echo "check /etc/noi/noi-server.env, then: noi-serverctl start (and add it to the boot scripts;" >&2
    echo "docs/operations.md, \"Without systemd\")" >&2
  fi
  exit 0
fi
systemctl daemon-reload
if systemctl is-active --quiet noi-server; then
  systemctl restart noi-server
  echo "restarted noi-server on the new programs" >&2
else
  echo "next: put the certificate and key in /etc/noi (cert.pem, key.pem, readable by group noi)," >&2
  echo "check /etc/noi/noi-server.env, then: systemctl enable --now noi-server" >&2
fi
