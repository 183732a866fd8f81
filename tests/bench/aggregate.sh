#!/bin/sh
# aggregate.sh - events/s through `authguard aggregate` from a pre-filled
# topic: the events of the 6,000,000-line log (1.1 million events, scanned
# into a six-partition topic with `authguard scan --kafka`), consumed by one
# aggregator, then by two side by side in one group, all with the default
# configuration (transactions on). Each aggregator is timed from its first
# to its last message (--idle-exit); the two together count as the topic's
# events over the longer of their two times (what one replays after a
# rebalance is not counted twice). Prints events/s, CPU seconds, the
# ratio and the peak RSS of each. A run of a few seconds would mostly
# measure the fixed costs (joining the group, the first fetch, the last
# commit the user stage waits for), hence the larger log.
#
# --runs rounds (3) of both, and their medians.
#
#   tests/bench/aggregate.sh [--build DIR] [--cache DIR] [--lines N] [--runs N] [--kafka VERSION]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$bench_root
lines=6000000
bench_args "$@"
bench_locate
log=$(bench_log all)

work=$(mktemp -d "${TMPDIR:-/tmp}/agbench-agg.XXXXXX")
ksh="$root/tests/kafka/kafka.sh"
trap 'sh "$ksh" stop "$work/kafka" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT INT TERM
# Kafka's default initial rebalance delay (the tests' broker has none), so
# two aggregators started together share one generation, as they would on
# a production broker, instead of the first taking every partition and
# handing half over (with a replay) a moment later.
KAFKA_GROUP_DELAY_MS=3000 sh "$ksh" start "$kv" "$work/kafka" >"$work/start.log" 2>&1 ||
    { cat "$work/start.log" >&2; exit 1; }
b=127.0.0.1:$(cat "$work/kafka/port")
for t in authguard.events:6 authguard.findings:1; do
    sh "$ksh" topic "$work/kafka" "${t%:*}" "${t#*:}"
done
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    for t in u1$i:6 f1$i:1 u2$i:6 f2$i:1; do sh "$ksh" topic "$work/kafka" "${t%:*}" "${t#*:}"; done
done

echo "pre-filling authguard.events from $log ..."
"$bin" scan --kafka "$b" "$log" >"$work/fill.out" 2>&1
events=$(sed -n 's/^scan: [0-9]* lines, \([0-9]*\) events.*/\1/p' "$work/fill.out")
echo "topic holds $events events (6 partitions)"

conf() { # conf GROUP REPARTITION FINDINGS
    printf '[aggregate]\nbrokers = %s\ngroup_id = %s\ntopic_repartition = %s\ntopic_findings = %s\n' \
        "$b" "$1" "$2" "$3" >"$work/$1.conf"
}
# fields FILE: source messages, seconds, CPU seconds and peak RSS of one run.
fields() {
    sed -n 's/^aggregate: \([0-9]*\) source + [0-9]* user messages in \([0-9.]*\) s (first to last), \([0-9.]*\) s of CPU: [0-9]* events\/s; peak RSS \([0-9]*\) MiB/\1 \2 \3 \4/p' "$1"
}

# broker_cpu: user + system seconds the broker has used so far.
broker_cpu() {
    pid=$(pgrep -f "kafka.Kafka $work/kafka" | head -n 1)
    sed 's/.*) //' "/proc/$pid/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / hz }'
}

# one_round I: one aggregator alone, then two side by side, each on fresh
# groups and topics; appends "one-rate two-rate" to $work/rates and prints
# the details.
one_round() {
    i=$1
    conf one$i u1$i f1$i
    k0=$(broker_cpu)
    "$bin" aggregate -c "$work/one$i.conf" --idle-exit 3 2>"$work/one$i.err"
    k1=$(broker_cpu)
    set -- $(fields "$work/one$i.err")
    one_n=$1 one_s=$2 one_cpu=$3 one_rss=$4
    conf two$i u2$i f2$i
    "$bin" aggregate -c "$work/two$i.conf" --idle-exit 3 2>"$work/two$i-a.err" &
    pa=$!
    "$bin" aggregate -c "$work/two$i.conf" --idle-exit 3 2>"$work/two$i-b.err" &
    pb=$!
    wait "$pa"
    wait "$pb"
    k2=$(broker_cpu)
    set -- $(fields "$work/two$i-a.err") $(fields "$work/two$i-b.err")
    awk -v total="$events" -v n1="$one_n" -v s1="$one_s" -v c1="$one_cpu" -v r1="$one_rss" \
        -v na="$1" -v sa="$2" -v ca="$3" -v ra="$4" -v nb="$5" -v sb="$6" -v cb="$7" -v rb="$8" \
        -v k0="$k0" -v k1="$k1" -v k2="$k2" -v i="$i" -v rates="$work/rates" 'BEGIN {
        one = n1 / s1
        span = sa > sb ? sa : sb
        two = total / span
        printf "round %d: one aggregator: %d events in %.2f s = %.0f events/s, %.2f s of CPU (broker %.2f s), peak RSS %d MiB\n",
            i, n1, s1, one, c1, k1 - k0, r1
        printf "round %d: two aggregators: %d events (%d + %d handled) in %.2f s = %.0f events/s, %.2f + %.2f s of CPU (broker %.2f s), peak RSS %d / %d MiB\n",
            i, total, na, nb, span, two, ca, cb, k2 - k1, ra, rb
        printf "%.0f %.0f\n", one, two >>rates
    }'
}

: >"$work/rates"
i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    one_round "$i"
done
grep -h '^aggregate: transactions' "$work/one1.err" || true
# Medians: a round whose second aggregator joined late pays a rebalance and
# a replay, one with a quiet machine runs faster; the middle says most.
sort -n -k1,1 "$work/rates" | awk -v n="$runs" 'NR == int((n + 1) / 2) { print "one", $1 }' >"$work/med"
sort -n -k2,2 "$work/rates" | awk -v n="$runs" 'NR == int((n + 1) / 2) { print "two", $2 }' >>"$work/med"
awk '{ r[$1] = $2 } END {
    printf "median of %d rounds: one aggregator %d events/s, two %d events/s: ratio %.2fx (target 1.6x)\n",
        NR ? n : 0, r["one"], r["two"], r["two"] / r["one"] }' n="$runs" "$work/med"
