#!/bin/sh
# cardinality.sh - `authguard scan` on a botnet's log (2,000,000 lines, 30%
# sshd, nearly all of it single guesses from new sources at new invalid
# users: about 380,000 keys) next to the naive per-source failure counter
# (tests/bench/naive_count.c) on the same file and to scan on the mixed log
# of scan.sh, all in one run. Reports the best of --runs for each (runs
# alternate between the logs, and between binaries with --against), and
# each scan's peak RSS.
#
#   tests/bench/cardinality.sh [--build DIR] [--cache DIR] [--runs N] [--lines N]
#                              [--against BIN]
#
# --against BIN also times another authguard binary (an older build, say)
# in the same loop, so that both see the same machine.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
against="" args=""
while [ $# -gt 0 ]; do
    case $1 in
        --against) against=$2; shift 2 ;;
        *) args="$args $1"; shift ;;
    esac
done
# shellcheck disable=SC2086 # the common options, word by word
bench_args $args
bench_locate
botnet=$(bench_log botnet)
mixed=$(bench_log mixed)
make -s -C "$build" tests/bench/naive_count >/dev/null
naive=$build/tests/bench/naive_count
cat "$botnet" "$mixed" >/dev/null   # from the page cache

# One run: wall seconds, CPU seconds (user + system) and peak RSS (KiB) of
# the whole process. On a machine others use too, CPU time is what the
# scan itself costs; wall time also holds the waits for a core.
run_once() {
    python3 -c 'import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
d = time.monotonic() - t
if rc:
    sys.exit("cardinality.sh: authguard exited with %d" % rc)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f %.4f %d" % (d, u.ru_utime + u.ru_stime, u.ru_maxrss))' \
        "$1" scan --no-progress "$2"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2086
[ -n "$against" ] && set -- new "$bin" old "$against" || set -- new "$bin"
pairs="$*"
uptime
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    "$naive" "$botnet" 1 |
        sed -n 's/.*: \([0-9.]*\) s = .*CPU \([0-9.]*\) s = .*/\1 \2/p' >>"$tmp/naive"
    set -- $pairs
    while [ $# -gt 0 ]; do
        for log in botnet mixed; do
            eval "f=\$$log"
            run_once "$2" "$f" >>"$tmp/$1-$log"
        done
        shift 2
    done
done

uptime
sort -n "$tmp/naive" | awk -v n="$lines" -v k="$runs" '
    NR == 1 { best = $1; cpu = $2 } { if ($2 < cpu) cpu = $2 }
    END { printf "naive counter,        botnet log: best of %d: %.3f s = %.0f lines/s (CPU %.3f s = %.0f lines/s)\n",
          k, best, n / best, cpu, n / cpu }'
set -- $pairs
while [ $# -gt 0 ]; do
    for log in botnet mixed; do
        sort -n "$tmp/$1-$log" | awk -v n="$lines" -v k="$runs" -v w="$1" -v l="$log" '
            NR == 1 { best = $1; cpu = $2 }
            { if ($2 < cpu) cpu = $2; if ($3 > rss) rss = $3 }
            END { printf "authguard scan (%s), %-6s log: best of %d: %.3f s = %.0f lines/s (CPU %.3f s = %.0f lines/s), peak RSS %.1f MiB\n",
                  w, l, k, best, n / best, cpu, n / cpu, rss / 1024 }'
    done
    shift 2
done
"$bin" scan --no-progress "$botnet" 2>&1 | grep '^scan:' | tail -n 1 | sed 's/^/  botnet: /'
"$bin" scan --no-progress "$mixed" 2>&1 | grep '^scan:' | tail -n 1 | sed 's/^/  mixed:  /'
