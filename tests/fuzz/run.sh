#!/bin/sh
# run.sh - builds the libFuzzer target tests/fuzz/fuzz_parse.c straight from
# filters/*.c with clang (ASan + UBSan, no autotools needed) and fuzzes the
# header parser and recognizers for ${FUZZ_SECONDS:-60} seconds on a copy of
# tests/fuzz/corpus. Prints one TAP result; exits non-zero on a crash, an
# invariant violation or a build failure.
#
# Environment: FUZZ_SECONDS (60), FUZZ_OUT (build/fuzz under the source
# root: binary, log, crash inputs), FUZZ_CC (clang), FUZZ_DICT (the
# dictionary, default tests/fuzz/auth.dict; "none" to fuzz without one),
# FUZZ_SEED (libFuzzer -seed; 0, the default, picks one).
# Reproduce a crash with: build/fuzz/fuzz_parse build/fuzz/crash-<sha1>
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${FUZZ_SECONDS:-60}
out=${FUZZ_OUT:-$root/build/fuzz}
cc=${FUZZ_CC:-clang}
dict=${FUZZ_DICT:-$here/auth.dict}
seed=${FUZZ_SEED:-0}

mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/fuzz.log
buildlog=$out/build.log

echo "1..1"

not_ok() {
    echo "not ok 1 - fuzz_parse: $1"
    exit 1
}

# -- build -------------------------------------------------------------------
command -v "$cc" >/dev/null 2>&1 || not_ok "no $cc (scripts/deps.sh --test installs it)"

# custom.c, when there is one, needs PCRE2.
extra=""
if ls "$root"/filters/*.c >/dev/null 2>&1 && grep -l pcre2 "$root"/filters/*.c >/dev/null 2>&1; then
    extra=$(pkg-config --cflags --libs libpcre2-8 2>/dev/null || echo "-lpcre2-8")
fi

# shellcheck disable=SC2086
if ! "$cc" -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -fno-omit-frame-pointer -I"$root" \
        "$here/fuzz_parse.c" "$root"/filters/*.c $extra \
        -o "$out/fuzz_parse" >"$buildlog" 2>&1; then
    sed 's/^/# /' "$buildlog" | tail -n 30
    not_ok "build failed (log: $buildlog)"
fi

# -- run ---------------------------------------------------------------------
# libFuzzer adds what it finds to its corpus directory: give it a copy so the
# seeds in the tree stay as they are.
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$here"/corpus/* "$work/corpus/"

set -- -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb=2048 -max_len=17000 -seed="$seed" \
    -artifact_prefix="$out/"
if [ "$dict" != none ] && [ -f "$dict" ]; then
    set -- "$@" -dict="$dict"
fi

start=$(date +%s)
rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$out/fuzz_parse" "$@" "$work/corpus" >"$log" 2>&1 || rc=$?
ran=$(( $(date +%s) - start ))

execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
[ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
[ -n "$execs" ] || execs=0

if [ "$rc" -ne 0 ]; then
    # Show the sanitizer report (first lines and stack, not the shadow
    # memory dump), the input, and where it was saved.
    grep -m 1 -A 14 -E 'ERROR: |runtime error|invariant violated|deadly signal' "$log" \
        | sed 's/^/# /' || true
    grep -E -A 3 '^MS: |^artifact_prefix' "$log" | cut -c1-300 | sed 's/^/# /' || true
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    [ -n "$crash" ] && echo "# reproduce: $out/fuzz_parse $crash"
    not_ok "crashed after $ran s, $execs execs (exit $rc, log: $log)"
fi
if [ "$execs" -eq 0 ]; then
    tail -n 20 "$log" | sed 's/^/# /'
    not_ok "ran no input (log: $log)"
fi
echo "ok 1 - fuzz_parse ran $ran s, $execs execs, no crash"
