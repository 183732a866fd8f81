#!/bin/sh
# scan.sh - `authguard scan` end to end on the 2,000,000-line mixed log (the
# one parse.sh generates and caches): read, parse, count, evaluate rules,
# summarize and print findings, on one thread. Reports lines/s (best and
# median of --runs) and the peak RSS, next to the engine's memory bound.
#
#   tests/bench/scan.sh [--build DIR] [--cache DIR] [--runs N] [--lines N]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$bench_root
bench_args "$@"
bench_locate
log=$(bench_log mixed)
cat "$log" >/dev/null   # from the page cache, like the parse benchmark

# One run: wall seconds and peak RSS (KiB) of the whole process.
run_once() {
    python3 -c 'import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
d = time.monotonic() - t
if rc:
    sys.exit("scan.sh: authguard exited with %d" % rc)
print("%.4f %d" % (d, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))' \
        "$bin" scan --no-progress "$log"
}

rss=0 i=0 times=""
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    set -- $(run_once)
    times="$times $1"
    [ "$2" -gt "$rss" ] && rss=$2
done
summary=$("$bin" scan --no-progress "$log" 2>&1 | tail -n 2)
echo "$summary" | sed 's/^/  /'
# Best and median: the kernel's first touch of the table's huge pages
# costs from 0.03 s to 0.3 s depending on how fragmented free memory is.
echo "$times" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk -v n="$lines" -v r="$rss" -v k="$runs" '
    { t[NR] = $1 }
    END {
        m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
        printf "authguard scan: best of %d: %.3f s = %.0f lines/s end to end (median %.3f s = %.0f lines/s), peak RSS %.1f MiB\n",
            k, t[1], n / t[1], m, n / m, r / 1024 }'
