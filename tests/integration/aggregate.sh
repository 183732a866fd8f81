#!/bin/sh
# aggregate.sh - `authguard aggregate` against a real Apache Kafka: ten
# simulated hosts (authguard scan into the events topic, each below its own
# thresholds) and one aggregator find the fleet brute force and the spray
# and nothing for the quiet traffic; poison messages are skipped, counted
# and logged once per kind; events without raw_data are rebuilt from their
# OCSF fields and raise the same findings; three aggregators on six partitions, one killed
# with SIGKILL between two halves of the traffic, still raise every fleet
# finding, each under one uid. All with transactions = off (at least once);
# aggregate_txn.sh runs them with transactions.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"
. "$AG_SRCDIR/tests/integration/aggregate_lib.sh"

tap_plan 18
agg_kafka ev:6 evu:6 hf:1 ff1:1 ev3:6 evu3:6 ff3:1 evn:1 evnu:1 ffn:1

# wait_findings TOPIC N SECONDS: until TOPIC holds N distinct (rule, key).
wait_findings() {
    i=0
    while [ "$i" -lt $(($3 * 2)) ]; do
        n=$(kcat -b "$B" -C -t "$1" -o beginning -e -q 2>/dev/null |
            python3 -c 'import sys, json
print(len({(json.loads(l)["unmapped"]["authguard"]["rule"], json.loads(l)["unmapped"]["authguard"]["key"]) for l in sys.stdin if l.strip()}))')
        [ "$n" -ge "$2" ] && return 0
        sleep 0.5
        i=$((i + 1))
    done
    return 1
}

stop_agg() {
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null || true
}

mkdir -p "$T/logs" "$T/logs3"
python3 "$GEN" "$T/logs" 10
python3 "$GEN" "$T/logs3" 10

# -- poison first, so that everything after it must get past it ---------------
printf 'this is not JSON\n' | kcat -b "$B" -P -t ev -p 0
printf '{"class_uid":2004,"time":1}\n' | kcat -b "$B" -P -t ev -p 0
python3 -c 'print("{\"raw_data\":\"" + "x" * 70000 + "\"}")' | kcat -b "$B" -P -t ev -p 0
# Not poison: raw_data of exactly AG_LINE_MAX bytes, a line every input keeps.
python3 -c 'import json
pre = "2026-11-01T00:00:01.000000+00:00 web1 sshd[1]: Failed password for invalid user limit"
post = " from 198.51.100.200 port 4242 ssh2"
raw = pre + "x" * (16384 - len(pre) - len(post)) + post
print(json.dumps({"class_uid": 3002, "time": 1793491201000, "raw_data": raw}))' |
    kcat -b "$B" -P -t ev -p 0

# -- ten hosts, one aggregator ------------------------------------------------
tap_ok "ten hosts scan into the events topic" hosts ev "$T"/logs/h*.log
tap_is "no host raises a finding on its own" 10 \
    "$(grep -l '^scan: 0 findings' "$T"/logs/*.out | wc -l)"
aggconf "$T/one.conf" g1 ev evu ff1 "commit_interval = 500ms" "transactions = off"
"$AG_BIN" aggregate -c "$T/one.conf" 2>"$T/one.err" &
pid=$!
tap_cleanup "kill -KILL $pid 2>/dev/null || true"
wait_findings ff1 2 40 && rc=0 || rc=1
sleep 2 # anything the quiet traffic would raise has had time to arrive
stop_agg "$pid"
tap_is "one aggregator raises the fleet findings" 0 "$rc"
tap_grep "transactions = off: at least once, said at start" \
    '^aggregate: transactions off \(at least once\): set so in \[aggregate\]' "$T/one.err"
kcat -b "$B" -C -t ff1 -o beginning -e -q >"$T/ff1.json"
tap_ok "exactly the fleet brute force (8+ hosts) and the spray, nothing quiet" \
    python3 "$CHECK" "$T/ff1.json" 8
python3 "$CHECK" "$T/ff1.json" 8 | sed 's/^/# /'
tap_grep "poison counted: one of each kind; a line of AG_LINE_MAX bytes is an event" \
    'source: 354 messages, 351 events.* 1 oversized, 1 not JSON, 1 wrong schema' "$T/one.err"
tap_grep "not JSON: logged with its offset" \
    'skipped a message \(not JSON: .*\) at ev\[0\] offset 0' "$T/one.err"
tap_grep "wrong schema: logged with its offset" \
    'skipped a message \(wrong schema: class_uid is not 3002.*\) at ev\[0\] offset 1' "$T/one.err"
tap_grep "oversized: logged with its offset" \
    'skipped a message \(oversized: .*\) at ev\[0\] offset 2' "$T/one.err"

# -- events without raw_data: rebuilt from their OCSF fields -------------------
kcat -b "$B" -C -t ev -o beginning -e -q | python3 -c 'import json, sys
for line in sys.stdin:
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if isinstance(d, dict) and d.get("class_uid") == 3002 and "raw_data" in d \
            and "invalid user limit" not in d["raw_data"]:
        del d["raw_data"]
        print(json.dumps(d))' >"$T/noraw.json"
kcat -b "$B" -P -t evn "$T/noraw.json" -l
aggconf "$T/noraw.conf" gn evn evnu ffn "commit_interval = 500ms" "transactions = off"
"$AG_BIN" aggregate -c "$T/noraw.conf" 2>"$T/noraw.err" &
pid=$!
tap_cleanup "kill -KILL $pid 2>/dev/null || true"
wait_findings ffn 2 40 || true
sleep 1
stop_agg "$pid"
tap_grep "events without raw_data: every one rebuilt, none skipped" \
    'source: 350 messages, 350 events.* 0 oversized, 0 not JSON, 0 wrong schema' "$T/noraw.err"
kcat -b "$B" -C -t ffn -o beginning -e -q >"$T/ffn.json"
tap_ok "and the same two findings from their fields" python3 "$CHECK" "$T/ffn.json" 8

# -- three aggregators, six partitions, one killed mid-stream ------------------
aggconf "$T/three.conf" g3 ev3 evu3 ff3 "commit_interval = 500ms" "transactions = off"
for n in 1 2 3; do
    "$AG_BIN" aggregate -c "$T/three.conf" 2>"$T/three-$n.err" &
    eval "pid$n=\$!"
    eval "tap_cleanup \"kill -KILL \$pid$n 2>/dev/null || true\""
done
# Every member holds partitions once both groups settled (two each in the
# source stage and in the user stage, which joins after it).
i=0
while [ "$i" -lt 60 ]; do
    settled=0
    for n in 1 2 3; do
        for stage in source user; do
            grep -E "$stage: [0-9]+ partitions (assigned|revoked)" "$T/three-$n.err" |
                tail -n 1 | grep -q ': 2 partitions assigned' && settled=$((settled + 1))
        done
    done
    [ "$settled" -eq 6 ] && break
    sleep 0.5
    i=$((i + 1))
done
tap_is "three aggregators share the six partitions of each stage" 6 "$settled"
tap_ok "first half of the hosts" hosts ev3 "$T"/logs3/h0[1-5].log
sleep 3 # handled and committed
# Kill the aggregator that owns the attacker's partition: its windows must
# be rebuilt by replay on the member that takes the partition over.
part=$(kcat -b "$B" -C -t ev3 -o beginning -e -q -f '%p %k\n' | awk '$2 == "203.0.113.66" {print $1; exit}')
victim=1
for n in 1 2 3; do
    grep 'source: .* partitions assigned' "$T/three-$n.err" | tail -n 1 |
        grep -q " $part\( \|\$\)" && victim=$n
done
eval "vpid=\$pid$victim"
kill -KILL "$vpid"
wait "$vpid" 2>/dev/null || true
tap_diag "killed aggregator $victim (source partition $part) with SIGKILL"
tap_ok "second half of the hosts" hosts ev3 "$T"/logs3/h0[6-9].log "$T"/logs3/h10.log
wait_findings ff3 2 60 && rc=0 || rc=1
sleep 2
for n in 1 2 3; do
    [ "$n" = "$victim" ] || eval "stop_agg \$pid$n"
done
tap_is "every fleet finding arrives after the kill" 0 "$rc"
if [ "$rc" -ne 0 ]; then
    # What each member did, and the findings that did arrive, for the log.
    for n in 1 2 3; do
        tap_diag "aggregator $n:"
        tail -n 40 "$T/three-$n.err" | sed 's/^/#   /'
    done
    tap_diag "findings in ff3:"
    kcat -b "$B" -C -t ff3 -o beginning -e -q 2>&1 | cut -c1-300 | sed 's/^/#   /'
fi
kcat -b "$B" -C -t ff3 -o beginning -e -q >"$T/ff3.json"
tap_ok "the same two findings, each under one uid, nothing quiet" \
    python3 "$CHECK" "$T/ff3.json" 8
python3 "$CHECK" "$T/ff3.json" 8 | sed 's/^/# /'
tap_ok "the partition moved and its windows were replayed" \
    grep -q 'replaying up to' "$T"/three-*.err
tap_not "no sanitizer report from any aggregator" \
    grep -q 'Sanitizer' "$T/one.err" "$T/noraw.err" "$T"/three-*.err
tap_done
