#!/bin/sh
# order.sh - delivery order does not change the findings: a generated log of
# about ten hours, scanned in order, with each pair of 4,000-line blocks
# (about an hour) swapped, and as per-host streams interleaved in random
# chunks, raises the same findings (rule, key, finding_info.uid).
#
# The attacks staged, and the rules compared, are those counted exactly
# whatever the order: failures, pre-auth noise and MAC errors per source and
# /64, over minutes and hours. Distinct counts (spraying, enumeration: the
# pair table keeps a value in the newest bucket it was seen in), a success
# delivered before the failures that precede it (compromise), and events
# more than a short window's four buckets behind its newest still depend on
# the order, so those rules are left out of the comparison.
set -eu
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

S=$AG_SRCDIR
T=$TAP_TMP
PY=python3
P=$S/tests/integration/order_permute.py

tap_check "a ten-hour log is generated" \
    sh -c '"$0" "$1" --lines 40000 --seed 3 --rate 1.1 --scale 2 \
        --scenario bruteforce,slow,scan,ipv6rot >"$2"' "$PY" "$S/tests/gen/genlog.py" "$T/in.log"
tap_check "blocks swapped" "$PY" "$P" swap 4000 "$T/in.log" "$T/swap.log"
tap_check "per-host streams interleaved" "$PY" "$P" hosts 2000 "$T/in.log" "$T/hosts.log"

for m in in swap hosts; do
    tap_check "scan of the $m order exits 0" \
        sh -c '"$0" scan --no-progress --json "$1" >"$2" 2>/dev/null' "$AG_BIN" "$T/$m.log" \
        "$T/$m.jsonl"
    "$PY" "$P" findings "$T/$m.jsonl" bruteforce,slow_bruteforce,scan,regresshion >"$T/$m.set"
done
tap_check "in order, the staged attacks are found" \
    sh -c 'grep -q "^bruteforce " "$0" && grep -q "^slow_bruteforce " "$0" && grep -q "^scan " "$0"' \
    "$T/in.set"
tap_check "blocks an hour late: the same findings and uids" diff "$T/in.set" "$T/swap.set"
tap_check "per-host streams interleaved: the same findings and uids" diff "$T/in.set" "$T/hosts.set"

tap_done
