#!/bin/sh
# kafka.sh - the Kafka sink against a real Apache Kafka (KRaft, one node):
# every event and finding arrives once, keyed, in order per key, with its
# OCSF value and headers; idempotence is really on; a 10 s broker outage
# loses and duplicates nothing; SIGTERM flushes; bad settings are named.
#
# KAFKA_VERSION picks the broker line (default 3.9.1); tests/kafka/kafka.sh
# fetches it with Maven into a cache on first use. .ci/run runs this once
# per line (3.9 and 4.x).
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

KV=${KAFKA_VERSION:-3.9.1}
KSH="$AG_SRCDIR/tests/kafka/kafka.sh"
CHECK="$AG_SRCDIR/tests/integration/kafka_check.py"
KDIR=$TAP_TMP/kafka
T=$TAP_TMP

tap_plan 28
tap_diag "Apache Kafka $KV"

# -- settings that are wrong are named, before any broker exists ------------
printf '[sink.kafka]\nbrokers = 127.0.0.1:1\nkafka.no.such.property = 1\n' >"$T/badprop.conf"
"$AG_BIN" scan --config "$T/badprop.conf" "$AG_SRCDIR/tests/data/sample.log" \
    >/dev/null 2>"$T/badprop.err" && rc=0 || rc=$?
tap_is "unknown librdkafka property: exit 2" 2 "$rc"
tap_grep "unknown property named with file and line" \
    'badprop.conf:3: \[sink.kafka\] kafka.no.such.property: .*No such configuration property' \
    "$T/badprop.err"

printf '[sink.kafka]\nbrokers = 127.0.0.1:1\nstart_timeout = 1s\n' >"$T/unreach.conf"
"$AG_BIN" scan --config "$T/unreach.conf" "$AG_SRCDIR/tests/data/sample.log" \
    >/dev/null 2>"$T/unreach.err" && rc=0 || rc=$?
tap_is "unreachable broker at start: exit 2" 2 "$rc"
tap_grep "unreachable broker named with key and value" \
    '\[sink.kafka\] brokers = 127.0.0.1:1: no broker reachable in 1 s' "$T/unreach.err"

# The exit flush waits flush_timeout, the user's setting, not a fixed time.
printf '[sink.kafka]\nbrokers = 127.0.0.1:1\nstart_timeout = 1s\nunreachable_at_start = buffer\nflush_timeout = 1s\n' \
    >"$T/short_flush.conf"
t0=$(date +%s)
"$AG_BIN" scan --config "$T/short_flush.conf" "$AG_SRCDIR/tests/data/sample.log" \
    >"$T/short_flush.out" 2>"$T/short_flush.err" && rc=0 || rc=$?
t1=$(date +%s)
tap_is "no broker, flush_timeout 1s: exit 1 with outputs undelivered" 1 "$rc"
tap_cmp "and scan gave up after about flush_timeout, not 5 s" -le "$((t1 - t0))" 4

# -- a broker ------------------------------------------------------------------
tap_cleanup "sh '$KSH' stop '$KDIR'"
if ! sh "$KSH" start "$KV" "$KDIR" >"$T/start.log" 2>&1; then
    cat "$T/start.log" | sed 's/^/# /'
    tap_bail "cannot start Apache Kafka $KV"
fi
B=127.0.0.1:$(cat "$KDIR/port")
for t in ev:3 fi:1 ev2:3 fi2:1 ev3:2 fi3:1 ev4:1 fi4:1 authguard.events:2 authguard.findings:1; do
    sh "$KSH" topic "$KDIR" "${t%:*}" "${t#*:}" || tap_bail "cannot create topic $t"
done

# consume TOPIC FILE: everything in TOPIC, as kcat JSON envelopes.
consume() {
    kcat -b "$B" -C -t "$1" -o beginning -e -J -q >"$2" 2>"$2.err"
}

# -- a generated log with every attack, through the config path ----------------
python3 "$AG_SRCDIR/tests/gen/genlog.py" --lines 20000 --seed 7 --scenario all \
    >"$T/gen.log"
cat >"$T/k.conf" <<EOF
[sink.kafka]
brokers = $B
topic_events = ev
topic_findings = fi
kafka.debug = feature
EOF
"$AG_BIN" scan --json --events "$T/gen.log" >"$T/expected.jsonl" 2>/dev/null
"$AG_BIN" scan --config "$T/k.conf" "$T/gen.log" >"$T/scan.out" 2>"$T/scan.err" \
    && rc=0 || rc=$?
tap_is "scan into Kafka exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || tail -n 20 "$T/scan.err" | sed 's/^/# /'
events=$(sed -n 's/^scan: [0-9]* lines, \([0-9]*\) events.*/\1/p' "$T/scan.out")
consume ev "$T/ev.json"
consume fi "$T/fi.json"
tap_cmp "the log has events" -gt "${events:-0}" 1000
tap_is "consumed events = scan's event count" "$events" "$(wc -l <"$T/ev.json")"
tap_ok "same OCSF events, keys = sources, headers, order per key" \
    python3 "$CHECK" events "$T/ev.json" "$T/expected.jsonl"
tap_ok "every finding and update, with uid and evidence" \
    python3 "$CHECK" findings "$T/fi.json" "$T/expected.jsonl"
tap_grep "librdkafka enabled IdempotentProducer" \
    'Enabling feature IdempotentProducer' "$T/scan.err"
tap_grep "the sink reports every message delivered" \
    '^kafka: [0-9]+ delivered, 0 failed, 0 dropped, 0 not delivered.*idempotence on' \
    "$T/scan.err"
