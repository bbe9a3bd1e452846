#!/usr/bin/env bash
# Installs the Debian 12 packages Nối builds with, when any is missing. Safe to run again.
# With --arm, also the cross compilers for 64-bit and 32-bit ARM, the tablet library's libraries
# from Debian's arm64 and armhf architectures, and qemu-user (scripts/arm-test.sh).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.74-dev        # Asio and Beast (header-only); 1.74 is what msgpack-cxx is built against
  libboost-locale1.74-dev gettext  # the message catalogue: po/vi.po compiled by msgfmt, read by Boost.Locale
  libsqlite3-dev          # the replicas
  libmsgpack-cxx-dev      # the wire format
  libgtest-dev libgmock-dev
  libcli11-dev            # command lines
  libspdlog-dev           # logs
  nlohmann-json3-dev      # the admin API's JSON
  libssl-dev              # TLS through Asio
  libutf8proc-dev         # Unicode normalisation: names typed in NFD compare equal to NFC
  libxxhash-dev           # cell digests: what a tablet's update changed (docs/capture.md)
  libsodium-dev           # console passwords, hashed with Argon2id
  libqrencode-dev         # the console's enrolment QR code
  libxlsxwriter-dev       # the console's report as an Excel workbook
  libpq-dev               # the PostgreSQL store (libpq, PostgreSQL's own client library)
  postgresql-15           # the PostgreSQL store's tests start a cluster of their own
  chromium chromium-driver python3-selenium  # the console's tests in a headless browser
  clang-14 libclang-rt-14-dev  # libFuzzer for the fuzz targets' smoke runs (docs/reliability.md)
  clang-format-14         # the house format, checked by .ci/run (scripts/check-format.sh)
  openjdk-17-jdk-headless junit5 libjsr305-java  # the Java API over JNI and its JUnit tests
)

cross_arches=()
if [ "${1:-}" = --arm ]; then
  cross_arches=(arm64 armhf)
  packages+=(crossbuild-essential-arm64 crossbuild-essential-armhf qemu-user)
  for a in "${cross_arches[@]}"; do
    for lib in libsqlite3-dev libssl-dev libxxhash-dev libutf8proc-dev libboost1.74-dev \
               libboost-locale1.74-dev libmsgpack-cxx-dev libgtest-dev; do
      packages+=("$lib:$a")
    done
  done
elif [ $# -gt 0 ]; then
  echo "usage: scripts/install-deps.sh [--arm]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: run as root or install sudo to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# The tests run clusters of their own; the package's default cluster would only sit on port 5432.
if ! dpkg-query -W -f='${Status}' postgresql-common 2>/dev/null | grep -q "install ok installed"; then
  $sudo mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/noi.conf >/dev/null
fi
for a in "${cross_arches[@]}"; do
  dpkg --print-foreign-architectures | grep -qx "$a" || $sudo dpkg --add-architecture "$a"
done
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
