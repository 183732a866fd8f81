#!/bin/sh
# test.sh - the one command that tests authguard from a fresh clone: installs
# what is missing (scripts/deps.sh --test), regenerates the build system if
# needed, configures and builds out of tree in build/, runs `make check` and
# exits non-zero on any failure, showing the failing tests' logs.
#
#   scripts/test.sh [--build DIR] [--no-deps] [-- CONFIGURE-ARGS...]
#
# e.g. scripts/test.sh --build build-asan -- --enable-sanitizers
# Environment: AG_NO_DEPS=1 is the same as --no-deps; JOBS (nproc).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
deps=1
[ "${AG_NO_DEPS:-0}" = 1 ] && deps=0

while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --build=*) build=${1#--build=}; shift ;;
        --no-deps) deps=0; shift ;;
        --) shift; break ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "test.sh: unknown argument '$1' (configure arguments go after --)" >&2; exit 2 ;;
    esac
done
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

say() { echo "test.sh: $*"; }

# newer A B: A exists and was modified after B (POSIX test has no -nt).
newer() {
    [ -e "$1" ] && [ -n "$(find "$1" -prune -newer "$2" 2>/dev/null)" ]
}

# -- dependencies ---------------------------------------------------------------
if [ "$deps" -eq 1 ]; then
    "$root/scripts/deps.sh" --test
fi

# -- services the tests talk to -------------------------------------------------
# (none yet: brokers and mock servers will be started here, and stopped by a
# trap, when tests need them)

# -- build system ----------------------------------------------------------------
if [ ! -x "$root/configure" ] || [ ! -f "$root/Makefile.in" ] ||
   newer "$root/configure.ac" "$root/configure" ||
   newer "$root/Makefile.am" "$root/Makefile.in"; then
    say "regenerating the build system (autogen.sh)"
    "$root/autogen.sh"
fi

# -- configure and build -----------------------------------------------------------
mkdir -p "$build"
cd "$build"
# Reconfigure when the arguments change or configure is newer than the
# last run; otherwise keep the tree and build incrementally.
# Warnings are errors here, as in CI; a user's own ./configure leaves them warnings.
args="--enable-werror $*"
if [ ! -f Makefile ] || [ ! -f config.status ] || newer "$root/configure" config.status ||
   [ "$(cat .test-sh-configure-args 2>/dev/null || echo '<none>')" != "$args" ]; then
    say "configuring in $build${args:+ with $args}"
    "$root/configure" --enable-werror "$@"
    printf '%s\n' "$args" >.test-sh-configure-args
fi
say "building ($jobs jobs)"
make -j"$jobs"

# -- tests ---------------------------------------------------------------------------
say "make check"
rc=0
rm -f test-suite.log   # never report an earlier run's results
make -j"$jobs" check || rc=$?
if [ "$rc" -ne 0 ]; then
    say "make check failed in $build; the failing tests' logs:"
    if [ -f test-suite.log ]; then
        # test-suite.log holds the full log of every test that did not pass.
        sed -n '/^# ERROR:/,$p' test-suite.log | tail -n +2 | head -n 300
    else
        say "no test-suite.log: make check stopped before the tests ran (see above)"
    fi
    exit "$rc"
fi
say "all tests passed"
