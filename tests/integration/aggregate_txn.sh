#!/bin/sh
# aggregate_txn.sh - `authguard aggregate` with Kafka transactions, which
# the default (transactions = auto) takes on a broker that has them. Two
# aggregators, one killed with SIGKILL while the hosts' traffic streams in
# and restarted under the same instance_id, give read_committed readers
# every fleet finding and every re-keyed event exactly once; an aggregator
# killed inside a transaction leaves re-keyed events that read_uncommitted
# readers see and read_committed readers never do; a findings topic that
# refuses the findings makes every transaction holding one abort, its
# messages handled again, until the topic takes them, and then each comes
# once; a summarizer's update that comes after its finding's transaction
# goes out in a later one; an aggregator started under an instance_id
# already running fences the older one, which says so and exits 1.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"
. "$AG_SRCDIR/tests/integration/aggregate_lib.sh"

tap_plan 25
agg_kafka ea:6 eau:6 fa:1 eb:1 ebu:1 fb:1 ec:1 ecu:1 fc:1 ed:1 edu:1 fd:1 ee:2 eeu:2 fe:1 hf:1

# count TOPIC ISOLATION: the records of TOPIC a reader with that
# isolation.level sees (read_committed stops before an open transaction).
count() {
    kcat -b "$B" -C -t "$1" -o beginning -e -q -X isolation.level="$2" | grep -c .
}

# wait_count TOPIC ISOLATION N SECONDS: until count says N.
wait_count() {
    i=0
    while [ "$i" -lt $(($4 * 2)) ]; do
        [ "$(count "$1" "$2")" -eq "$3" ] && return 0
        sleep 0.5
        i=$((i + 1))
    done
    return 1
}

