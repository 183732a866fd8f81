#!/bin/sh
# rsyslog.sh - `authguard rsyslog` under a private rsyslogd on random loopback
# ports: omprog with confirmMessages and transactions (every event written
# once, findings, kill -9 of the program mid-stream, SIGHUP reloading the
# rules with the counters kept), mmexternal (fields under $!authguard, empty
# environment, nothing on stderr), the protocol's re-send after a failed
# COMMIT, and the drop-ins of conf/rsyslog passing `rsyslogd -N1`.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

command -v rsyslogd >/dev/null 2>&1 || tap_skip_all "rsyslogd missing: scripts/deps.sh --test"

T=$TAP_TMP; [ -n "${AG_KEEP:-}" ] && T=$AG_KEEP && rm -rf "$T" && mkdir -p "$T"
HERE=$AG_SRCDIR/tests/integration
send() { python3 "$HERE/rsyslog_send.py" "$@"; }
check() { python3 "$HERE/rsyslog_check.py" "$@"; }
events_once() { check "$T/events.jsonl" "$@" >"$T/check.out" 2>&1; }

PORT_OM=$(free_port)
PORT_MM=$(free_port)
mkdir -p "$T/work"

# Bruteforce needs 10 failures until the SIGHUP test lowers it to 6.
cat >"$T/ag.conf" <<EOF
[rule.bruteforce]
threshold = 10
[input.rsyslog]
seen_file = $T/rsyslog.seen
[sink.jsonl]
path = $T/events.jsonl
EOF
: >"$T/mm.conf"

cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T/work" processInternalMessages="on")
module(load="imtcp")
module(load="omprog")
module(load="mmexternal")
template(name="AuthJson" type="string" string="%jsonmesg%\n")
template(name="Enriched" type="string"
  string="kind=%\$!authguard!kind% user=%\$!authguard!user% src=%\$!authguard!src_ip% port=%\$!authguard!src_port% failures=%\$!authguard!counts!failures% msg=%msg%\n")
input(type="imtcp" address="127.0.0.1" port="$PORT_OM" ruleset="om")
input(type="imtcp" address="127.0.0.1" port="$PORT_MM" ruleset="mm")
ruleset(name="om") {
  action(type="omprog" name="authguard" binary="$AG_BIN rsyslog -c $T/ag.conf"
         template="AuthJson" confirmMessages="on" confirmTimeout="10000"
         useTransactions="on" reportFailures="on" output="$T/ag.stderr"
         killUnresponsive="on" hup.signal="HUP"
         queue.type="LinkedList" queue.size="20000" queue.dequeueBatchSize="64"
         queue.filename="authguard" queue.saveOnShutdown="on"
         action.resumeInterval="1" action.resumeRetryCount="-1")
}
ruleset(name="mm") {
  action(type="mmexternal" binary="$AG_BIN rsyslog --mmexternal -c $T/mm.conf --log $T/mm.log"
         interface.input="fulljson")
  if \$!authguard!kind != "" then
    action(type="omfile" file="$T/mm.out" template="Enriched")
}
*.* action(type="omfile" file="$T/internal.log")
EOF

tap_plan 35

tap_ok "rsyslogd -N1 accepts the test configuration" rsyslogd -N1 -f "$T/rsyslog.conf"
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslogd.pid" >"$T/rsyslogd.out" 2>&1 &
RSPID=$!
tap_cleanup "kill -9 $RSPID; pkill -9 -P $RSPID"
tap_cleanup "kill $RSPID; sleep 0.3"
if ! wait_for_port "$PORT_OM" 10 || ! wait_for_port "$PORT_MM" 10; then
    tap_diag "$(cat "$T/rsyslogd.out" "$T/internal.log" 2>/dev/null)"
    tap_bail "rsyslogd did not start"
fi

# The omprog child of rsyslogd (not the mmexternal one).
om_child() { pgrep -P "$RSPID" -f "rsyslog -c $T/ag.conf"; }
jsonl_has() { events_once "$@" && return 0; grep -q "missing 0" "$T/check.out"; }

