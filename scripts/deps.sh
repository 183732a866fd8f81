#!/bin/sh
# Installs the Debian packages authguard needs to build (and, with --test, to run
# its tests and benchmarks). Safe to run again: it installs only what is missing.
set -eu

BUILD="build-essential autoconf automake libtool pkg-config
  libsystemd-dev librdkafka-dev libcurl4-openssl-dev libjson-c-dev libinih-dev
  libssl-dev"
TEST="clang libclang-rt-14-dev sshguard kcat rsyslog rsyslog-kafka systemd-journal-remote
  check libmsgpack-dev python3 python3-botocore python3-aiosmtpd openjdk-17-jre-headless
  maven procps util-linux bsdextrautils man-db"

want="$BUILD"
[ "${1:-}" = "--test" ] && want="$BUILD $TEST"

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
