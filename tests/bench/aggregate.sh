#!/bin/sh
# aggregate.sh - events/s through `authguard aggregate` from a pre-filled
# topic: the events of the 2,000,000-line log (scanned into a six-partition
# topic with `authguard scan --kafka`), consumed by one aggregator, then by
# two side by side in one group (each from its first to its last message,
# with --idle-exit). Prints events/s, the ratio and the peak RSS of each.
#
#   tests/bench/aggregate.sh [--build DIR] [--cache DIR] [--lines N] [--kafka VERSION]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$bench_root
bench_args "$@"
bench_locate
log=$(bench_log all)

work=$(mktemp -d "${TMPDIR:-/tmp}/agbench-agg.XXXXXX")
ksh="$root/tests/kafka/kafka.sh"
trap 'sh "$ksh" stop "$work/kafka" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT INT TERM
sh "$ksh" start "$kv" "$work/kafka" >"$work/start.log" 2>&1 ||
    { cat "$work/start.log" >&2; exit 1; }
b=127.0.0.1:$(cat "$work/kafka/port")
for t in authguard.events:6 authguard.findings:1 u1:6 f1:1 u2:6 f2:1; do
    sh "$ksh" topic "$work/kafka" "${t%:*}" "${t#*:}"
done

echo "pre-filling authguard.events from $log ..."
"$bin" scan --kafka "$b" "$log" >"$work/fill.out" 2>&1
events=$(sed -n 's/^scan: [0-9]* lines, \([0-9]*\) events.*/\1/p' "$work/fill.out")
echo "topic holds $events events (6 partitions)"

conf() { # conf GROUP REPARTITION FINDINGS
    printf '[aggregate]\nbrokers = %s\ngroup_id = %s\ntopic_repartition = %s\ntopic_findings = %s\n' \
        "$b" "$1" "$2" "$3" >"$work/$1.conf"
}
rate() { sed -n 's/.*: \([0-9]*\) events\/s; peak RSS \([0-9]*\) MiB/\1 \2/p' "$1"; }

conf one u1 f1
"$bin" aggregate -c "$work/one.conf" --idle-exit 3 2>"$work/one.err"
set -- $(rate "$work/one.err")
one=$1 one_rss=$2
grep '^aggregate: [0-9]* source' "$work/one.err"

conf two u2 f2
"$bin" aggregate -c "$work/two.conf" --idle-exit 3 2>"$work/two-a.err" &
pa=$!
"$bin" aggregate -c "$work/two.conf" --idle-exit 3 2>"$work/two-b.err" &
pb=$!
wait "$pa" "$pb"
set -- $(rate "$work/two-a.err")
a=$1 a_rss=$2
set -- $(rate "$work/two-b.err")
bb=$1 b_rss=$2
grep -h '^aggregate: [0-9]* source' "$work/two-a.err" "$work/two-b.err"
echo "one aggregator:  $one events/s, peak RSS $one_rss MiB"
echo "two aggregators: $a + $bb = $((a + bb)) events/s, peak RSS $a_rss / $b_rss MiB"
awk -v o="$one" -v t="$((a + bb))" 'BEGIN { printf "ratio: %.2fx (target 1.6x)\n", t / o }'