# -- omprog: 300 events, each once, and the findings ----------------------
send "$PORT_OM" --first 0 --count 300 --prefix a
wait_for 20 jsonl_has a 0 300
tap_ok "omprog: 300 events written, each once ($(cat "$T/check.out"))" events_once a 0 300
send "$PORT_OM" --first 0 --count 8 --prefix b --src 203.0.113.5
wait_for 10 jsonl_has b 0 8
tap_ok "omprog: a finding for the source that tried 8 accounts" \
    check --findings "$T/events.jsonl" enumeration 203.0.113.5
tap_grep "the program said it started" "started \(omprog mode\)" "$T/ag.stderr"

# -- kill -9 mid-stream: restarted, every event still once ----------------
PID1=$(om_child)
send "$PORT_OM" --first 0 --count 600 --prefix k --rate 300 &
SENDER=$!
wait_for 10 sh -c "[ \$(grep -c '\"name\":\"k[0-9]' '$T/events.jsonl') -ge 100 ]"
kill -9 "$PID1" 2>/dev/null
wait "$SENDER"
wait_for 25 jsonl_has k 0 600
tap_ok "kill -9 mid-stream: all 600 events arrived, each once ($(cat "$T/check.out"))" \
    events_once k 0 600
PID2=$(om_child)
tap_ok "rsyslog restarted the program (pid $PID1 -> $PID2)" \
    test -n "$PID2" -a "$PID1" != "$PID2"
tap_cmp "two starts in the program's report file" -eq \
    "$(grep -c 'started (omprog mode)' "$T/ag.stderr")" 2

# -- SIGHUP: the rules reload, the counters stay --------------------------
# 4 failures before, 3 after: 7 trips the lowered threshold (6) only if the
# first 4 are still counted.
send "$PORT_OM" --first 0 --count 4 --prefix h --src 203.0.113.7 --user root
wait_for 10 sh -c "[ \$(grep -c '203.0.113.7' '$T/events.jsonl') -ge 4 ]"
tap_not "no bruteforce finding at 4 failures" \
    check --findings "$T/events.jsonl" bruteforce 203.0.113.7
sed 's/threshold = 10/threshold = 6/' "$T/ag.conf" >"$T/ag.conf.new" &&
    mv "$T/ag.conf.new" "$T/ag.conf"
kill -HUP "$RSPID"
tap_ok "SIGHUP reached the program and it reloaded" \
    wait_for 10 grep -q "reloaded $T/ag.conf: rules applied, counters kept" "$T/ag.stderr"
send "$PORT_OM" --first 4 --count 3 --prefix h --src 203.0.113.7 --user root
wait_for 10 check --findings "$T/events.jsonl" bruteforce 203.0.113.7
tap_ok "bruteforce trips across the reload (4 before + 3 after >= new threshold 6)" \
    check --findings "$T/events.jsonl" bruteforce 203.0.113.7
tap_ok "the program was not restarted by the reload" test "$(om_child)" = "$PID2"
printf '[rule.bruteforce]\nthreshold = banana\n' >"$T/ag.conf"
kill -HUP "$RSPID"
tap_ok "a broken file on SIGHUP is refused and the running rules kept" \
    wait_for 10 grep -q "reload failed, keeping the running configuration" "$T/ag.stderr"

# -- mmexternal: fields under $!authguard ---------------------------------
python3 - "$PORT_MM" <<'EOF'
import socket, sys, time
now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000+00:00"
msgs = ['Failed password for root from 192.0.2.30 port 5000 ssh2',
        'Accepted publickey for alice from 192.0.2.31 port 5001 ssh2',
        'Server listening on 0.0.0.0 port 22.',
        'Failed password for invalid user "x\\"y from 192.0.2.30 port 5002 ssh2']
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall("".join("<86>1 %s vm sshd 42 - - %s\n" % (now, m) for m in msgs).encode())
s.close()
EOF
wait_for 10 sh -c "[ \$(wc -l <'$T/mm.out') -ge 3 ]"
tap_grep "mmexternal: kind, user, source, port and counts of a failure" \
    '^kind=auth_failure user=root src=192.0.2.30 port=5000 failures=1 ' "$T/mm.out"
tap_grep "mmexternal: a success" '^kind=auth_success user=alice src=192.0.2.31 port=5001 ' \
    "$T/mm.out"
