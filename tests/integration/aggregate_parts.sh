#!/bin/sh
# aggregate_parts.sh - `authguard aggregate` on a topic of 1,100 partitions
# (a real Apache Kafka): events on partitions 1050 and 1099 are counted and
# committed, and a restarted aggregator replays them quietly up to the
# committed offsets instead of handling them again.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"
. "$AG_SRCDIR/tests/integration/aggregate_lib.sh"

tap_plan 6
agg_kafka hpf:1 hpu:6 hp:1100

# Three authentication events as authguard's Kafka sink writes them.
"$AG_BIN" scan --tz UTC --json --events "$AG_SRCDIR/tests/data/sample.log" 2>/dev/null |
    grep '"class_uid":3002' | head -n 3 >"$T/events.json"
tap_is "three OCSF events to send" 3 "$(wc -l <"$T/events.json")"
for p in 1050 1099; do
    kcat -b "$B" -P -t hp -p "$p" <"$T/events.json" || tap_bail "kcat cannot produce to hp[$p]"
done

aggconf "$T/agg.conf" gp hp hpu hpf "transactions = off"

"$AG_BIN" aggregate -c "$T/agg.conf" --idle-exit 3 2>"$T/first.err"
tap_grep "the first run handles the six events of the high partitions" \
    'source: 6 messages, 6 events \(0 replayed\)' "$T/first.err"
"$AG_BIN" aggregate -c "$T/agg.conf" --idle-exit 3 2>"$T/second.err"
tap_grep "a restart replays hp[1050] up to its committed offset" \
    'source: hp\[1050\] from offset 0, replaying up to 3$' "$T/second.err"
tap_grep "...and hp[1099]" \
    'source: hp\[1099\] from offset 0, replaying up to 3$' "$T/second.err"
tap_grep "...quietly: all six replayed, none handled again" \
    'source: 6 messages, 6 events \(6 replayed\)' "$T/second.err"
tap_not "no partition was left without bookkeeping" \
    grep -q 'no bookkeeping' "$T/first.err" "$T/second.err"