# wait_findings TOPIC N SECONDS: until read_committed readers of TOPIC see
# N distinct (rule, key).
wait_findings() {
    i=0
    while [ "$i" -lt $(($3 * 2)) ]; do
        n=$(kcat -b "$B" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed \
                2>/dev/null | python3 -c 'import sys, json
print(len({(json.loads(l)["unmapped"]["authguard"]["rule"], json.loads(l)["unmapped"]["authguard"]["key"]) for l in sys.stdin if l.strip()}))')
        [ "$n" -ge "$2" ] && return 0
        sleep 0.5
        i=$((i + 1))
    done
    return 1
}

# last_assigned ERRFILE: the source stage's latest assignment line.
last_assigned() {
    grep -E 'source: [0-9]+ partitions (assigned|revoked)' "$1" | tail -n 1
}

stop_agg() {
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null || true
}

mkdir -p "$T/logs"
python3 "$GEN" "$T/logs" 10
# Every failure naming a user and a source is re-keyed once.
rekeyed=$(cat "$T"/logs/h*.log | grep -c 'Failed password for .* from ')

# -- two aggregators, six partitions, one killed mid-stream and restarted ------
for n in 1 2; do
    aggconf "$T/a$n.conf" ga ea eau fa "instance_id = agg-$n" "commit_interval = 500ms"
    "$AG_BIN" aggregate -c "$T/a$n.conf" 2>"$T/a$n.err" &
    eval "pid$n=\$!"
    eval "tap_cleanup \"kill -KILL \$pid$n 2>/dev/null || true\""
done
i=0
while [ "$i" -lt 80 ]; do
    settled=0
    for n in 1 2; do
        last_assigned "$T/a$n.err" | grep -q ': 3 partitions assigned' && settled=$((settled + 1))
    done
    [ "$settled" -eq 2 ] && break
    sleep 0.5
    i=$((i + 1))
done
tap_grep "the default (auto) takes transactions on a broker that has them" \
    '^aggregate: transactions on \(exactly once\): transactional.id ga\.\{source,user\}\.agg-1' \
    "$T/a1.err"
tap_is "two aggregators share the six partitions" 2 "$settled"
tap_ok "first half of the hosts" hosts ea "$T"/logs/h0[1-5].log
sleep 2
# The victim owns the attacker's partition: the member that takes it over
# must rebuild its windows from the committed offsets.
part=$(kcat -b "$B" -C -t ea -o beginning -e -q -f '%p %k\n' |
    awk '$2 == "203.0.113.66" {print $1; exit}')
victim=1
for n in 1 2; do
    last_assigned "$T/a$n.err" | grep -q " $part\( \|\$\)" && victim=$n
done
eval "vpid=\$pid$victim"
hosts ea "$T"/logs/h0[6-9].log "$T"/logs/h10.log &
feeder=$!
sleep 0.3
kill -KILL "$vpid"
wait "$vpid" 2>/dev/null || true
tap_diag "killed aggregator $victim (source partition $part) with SIGKILL while the second half streamed in"
wait "$feeder" && rc=0 || rc=1
tap_is "second half of the hosts" 0 "$rc"
# Restarted under the same instance_id, it fences its killed life, whose
# open transactions are aborted at once.
"$AG_BIN" aggregate -c "$T/a$victim.conf" 2>"$T/a$victim-again.err" &
eval "pid$victim=\$!"
eval "tap_cleanup \"kill -KILL \$pid$victim 2>/dev/null || true\""
wait_findings fa 2 60 && rc=0 || rc=1
wait_count eau read_committed "$rekeyed" 30 || true
sleep 2
stop_agg "$pid1"
stop_agg "$pid2"
tap_is "every fleet finding arrives after the kill" 0 "$rc"
kcat -b "$B" -C -t fa -o beginning -e -q -X isolation.level=read_committed >"$T/fa.json"
tap_ok "read_committed: the two findings, each uid in exactly one message" \
    python3 "$CHECK" "$T/fa.json" 8 once
python3 "$CHECK" "$T/fa.json" 8 once | sed 's/^/# /'
tap_is "read_committed: every failure re-keyed exactly once ($rekeyed)" "$rekeyed" \
    "$(count eau read_committed)"
tap_diag "read_uncommitted readers see $(count eau read_uncommitted) re-keyed events"
tap_ok "a partition moved with committed offsets and its windows were replayed" \
    grep -q 'replaying up to' "$T"/a*.err

# -- killed inside a transaction ---------------------------------------------
# A minute between commits: everything the aggregator produces stays in its
# open transaction until it is killed.
aggconf "$T/b.conf" gb eb ebu fb "instance_id = agg-b" "commit_interval = 60s"
"$AG_BIN" aggregate -c "$T/b.conf" 2>"$T/b.err" &
bpid=$!
tap_cleanup "kill -KILL $bpid 2>/dev/null || true"
wait_for 40 grep -q 'source: 1 partitions assigned' "$T/b.err" || true
hosts eb "$T"/logs/h*.log || tap_diag "feeding eb failed"
wait_count ebu read_uncommitted "$rekeyed" 30 && rc=0 || rc=1
tap_is "inside the open transaction read_uncommitted readers see every re-keyed event" 0 "$rc"
tap_is "and read_committed readers none" 0 "$(count ebu read_committed)"
kill -KILL "$bpid"
wait "$bpid" 2>/dev/null || true
aggconf "$T/b.conf" gb eb ebu fb "instance_id = agg-b" "commit_interval = 500ms"
"$AG_BIN" aggregate -c "$T/b.conf" 2>"$T/b-again.err" &
bpid=$!
tap_cleanup "kill -KILL $bpid 2>/dev/null || true"
wait_findings fb 2 60 || true
wait_count ebu read_committed "$rekeyed" 30 || true
sleep 1
stop_agg "$bpid"
tap_is "after the restart, read_committed readers see each re-keyed event once" "$rekeyed" \
    "$(count ebu read_committed)"
tap_is "the aborted transaction's copies are seen by read_uncommitted readers only" \
    "$((rekeyed * 2))" "$(count ebu read_uncommitted)"
kcat -b "$B" -C -t fb -o beginning -e -q -X isolation.level=read_committed >"$T/fb.json"
tap_ok "read_committed: the two findings, each uid in exactly one message" \
    python3 "$CHECK" "$T/fb.json" 8 once

# -- abortable errors: findings larger than the topic takes -------------------
sh "$KSH" config "$KDIR" fc max.message.bytes=512 || tap_bail "cannot configure fc"
aggconf "$T/c.conf" gc ec ecu fc "instance_id = agg-c" "commit_interval = 500ms"
"$AG_BIN" aggregate -c "$T/c.conf" 2>"$T/c.err" &
cpid=$!
tap_cleanup "kill -KILL $cpid 2>/dev/null || true"
wait_for 40 grep -q 'source: 1 partitions assigned' "$T/c.err" || true
hosts ec "$T"/logs/h*.log || tap_diag "feeding ec failed"
aborts() { [ "$(grep -c "^aggregate: $1: transaction aborted" "$T/c.err")" -ge "$2" ]; }
wait_for 40 aborts source 2 && rc=0 || rc=1
tap_is "a finding the topic refuses aborts the transaction, again after the rewind" 0 "$rc"
uncommitted=$(count ecu read_uncommitted)
tap_cmp "the aborted re-keyed events were produced again: $uncommitted > $rekeyed" \
    -gt "$uncommitted" "$rekeyed"
sh "$KSH" config "$KDIR" fc max.message.bytes=1048588 || tap_bail "cannot configure fc"
wait_findings fc 2 60 || true
wait_count ecu read_committed "$rekeyed" 30 || true
kill -TERM "$cpid"
wait "$cpid" && rc=0 || rc=$?
tap_is "then read_committed readers see each re-keyed event once" "$rekeyed" \
    "$(count ecu read_committed)"
kcat -b "$B" -C -t fc -o beginning -e -q -X isolation.level=read_committed >"$T/fc.json"
tap_ok "and the two findings, each uid in exactly one message" \
    python3 "$CHECK" "$T/fc.json" 8 once
tap_is "aborts are not fatal: the aggregator carried on and left with status 0" 0 "$rc"

# -- a summarizer's late update ------------------------------------------------
# The fake Bedrock answers 2 s after each request: long after the finding's
# own transaction committed, with no transaction open.
MODEL='us.anthropic.claude-3-5-sonnet-20241022-v2:0'
/usr/bin/python3 "$AG_SRCDIR/tests/integration/fake_bedrock.py" --port-file "$T/bedrock.port" \
    --log "$T/bedrock.log" --mode slow --slow 2 \
    --model-path 'us.anthropic.claude-3-5-sonnet-20241022-v2%3A0' >"$T/bedrock.out" 2>&1 &
tap_cleanup "kill $!"
wait_for 10 test -s "$T/bedrock.port" || tap_bail "fake Bedrock did not start"
aggconf "$T/d.conf" gd ed edu fd "instance_id = agg-d" "commit_interval = 500ms"
printf '[sink.bedrock]\nmodel_id = %s\nendpoint = http://127.0.0.1:%s\nregion = us-east-1\n' \
    "$MODEL" "$(cat "$T/bedrock.port")" >>"$T/d.conf"
printf 'timeout = 5s\nconnect_timeout = 2s\ncalls_per_hour = 1000\ncooldown = 0\n' >>"$T/d.conf"
mkdir -p "$T/home"
env HOME="$T/home" AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
    AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' \
    "$AG_BIN" aggregate -c "$T/d.conf" 2>"$T/d.err" &
dpid=$!
tap_cleanup "kill -KILL $dpid 2>/dev/null || true"
wait_for 40 grep -q 'source: 1 partitions assigned' "$T/d.err" || true
hosts ed "$T"/logs/h*.log || tap_diag "feeding ed failed"
wait_count fd read_committed 4 40 && rc=0 || rc=1
sleep 1
stop_agg "$dpid"
tap_is "read_committed: two Creates and the summarizer's two Updates" 0 "$rc"
kcat -b "$B" -C -t fd -o beginning -e -q -X isolation.level=read_committed >"$T/fd.json"
tap_ok "each finding's uid once as a Create and once as a Bedrock Update" \
    python3 -c 'import json, sys
seen = {}
for line in open(sys.argv[1]):
    if line.strip():
        d = json.loads(line)
        ua = d["unmapped"]["authguard"]
        src = ua.get("model_summary", {}).get("source") or ua.get("summary_source", "")
        seen.setdefault(d["finding_info"]["uid"], []).append((d["activity_id"], src[:8]))
print(seen)
sys.exit(0 if len(seen) == 2 and all(sorted(v) == [(1, "local"), (2, "bedrock:")]
                                     for v in seen.values()) else 1)' "$T/fd.json"

# -- two aggregators under one instance_id -------------------------------------
aggconf "$T/e.conf" ge ee eeu fe "instance_id = dup" "commit_interval = 500ms"
"$AG_BIN" aggregate -c "$T/e.conf" 2>"$T/e1.err" &
e1=$!
tap_cleanup "kill -KILL $e1 2>/dev/null || true"
wait_for 40 grep -q 'source: 2 partitions assigned' "$T/e1.err" || true
"$AG_BIN" aggregate -c "$T/e.conf" 2>"$T/e2.err" &
e2=$!
tap_cleanup "kill -KILL $e2 2>/dev/null || true"
wait_for 40 grep -q 'source: 1 partitions assigned' "$T/e2.err" || true
hosts ee "$T"/logs/h*.log || tap_diag "feeding ee failed"
wait_for 30 sh -c "! kill -0 $e1 2>/dev/null" || true
kill -TERM "$e1" 2>/dev/null || true
wait "$e1" && rc=0 || rc=$?
tap_is "the older aggregator under the same instance_id is fenced and exits 1" 1 "$rc"
tap_grep "...saying why" 'transaction .*: .*fatal, leaving \(another aggregator with this instance_id\?\)' \
    "$T/e1.err"
wait_findings fe 2 60 || true
stop_agg "$e2"
kcat -b "$B" -C -t fe -o beginning -e -q -X isolation.level=read_committed >"$T/fe.json"
tap_ok "the newer one delivers the two findings, each uid in exactly one message" \
    python3 "$CHECK" "$T/fe.json" 8 once
tap_is "read_committed: every failure re-keyed exactly once ($rekeyed)" "$rekeyed" \
    "$(count eeu read_committed)"

tap_not "no sanitizer report from any aggregator" \
    grep -q 'Sanitizer' "$T"/a*.err "$T"/b*.err "$T/c.err" "$T/d.err" "$T"/e*.err
for f in "$T"/a*.err "$T"/b*.err "$T/c.err" "$T/d.err" "$T"/e*.err; do
    grep -E 'transaction|outbox|fatal' "$f" | sed "s|^|# ${f##*/}: |" | head -n 8
done
tap_done
