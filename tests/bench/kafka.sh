#!/bin/sh
# kafka.sh - events/s into a real Kafka broker, end to end: `authguard scan
# --kafka` on the 2,000,000-line log (read, parse, count, render OCSF,
# produce, flush) side by side with `kcat -P` sending the same events,
# pre-rendered as JSON lines with their keys, from a file (no parsing at
# all). Both go to fresh topics of one broker; both wait for every
# acknowledgement. Prints events/s of each, the ratio and authguard's peak RSS.
#
#   tests/bench/kafka.sh [--build DIR] [--cache DIR] [--lines N] [--kafka VERSION]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$bench_root
bench_args "$@"
bench_locate
log=$(bench_log all)

work=$(mktemp -d "${TMPDIR:-/tmp}/agbench-kafka.XXXXXX")
ksh="$root/tests/kafka/kafka.sh"
trap 'sh "$ksh" stop "$work/kafka"; rm -rf "$work"' EXIT INT TERM
sh "$ksh" start "$kv" "$work/kafka" >/dev/null
broker=127.0.0.1:$(cat "$work/kafka/port")
for t in warm kcat.events ag.events ag.findings; do sh "$ksh" topic "$work/kafka" "$t" 3; done
# A fresh broker loads its producer-id coordinator on first use: do that
# before the clock runs, so neither contender pays for it.
echo warm | kcat -P -b "$(printf 127.0.0.1:%s "$(cat "$work/kafka/port")")" -t warm \
    -X enable.idempotence=true 2>/dev/null

# The same events as key<TAB>OCSF JSON lines: kcat's input.
"$bin" scan --json --events "$log" 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if o.get("class_uid") != 3002:
        continue
    s = o.get("src_endpoint") or {}
    key = s.get("ip") or s.get("hostname") or (o.get("dst_endpoint") or {}).get("hostname")
    sys.stdout.write(key + "\t" + line)' >"$work/events.tsv"
events=$(wc -l <"$work/events.tsv")
cat "$log" "$work/events.tsv" >/dev/null   # both from the page cache

now() { python3 -c 'import time; print(time.monotonic())'; }

# kcat with the producer settings authguard uses (idempotent, acks=all,
# zstd, linger 10 ms); -K splits the key off at the tab.
t0=$(now)
kcat -P -b "$broker" -t kcat.events -K '	' -l -X enable.idempotence=true \
    -X acks=all -X compression.type=zstd -X linger.ms=10 "$work/events.tsv"
t1=$(now)

printf '[sink.kafka]\nbrokers = %s\ntopic_events = ag.events\ntopic_findings = ag.findings\n' \
    "$broker" >"$work/ag.conf"
t2=$(now)
/usr/bin/time -f '%M' -o "$work/rss" "$bin" scan --config "$work/ag.conf" --no-progress "$log" \
    >"$work/ag.out" 2>"$work/ag.err"
t3=$(now)

# Both topics must hold every event: a fast run that lost messages is no win.
count() {
    kcat -b "$broker" -C -t "$1" -o beginning -e -q -f 'x\n' | wc -l
}
kc=$(count kcat.events)
ac=$(count ag.events)
python3 - "$events" "$kc" "$ac" "$t0" "$t1" "$t2" "$t3" "$(cat "$work/rss")" "$kv" <<'EOF'
import sys
ev, kc, ac = map(int, sys.argv[1:4])
t0, t1, t2, t3 = map(float, sys.argv[4:8])
rss, kv = int(sys.argv[8]), sys.argv[9]
k = ev / (t1 - t0)
a = ev / (t3 - t2)
print(f"broker: Apache Kafka {kv}; {ev} events")
print(f"kcat -P (pre-rendered JSON, keyed): {t1 - t0:6.2f} s  {k:10.0f} events/s  ({kc} in topic)")
print(f"authguard scan --kafka (end to end): {t3 - t2:6.2f} s  {a:10.0f} events/s  ({ac} in topic)")
print(f"ratio authguard/kcat: {a / k:.2f}; authguard peak RSS {rss / 1024:.1f} MiB")
if kc != ev or ac != ev:
    print("MISMATCH: a topic does not hold every event")
    sys.exit(1)
EOF
tail -n 1 "$work/ag.err"
