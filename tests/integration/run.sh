#!/bin/sh
# run.sh - `authguard run` as a daemon: the file input through appends,
# rotation by rename and truncation; stdin; SIGHUP reloads (a bad file is
# refused and the running rules stay; a good one changes a threshold and
# keeps the counters); SIGTERM flushes and exits 0; `check-config`; the
# systemd unit. TAP.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

command -v python3 >/dev/null || tap_skip_all "python3 is needed to read the JSON output"

OUT=$TAP_TMP/out.jsonl
LOG=$TAP_TMP/run.log
F1=$TAP_TMP/auth.log
F2=$TAP_TMP/secure
CONF=$TAP_TMP/run.conf

# check.py OUT events PREFIX FIRST LAST: one event for each user
# PREFIX0001..; none for another user of that prefix.
# check.py OUT finding RULE IP: a finding of RULE naming IP.
cat >"$TAP_TMP/check.py" <<'EOF'
import json, sys
out, mode = sys.argv[1], sys.argv[2]
objs = []
try:
    objs = [json.loads(l) for l in open(out) if l.strip()]
except FileNotFoundError:
    pass
if mode == "events":
    prefix, first, last = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    want = {"%s%04d" % (prefix, i) for i in range(first, last + 1)}
    seen = {}
    for o in objs:
        u = o.get("user", {}).get("name", "")
        if o.get("class_uid") == 3002 and u.startswith(prefix):
            seen[u] = seen.get(u, 0) + 1
    bad = sorted(want - set(seen)), sorted(set(seen) - want), sorted(u for u in seen if seen[u] > 1)
    if any(bad):
        print("missing %s unexpected %s repeated %s" % bad)
        sys.exit(1)
elif mode == "finding":
    rule, ip = sys.argv[3], sys.argv[4]
    for o in objs:
        fi = o.get("finding_info", {})
        if o.get("class_uid") == 2004 and fi.get("analytic", {}).get("name") == rule \
                and ip in json.dumps(o.get("observables", [])):
            sys.exit(0)
    sys.exit(1)
EOF
events() { python3 "$TAP_TMP/check.py" "$OUT" events "$@"; }
finding() { python3 "$TAP_TMP/check.py" "$OUT" finding "$@"; }

# conf THRESHOLD [EXTRA]: the daemon's configuration file.
conf() {
    cat >"$CONF" <<EOF
[engine]
slots = 4096
[rule.bruteforce]
threshold = $1
$2
[input.file]
paths = $F1, $F2
from = head
position_file = $TAP_TMP/files.pos
[sink.jsonl]
path = $OUT
EOF
}

PID=""
# shellcheck disable=SC2016 # expanded at exit, to the daemon running then
tap_cleanup 'kill -9 $PID'
alive() { kill -0 "$PID" 2>/dev/null; }

tap_plan 24

# ---- check-config ------------------------------------------------------------
conf 10
tap_check "check-config accepts a good file" "$AG_BIN" check-config "$CONF"
tap_is "check-config says FILE: ok" "$CONF: ok" "$("$AG_BIN" check-config "$CONF" 2>&1)"
conf 10 "[input.stdin]
enabeld = on"
"$AG_BIN" check-config "$CONF" >/dev/null 2>"$TAP_TMP/err" && rc=0 || rc=$?
tap_is "check-config refuses a misspelt key with status 2" 2 "$rc"
tap_grep "... naming file, line and key" "$CONF:[0-9]+: \[input.stdin\] enabeld" "$TAP_TMP/err"
printf '[input.journald]\ncursor_every = 0\n' >"$TAP_TMP/bad.conf"
tap_not "check-config refuses a value out of range" "$AG_BIN" check-config "$TAP_TMP/bad.conf"
printf '[engine]\nslots = 4096\n' >"$TAP_TMP/noinput.conf"
"$AG_BIN" run -c "$TAP_TMP/noinput.conf" >/dev/null 2>"$TAP_TMP/err" && rc=0 || rc=$?
tap_is "run without any input: status 2" 2 "$rc"
tap_grep "... and says which sections give one" "no input" "$TAP_TMP/err"