tap_grep "mmexternal: the source's counts go on (2 failures), quotes escaped" \
    '^kind=invalid_user user="x\\"y src=192.0.2.30 port=5002 failures=2 ' "$T/mm.out"
tap_is "mmexternal: 3 events annotated, the other line left alone" 3 "$(wc -l <"$T/mm.out")"
tap_not "mmexternal: rsyslog saw no invalid reply (nothing on stderr)" \
    grep -q "invalid reply" "$T/internal.log"

# -- the protocol's rare paths, without rsyslog -----------------------------
python3 "$HERE/rsyslog_proto.py" "$AG_BIN" "$T" >"$T/proto.out" 2>&1
while read -r status desc; do
    case $status in
        PASS) tap_pass "protocol: $desc" ;;
        *) tap_fail "protocol: $status $desc" ;;
    esac
done <"$T/proto.out"

# -- the drop-ins: each, and omprog beside each mmexternal one ----------------
D=$AG_SRCDIR/conf/rsyslog
dropin_ok() {
    printf 'global(workDirectory="%s")\n' "$T/work" >"$T/dropin.conf"
    for f in "$@"; do printf 'include(file="%s")\n' "$D/$f" >>"$T/dropin.conf"; done
    rsyslogd -N1 -f "$T/dropin.conf" >"$T/dropin.out" 2>&1 &&
        ! grep -Eqi 'error|warning' "$T/dropin.out"
}
tap_ok "rsyslogd -N1: 60-authguard-omprog.conf" dropin_ok 60-authguard-omprog.conf
tap_ok "rsyslogd -N1: omprog + 60-authguard-mmexternal.conf" \
    dropin_ok 60-authguard-omprog.conf 60-authguard-mmexternal.conf
tap_ok "rsyslogd -N1: omprog + 61-authguard-omkafka.conf" \
    dropin_ok 60-authguard-omprog.conf 61-authguard-omkafka.conf

# -- the omprog and mmexternal drop-ins themselves, in a second rsyslogd ----
PORT_D=$(free_port)
mkdir -p "$T/work2"
printf '[input.rsyslog]\nseen_file = %s/d-om.seen\n[sink.jsonl]\npath = %s/dropin.jsonl\n' "$T" "$T" \
    >"$T/d-om.conf"
: >"$T/d-mm.conf"
for f in 60-authguard-omprog.conf:d-om.conf 60-authguard-mmexternal.conf:d-mm.conf; do
    sed -e "s|/usr/local/bin/authguard|$AG_BIN|" -e "s|/etc/authguard/authguard.conf|$T/${f#*:}|" \
        -e "s|/var/log/|$T/|g" "$D/${f%%:*}" >"$T/${f%%:*}"
done
cat >"$T/rsyslog2.conf" <<EOF
global(workDirectory="$T/work2" processInternalMessages="on")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$PORT_D")
include(file="$T/60-authguard-omprog.conf")
include(file="$T/60-authguard-mmexternal.conf")
*.* action(type="omfile" file="$T/internal2.log")
EOF
rsyslogd -n -f "$T/rsyslog2.conf" -i "$T/rsyslogd2.pid" >"$T/rsyslogd2.out" 2>&1 &
RSPID2=$!
tap_cleanup "kill $RSPID2; sleep 0.3"
wait_for_port "$PORT_D" 10
python3 - "$PORT_D" <<'PY'
import socket, sys, time
now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000+00:00"
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(("<86>1 %s vm sshd 42 - - Failed password for dropin from 192.0.2.77 port 7 ssh2\n"
           "<14>1 %s vm cron 43 - - not for authguard\n" % (now, now)).encode())
s.close()
PY
wait_for 10 grep -q dropin "$T/dropin.jsonl"
tap_ok "drop-in 60-authguard-omprog.conf: the authpriv failure reached the sink, once" \
    test "$(grep -c '"name":"dropin"' "$T/dropin.jsonl")" = 1
wait_for 10 grep -q dropin "$T/authguard-events.log"
tap_grep "drop-in 60-authguard-mmexternal.conf: the failure annotated and written" \
    'kind=auth_failure user=dropin src=192.0.2.77 port=7 failures=1 ' "$T/authguard-events.log"

tap_done
