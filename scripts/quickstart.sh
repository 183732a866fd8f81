#!/bin/sh
# quickstart.sh - the first command to run after cloning: installs the build
# dependencies (scripts/deps.sh), builds authguard out of tree in build/ and
# scans the bundled sample log, tests/data/sample.log, so you see what it
# finds in a few seconds.
#
#   scripts/quickstart.sh [--build DIR] [--no-deps] [LOG]
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
deps=1
[ "${AG_NO_DEPS:-0}" = 1 ] && deps=0
log=$root/tests/data/sample.log

while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --build=*) build=${1#--build=}; shift ;;
        --no-deps) deps=0; shift ;;
        -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "quickstart.sh: unknown option '$1'" >&2; exit 2 ;;
        *) log=$1; shift ;;
    esac
done
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

if [ "$deps" -eq 1 ]; then
    "$root/scripts/deps.sh"
fi
if [ ! -x "$root/configure" ] || [ ! -f "$root/Makefile.in" ]; then
    echo "quickstart.sh: generating the build system" >&2
    "$root/autogen.sh" >&2
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
    echo "quickstart.sh: configuring in $build" >&2
    "$root/configure" --quiet >&2
fi
echo "quickstart.sh: building" >&2
make -j"$jobs" --quiet authguard >&2

echo "quickstart.sh: $build/authguard scan $log" >&2
exec "$build/authguard" scan "$log"