# ---- the file input ------------------------------------------------------------
conf 10
sshd_failures a 1 20 >"$F1"
"$AG_BIN" run -c "$CONF" >>"$LOG" 2>&1 &
PID=$!
tap_check "lines already in the file are read (from = head)" wait_for 10 events a 1 20
sshd_failures a 21 40 >>"$F1"
sshd_failures b 1 10 >>"$F2"
both() { events a 1 40 && events b 1 10; }
tap_check "appended lines arrive once, from both files" wait_for 10 both

# Rotation by rename: the logger writes a little more to the renamed file,
# then creates a new one.
mv "$F1" "$F1.1"
sshd_failures a 41 45 >>"$F1.1"
sleep 0.3
sshd_failures a 46 60 >"$F1"
tap_check "rotation by rename: the old file's last lines and the new file's, once" \
    wait_for 10 events a 1 60

# Truncation (copytruncate): the file starts again, shorter than before.
: >"$F2"
sleep 0.3
sshd_failures b 11 12 >>"$F2"
tap_check "truncation: the lines written after it arrive, once" wait_for 10 events b 1 12

# ---- SIGHUP ---------------------------------------------------------------------
# 4 failures from one source under threshold 10; reload with threshold 6;
# 2 more trip it only if the 4 were kept.
sshd_failures h 1 4 198.51.100.20 >>"$F1"
wait_for 10 events h 1 4
conf 6
kill -HUP "$PID"
tap_check "SIGHUP with a good file: reloaded" wait_for 10 grep -q "reloaded" "$LOG"
sshd_failures h 5 6 198.51.100.20 >>"$F1"
tap_check "the new threshold applies and the counters survived the reload" \
    wait_for 10 finding bruteforce 198.51.100.20

conf "lots"
kill -HUP "$PID"
tap_check "SIGHUP with a bad file: refused" wait_for 10 grep -q "reload refused" "$LOG"
tap_grep "... with file, line and key" "reload refused: $CONF:[0-9]+: \[rule.bruteforce\] threshold" "$LOG"
tap_check "... and the daemon keeps running" alive
sshd_failures k 1 6 198.51.100.30 >>"$F1"
tap_check "... and detecting with the rules it had (threshold 6)" \
    wait_for 10 finding bruteforce 198.51.100.30

# ---- SIGTERM ----------------------------------------------------------------------
sshd_failures z 1 50 >>"$F2"
sleep 0.5
kill -TERM "$PID"
wait "$PID" && rc=0 || rc=$?
tap_is "SIGTERM: exit status 0" 0 "$rc"
tap_check "SIGTERM: everything read was flushed to the sink" events z 1 50

# ---- stdin ------------------------------------------------------------------------
printf '[engine]\nslots = 4096\n[input.stdin]\nenabled = on\n[sink.jsonl]\npath = %s\n' \
    "$OUT" >"$TAP_TMP/stdin.conf"
: >"$OUT"
sshd_failures s 1 30 | "$AG_BIN" run -c "$TAP_TMP/stdin.conf" 2>>"$LOG" && rc=0 || rc=$?
tap_is "stdin only: run ends with its input, status 0" 0 "$rc"
tap_check "... with every line's event written" events s 1 30

tap_not "the daemon logged no sanitizer report" grep -E "Sanitizer|runtime error" "$LOG"

# ---- the systemd unit ---------------------------------------------------------------
# verify wants the programs the unit names to exist: point it at this build.
sed "s#/usr/bin/authguard#$AG_BIN#g" "$AG_SRCDIR/conf/authguard.service" \
    >"$TAP_TMP/authguard.service"
if command -v systemd-analyze >/dev/null; then
    (cd "$TAP_TMP" && systemd-analyze verify ./authguard.service) >"$TAP_TMP/verify" 2>&1 \
        && rc=0 || rc=$?
    tap_is "systemd-analyze verify: the unit is clean" "0:" "$rc:$(cat "$TAP_TMP/verify")"
    # Exposure is scored 0-100 here (0.0-10.0 as printed); 25 is "OK" and lower.
    tap_check "systemd-analyze security: exposure at most 2.5 of 10" \
        systemd-analyze security --offline=true --threshold=25 "$TAP_TMP/authguard.service"
else
    tap_skip "systemd-analyze verify" "systemd-analyze is not installed"
    tap_skip "systemd-analyze security" "systemd-analyze is not installed"
fi

tap_done
