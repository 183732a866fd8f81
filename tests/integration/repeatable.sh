#!/bin/sh
# repeatable.sh - the same log gives the same events and findings on every
# run. Each process keys its hash tables at random (so an attacker cannot
# aim collisions), and no table may let that key change a count: a lossy
# connection table once counted some attempt twice in one run of 25.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

RUNS=40
tap_plan 2

python3 "$AG_SRCDIR/tests/gen/genlog.py" --lines 20000 --seed 7 --scenario all \
    >"$TAP_TMP/gen.log"
i=0
while [ "$i" -lt "$RUNS" ]; do
    "$AG_BIN" scan --json --events "$TAP_TMP/gen.log" 2>/dev/null | md5sum
    i=$((i + 1))
done >"$TAP_TMP/sums"
tap_is "$RUNS runs of scan --json --events agree" 1 "$(sort -u "$TAP_TMP/sums" | wc -l)"
tap_cmp "and they print events and findings" -gt \
    "$("$AG_BIN" scan --json --events "$TAP_TMP/gen.log" 2>/dev/null | wc -l)" 1000
tap_done
