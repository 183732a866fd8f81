#!/bin/sh
# parse.sh - the parsing benchmark: authguard's recognizer against sshguard
# 2.4's parser (sshg-parser) on the same 2,000,000-line syslog file with ~30%
# sshd lines, generated once by tests/gen/genlog.py and cached.
#
#   tests/bench/parse.sh [--build DIR] [--check] [--lines N] [--runs N] [--cache DIR]
#
# Both are measured with the file in the page cache, best of --runs (3):
# `authguard bench FILE` reports its own parse loop; sshg-parser is timed
# around the whole process with a monotonic clock, reading the file on stdin,
# and its attack output is counted so that it demonstrably parsed the lines.
# With --check, exits 1 unless authguard parses >= 10,000,000 lines/s and
# >= 20x sshguard. The binary is $AG_BIN, else DIR/authguard (--build,
# default ./ when it holds authguard, else build/ in the source tree).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

build=""
check=0
lines=2000000
runs=3
cache=""
min_lps=10000000
min_ratio=20

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --build=*) build=${1#--build=}; shift ;;
        --check) check=1; shift ;;
        --lines) lines=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        -h|--help) usage ;;
        *) echo "parse.sh: unknown argument '$1'" >&2; usage ;;
    esac
done

if [ -z "$build" ]; then
    if [ -x ./authguard ]; then build=.; else build=$root/build; fi
fi
bin=${AG_BIN:-$build/authguard}
cache=${cache:-$build/cache}
sshg=${SSHG_PARSER:-/usr/libexec/sshguard/sshg-parser}

# newer A B: A exists and was modified after B (POSIX test has no -nt).
newer() {
    [ -e "$1" ] && [ -n "$(find "$1" -prune -newer "$2" 2>/dev/null)" ]
}

die() {
    echo "parse.sh: $*" >&2
    exit 1
}

[ -x "$bin" ] || die "no authguard binary at $bin (build first, or set AG_BIN / --build)"

# Runs CMD with stdin from IN and stdout to OUT; prints its wall time in
# seconds, measured with a monotonic clock around fork/exec/wait.
timed() {
    python3 -c 'import subprocess, sys, time
inp, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(inp, "rb") as i, open(out, "wb") as o:
    t = time.monotonic()
    rc = subprocess.call(cmd, stdin=i, stdout=o)
    d = time.monotonic() - t
if rc:
    sys.exit("parse.sh: %s exited with %d" % (cmd[0], rc))
print("%.6f" % d)' "$@"
}

# -- the input -------------------------------------------------------------------
mkdir -p "$cache"
log=$cache/genlog-$lines-seed1.log
if [ ! -s "$log" ] || newer "$root/tests/gen/genlog.py" "$log"; then
    echo "generating $log ..."
    python3 "$root/tests/gen/genlog.py" --lines "$lines" --seed 1 --sshd-share 0.30 \
        >"$log.tmp"
    mv "$log.tmp" "$log"
fi
nlines=$(wc -l <"$log" | tr -d ' ')
nbytes=$(wc -c <"$log" | tr -d ' ')
nsshd=$(grep -cE '^[^ ]+ [^ ]+ sshd(-session)?\[' "$log" || true)
# Warm the page cache: both contenders read the file from memory.
cat "$log" >/dev/null
awk -v l="$nlines" -v b="$nbytes" -v s="$nsshd" -v f="$log" 'BEGIN {
    printf "input: %s: %d lines, %.1f MB, %.1f%% sshd\n", f, l, b / 1e6, 100 * s / l }'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ag-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# -- authguard ---------------------------------------------------------------------
best_lps=0
best_line=""
best_wall=""
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    wall=$(timed /dev/null "$tmp/ag.out" "$bin" bench "$log") || die "authguard bench failed"
    line=$(grep '^bench parse:' "$tmp/ag.out" | tail -n 1)
    [ -n "$line" ] || die "authguard bench printed no 'bench parse:' line: $(cat "$tmp/ag.out")"
    lps=$(printf '%s\n' "$line" | sed -n 's/.*lines_per_s=\([0-9.]*\).*/\1/p')
    [ -n "$lps" ] || die "no lines_per_s in: $line"
    if awk -v a="$lps" -v b="$best_lps" 'BEGIN { exit !(a > b) }'; then
        best_lps=$lps
        best_line=$line
        best_wall=$wall
    fi
done
ag_lines=$(printf '%s\n' "$best_line" | sed -n 's/.*lines=\([0-9]*\) .*/\1/p')
[ "$ag_lines" = "$nlines" ] || die "authguard bench parsed $ag_lines lines, the file has $nlines"
echo "authguard: $best_line"
awk -v lps="$best_lps" -v w="$best_wall" -v n="$nlines" -v r="$runs" 'BEGIN {
    printf "authguard: best of %d: %.0f lines/s in its parse loop (file loaded first); ", r, lps
    printf "whole process incl. loading and 3 passes: %.3f s\n", w }'

# -- sshguard ----------------------------------------------------------------------
[ -x "$sshg" ] || die "no sshg-parser at $sshg (Debian package sshguard; scripts/deps.sh --test)"
sshg_ver=$(dpkg-query -W -f='${Version}' sshguard 2>/dev/null || echo unknown)
# Once to count what it recognises: it prints one line per attack
# ("service address family score"); lines it does not recognise print nothing.
timed "$log" "$tmp/sshg.out" "$sshg" >/dev/null || die "sshg-parser failed"
attacks=$(wc -l <"$tmp/sshg.out" | tr -d ' ')
best_s=""
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    s=$(timed "$log" /dev/null "$sshg") || die "sshg-parser failed"
    if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
        best_s=$s
    fi
done
sshg_lps=$(awk -v n="$nlines" -v s="$best_s" 'BEGIN { printf "%.0f", n / s }')
echo "sshguard: sshg-parser $sshg_ver: best of $runs: $best_s s = $sshg_lps lines/s;" \
    "$attacks attacks reported, first ones:"
head -n 3 "$tmp/sshg.out" | sed 's/^/    /'
awk '{ n[$1]++ } END { for (s in n) printf "    service %s: %d\n", s, n[s] }' "$tmp/sshg.out" | sort
[ "$attacks" -gt 0 ] || die "sshg-parser reported no attack: it did not parse the lines"

# -- verdict -----------------------------------------------------------------------
ratio=$(awk -v a="$best_lps" -v b="$sshg_lps" 'BEGIN { printf "%.1f", a / b }')
echo "authguard/sshguard = ${ratio}x"

if [ "$check" -eq 1 ]; then
    ok=1
    if awk -v a="$best_lps" -v m="$min_lps" 'BEGIN { exit !(a < m) }'; then
        echo "FAIL: authguard parses $best_lps lines/s, below $min_lps" >&2
        ok=0
    fi
    if awk -v r="$ratio" -v m="$min_ratio" 'BEGIN { exit !(r < m) }'; then
        echo "FAIL: authguard is ${ratio}x sshguard, below ${min_ratio}x" >&2
        ok=0
    fi
    [ "$ok" -eq 1 ] || exit 1
fi
exit 0