# The broker stored the batches with a producer id and sequence numbers:
# idempotence was used, not just asked for (a plain producer writes -1).
sh "$KSH" dump "$KDIR" ev 0 >"$T/dump.txt" 2>&1
tap_grep "the broker stored idempotent batches (producerId >= 0)" \
    'producerId: [0-9]+ producerEpoch: [0-9]+' "$T/dump.txt"
tap_not "no batch without a producer id" grep -q 'producerId: -1' "$T/dump.txt"
tap_not "no warning that idempotence is off when it is on" \
    grep -q 'did not enable IdempotentProducer' "$T/scan.err"

# -- idempotence turned off by the config: the end line says so ---------------
printf '[sink.kafka]\nbrokers = %s\ntopic_events = ev4\ntopic_findings = fi4\nkafka.enable.idempotence = false\n' \
    "$B" >"$T/noidem.conf"
"$AG_BIN" scan --config "$T/noidem.conf" "$AG_SRCDIR/tests/data/sample.log" >/dev/null \
    2>"$T/noidem.err"
tap_grep "idempotence turned off: the end line says off, not on" \
    '^kafka: [1-9][0-9]* delivered, .*idempotence off' "$T/noidem.err"
sh "$KSH" dump "$KDIR" ev4 0 >"$T/dump4.txt" 2>&1
tap_grep "and the broker stored batches without a producer id" 'producerId: -1' "$T/dump4.txt"

# -- scan --kafka, events = failures through a config ---------------------------
"$AG_BIN" scan --kafka "$B" --json "$AG_SRCDIR/tests/data/sample.log" \
    >/dev/null 2>"$T/short.err" && rc=0 || rc=$?
tap_is "scan --kafka BROKERS exits 0" 0 "$rc"
tap_grep "scan's summary counts Kafka deliveries" \
    '^scan: kafka [1-9][0-9]* delivered, 0 failed, 0 dropped, 0 outstanding' "$T/short.err"
tap_not "scan --kafka: no false warning about idempotence at start" \
    grep -q 'did not enable IdempotentProducer' "$T/short.err"
printf '[sink.kafka]\nbrokers = %s\ntopic_events = ev3\ntopic_findings = fi3\nevents = failures\n' \
    "$B" >"$T/fail.conf"
"$AG_BIN" scan --config "$T/fail.conf" "$AG_SRCDIR/tests/data/sample.log" >/dev/null 2>&1
consume ev3 "$T/ev3.json"
succ=$(grep -c 'AUTH_SUCCESS' "$T/ev3.json" || true)
all=$("$AG_BIN" scan --json --events "$AG_SRCDIR/tests/data/sample.log" 2>/dev/null |
      grep -c '"class_uid":3002' || true)
ok=$("$AG_BIN" scan --json --events "$AG_SRCDIR/tests/data/sample.log" 2>/dev/null |
     grep -c '"status_detail":"AUTH_SUCCESS"' || true)
tap_is "events = failures sends all but successes" "$((all - ok))" "$(wc -l <"$T/ev3.json")"
tap_is "no success among them" 0 "$succ"

# -- the broker goes away for 10 s mid-stream ---------------------------------
N=1500
printf '[sink.kafka]\nbrokers = %s\ntopic_events = ev2\ntopic_findings = fi2\n' "$B" >"$T/o.conf"
python3 "$AG_SRCDIR/tests/integration/kafka_feed.py" "$N" 75 2>/dev/null |
    "$AG_BIN" scan --config "$T/o.conf" - >"$T/o.out" 2>"$T/o.err" &
feeder=$!
tap_cleanup "kill $feeder"
sleep 4
sh "$KSH" stop "$KDIR"
sleep 10
sh "$KSH" restart "$KDIR" >"$T/restart.log" 2>&1 || tap_bail "broker did not come back"
wait "$feeder" && rc=0 || rc=$?
tap_is "scan through the outage exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || tail -n 20 "$T/o.err" | sed 's/^/# /'
consume ev2 "$T/ev2.json"
tap_ok "after the outage every event arrived exactly once, in order per key" \
    python3 "$CHECK" markers "$T/ev2.json" "$N"
tap_grep "the outage cost no delivery (events and findings)" \
    "^kafka: [0-9]+ delivered, 0 failed, 0 dropped, 0 not delivered" "$T/o.err"

# -- SIGTERM: stop reading, flush, report ------------------------------------------
printf '[sink.kafka]\nbrokers = %s\ntopic_events = ev3\ntopic_findings = fi3\n' "$B" >"$T/t.conf"
consume fi3 "$T/fi3.json"
before=$(cat "$T/ev3.json" "$T/fi3.json" | wc -l)
python3 "$AG_SRCDIR/tests/integration/kafka_feed.py" 100000 200 2>/dev/null |
    "$AG_BIN" scan --config "$T/t.conf" - >"$T/t.out" 2>"$T/t.err" &
sleep 3
# The pipeline's last process is authguard; $! is it under sh.
kill -TERM $! 2>/dev/null
wait $! && rc=0 || rc=$?
delivered=$(sed -n 's/^kafka: \([0-9]*\) delivered, 0 failed, 0 dropped, 0 not delivered.*/\1/p' \
    "$T/t.err")
consume ev3 "$T/ev3b.json"
consume fi3 "$T/fi3b.json"
tap_cmp "SIGTERM: some events were delivered before" -gt "${delivered:-0}" 100
tap_is "SIGTERM: everything read was flushed and is in Kafka" \
    "$((before + ${delivered:-0}))" "$(cat "$T/ev3b.json" "$T/fi3b.json" | wc -l)"

tap_done
