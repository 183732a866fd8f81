#!/bin/sh
# rsyslog_kill.sh - kill -9 of `authguard rsyslog` at many points under a
# private rsyslogd running the project's own 60-authguard-omprog.conf (only
# its paths changed): a 3,055-line log sent as authpriv in chunks, the
# program killed once per chunk (after a number of bytes read, or after a
# small random delay: between messages, inside a transaction, at its
# COMMIT, inside the write of an event), restarted by rsyslog each time.
# Every event `authguard scan --json --events` finds in the same log must
# reach the JSON-lines sink exactly once, and every line must be valid JSON.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

command -v rsyslogd >/dev/null 2>&1 || tap_skip_all "rsyslogd missing: scripts/deps.sh --test"

T=$TAP_TMP; [ -n "${AG_KEEP:-}" ] && T=$AG_KEEP && rm -rf "$T" && mkdir -p "$T"
HERE=$AG_SRCDIR/tests/integration
KILLS=${AG_KILLS:-15}
SEED=${AG_SEED:-$$}
PORT=$(free_port)
mkdir -p "$T/work" "$T/lib"

python3 "$AG_SRCDIR/tests/gen/genlog.py" --lines 3055 --seed 13 --rate 0.3 --sshd-share 0.9 \
    --scenario all >"$T/auth.log"
cat >"$T/ag.conf" <<EOF
[input.rsyslog]
seen_file = $T/lib/rsyslog.seen
[sink.jsonl]
path = $T/events.jsonl
EOF
sed -e "s|/usr/local/bin/authguard|$AG_BIN|" -e "s|/etc/authguard/authguard.conf|$T/ag.conf|" \
    -e "s|/var/log/|$T/|g" -e "s|/var/lib/authguard/|$T/lib/|g" \
    "$AG_SRCDIR/conf/rsyslog/60-authguard-omprog.conf" >"$T/60-authguard-omprog.conf"
cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T/work" processInternalMessages="on")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$PORT")
include(file="$T/60-authguard-omprog.conf")
*.* action(type="omfile" file="$T/internal.log")
EOF

tap_plan 4

"$AG_BIN" scan --json --events --no-progress "$T/auth.log" >"$T/expected.jsonl" 2>/dev/null
tap_cmp "scan finds the log's events" -gt "$(grep -c '"class_uid":3002' "$T/expected.jsonl")" 1000

rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslogd.pid" >"$T/rsyslogd.out" 2>&1 &
RSPID=$!
tap_cleanup "kill -9 $RSPID; pkill -9 -P $RSPID"
tap_cleanup "kill $RSPID; sleep 0.3"
wait_for_port "$PORT" 10 || tap_bail "rsyslogd did not start: $(cat "$T/rsyslogd.out")"

python3 "$HERE/rsyslog_kill.py" send "$PORT" "$RSPID" "rsyslog -c $T/ag.conf" "$T/auth.log" \
    "$KILLS" "$SEED" >"$T/kills.out" 2>&1
tap_cmp "$KILLS kills of the program (seed $SEED)" -eq "$(grep -c '^kill ' "$T/kills.out")" \
    "$KILLS"

# Until every event arrived or none came for 4 s (at most 40 s), then a
# second more for a late duplicate.
n_expected=$(grep -c '"class_uid":3002' "$T/expected.jsonl")
n_last=-1 same=0 left=400
while [ "$left" -gt 0 ] && [ "$same" -lt 40 ]; do
    n=$(grep -c '"class_uid":3002' "$T/events.jsonl" 2>/dev/null) || n=0
    [ "$n" -ge "$n_expected" ] && break
    if [ "$n" = "$n_last" ]; then same=$((same + 1)); else same=0 n_last=$n; fi
    left=$((left - 1))
    sleep 0.1
done
sleep 1
python3 "$HERE/rsyslog_kill.py" compare "$T/expected.jsonl" "$T/events.jsonl" >"$T/compare.out" 2>&1
tap_ok "every event exactly once, every line valid JSON ($(head -1 "$T/compare.out"))" \
    python3 "$HERE/rsyslog_kill.py" compare "$T/expected.jsonl" "$T/events.jsonl"
tap_cmp "each kill found a program rsyslog had started again" -eq \
    "$(sed -n 's/^kill \([0-9]*\) .*/\1/p' "$T/kills.out" | sort -u | wc -l)" "$KILLS"
[ "$TAP_FAILED" -eq 0 ] || tap_diag "$(cat "$T/kills.out" "$T/compare.out")"

tap_done
