#!/bin/sh
# run_resume.sh - the file input of `authguard run` carries on where it
# stopped: across SIGTERM restarts (from = head repeats nothing, from = tail
# loses nothing, a half-written line is never split), a rotation by rename,
# a copytruncate and two rotations while stopped, a file created while
# stopped, a kill -9 after a save, and corrupt position files (reported
# with file and line; the daemon starts anyway). TAP.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

command -v python3 >/dev/null || tap_skip_all "python3 is needed to read the JSON output"

OUT=$TAP_TMP/out.jsonl
LOG=$TAP_TMP/run.log
F=$TAP_TMP/auth.log
F2=$TAP_TMP/secure
POS=$TAP_TMP/files.pos
CONF=$TAP_TMP/run.conf

# check.py OUT PREFIX FIRST LAST: exactly one event for each user
# PREFIX0001.., none for another user of that prefix.
cat >"$TAP_TMP/check.py" <<'EOF'
import json, sys
out, prefix, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
want = {"%s%04d" % (prefix, i) for i in range(first, last + 1)}
seen = {}
try:
    for l in open(out):
        o = json.loads(l)
        u = o.get("user", {}).get("name", "")
        if o.get("class_uid") == 3002 and u.startswith(prefix):
            seen[u] = seen.get(u, 0) + 1
except FileNotFoundError:
    pass
bad = sorted(want - set(seen)), sorted(set(seen) - want), sorted(u for u in seen if seen[u] > 1)
if any(bad):
    print("missing %s unexpected %s repeated %s" % bad)
    sys.exit(1)
EOF
events() { python3 "$TAP_TMP/check.py" "$OUT" "$@"; }

# conf FROM: the daemon's configuration.
conf() {
    cat >"$CONF" <<EOF
[engine]
slots = 4096
[input.file]
paths = $F $F2
from = $1
position_file = $POS
position_every = 1000
[sink.jsonl]
path = $OUT
EOF
}

PID=""
# shellcheck disable=SC2016 # expanded at exit, to the daemon running then
tap_cleanup 'kill -9 $PID'
runs() { cat "$LOG" 2>/dev/null | grep -c "running $CONF" || true; }
# start: the daemon, waited for until it says it runs (its files are open,
# so that a line appended next is not taken for the tail).
start() {
    _runs=$(runs)
    "$AG_BIN" run -c "$CONF" >>"$LOG" 2>&1 &
    PID=$!
    wait_for 10 started || true
}
started() { [ "$(runs)" -gt "$_runs" ]; }
alive() { kill -0 "$PID" 2>/dev/null; }
# stop: SIGTERM and the exit status in $rc.
stop() {
    kill -TERM "$PID"
    wait "$PID" && rc=0 || rc=$?
}
# pos_off PATH: the offset the position file holds for PATH.
pos_off() { awk -v p="$1" '$6 == p { print $3 }' "$POS"; }
size() { wc -c <"$1" | tr -d ' '; }
saved_at_end() { [ "$(pos_off "$F")" = "$(size "$F")" ]; }

tap_plan 26

# ---- a clean restart, from = head: nothing twice ------------------------------
conf head
sshd_failures a 1 20 >"$F"
start
tap_check "first start, from = head: the file's lines arrive" wait_for 10 events a 1 20
sshd_failures a 21 30 >>"$F"
wait_for 10 events a 1 30
S=$(size "$F")
# Half of line a0031, as a logger caught mid-write leaves it.
sshd_failures a 31 31 >"$TAP_TMP/a31"
head -c 40 "$TAP_TMP/a31" >>"$F"
sleep 0.5
stop
tap_is "SIGTERM: exit status 0" 0 "$rc"
tap_grep "the position file names the file" "^[0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9a-f]{16} $F\$" "$POS"
tap_is "... at the end of the last complete line, not inside the half line" "$S" "$(pos_off "$F")"
tap_grep "... and the missing second file as missing" "^0 0 0 0 [0-9a-f]{16} $F2\$" "$POS"

tail -c +41 "$TAP_TMP/a31" >>"$F"
sshd_failures a 32 40 >>"$F"
start
tap_check "restart, from = head: lines written while stopped (the half one whole), none twice" \
    wait_for 10 events a 1 40
tap_grep "the log says where it resumed" "files: $F: resuming at byte $S" "$LOG"

# ---- a clean restart, from = tail: nothing lost ------------------------------------
stop
conf tail
sshd_failures a 41 50 >>"$F"
sshd_failures b 1 5 >"$F2"
start
tap_check "restart, from = tail: the lines written while stopped are not skipped" \
    wait_for 10 events a 1 50
tap_check "... and a file created while stopped is read from its start" events b 1 5
sshd_failures b 6 10 >>"$F2"
tap_check "... and followed" wait_for 10 events b 1 10

# ---- rotation while stopped ---------------------------------------------------------------
stop
sshd_failures a 51 55 >>"$F"
mv "$F" "$F.1"
sshd_failures a 56 60 >"$F"
start
tap_check "renamed while stopped: the rest of the old file, then the new one, once" \
    wait_for 10 events a 1 60
tap_grep "... the log names the rotated file" "$F: replaced while stopped: reading the rest of $F.1 from byte" "$LOG"
sshd_failures a 61 62 >>"$F"
tap_check "... and the new file is followed afterwards" wait_for 10 events a 1 62

stop
sshd_failures a 63 65 >>"$F"
mv "$F.1" "$F.2"
cp "$F" "$F.1"
: >"$F"
sshd_failures a 66 70 >>"$F"
start
tap_check "copytruncate while stopped: the copy's rest, then the file from its start, once" \
    wait_for 10 events a 1 70
tap_grep "... the log says truncated" "$F: truncated while stopped: reading the rest of $F.1" "$LOG"

# Two rotations while stopped, hours apart (the times set as they would
# be): the saved file is auth.log.2 by then, and auth.log.1 was written to
# entirely while stopped.
stop
rm -f "$F.1" "$F.2"
sshd_failures a 71 72 >>"$F"
mv "$F" "$F.1"
touch -d '3 hours ago' "$F.1"
sshd_failures a 73 75 >"$F"
touch -d '2 hours ago' "$F"
mv "$F.1" "$F.2"
mv "$F" "$F.1"
sshd_failures a 76 78 >"$F"
start
tap_check "rotated twice while stopped: the rest, the file in between, the new one, once" \
    wait_for 10 events a 1 78
tap_grep "... the log names the file in between" \
    "reading the rest of $F.2 from byte .*; auth.log.1, rotated in between: read whole" "$LOG"

# ---- kill -9 after a save ------------------------------------------------------------
sshd_failures a 79 80 >>"$F"
wait_for 10 events a 1 80
tap_check "a second after the last line the position is saved" wait_for 10 saved_at_end
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
sshd_failures a 81 85 >>"$F"
start
tap_check "after kill -9: every line once, nothing since the save repeated" \
    wait_for 10 events a 1 85

# ---- corrupt position files -----------------------------------------------------------
stop
printf '%s\n%s\n' "# authguard file positions 1" "12 34 oops $F" >"$POS"
start
tap_check "a corrupt line: the daemon starts anyway" alive
sshd_failures a 86 90 >>"$F"
tap_check "... and reads (as configured: from = tail) what comes after" \
    wait_for 10 events a 1 90
tap_grep "... having named file and line" "files: $POS:2: position file: expected DEV INO" "$LOG"
stop
printf 'garbage\n' >"$POS"
start
sshd_failures a 91 95 >>"$F"
tap_check "not a position file at all: started anyway, lines arrive" wait_for 10 events a 1 95
tap_grep "... having said so with file and line" "files: $POS:1: not an authguard position file" "$LOG"
stop
tap_is "the position file is rewritten in its format at exit" "# authguard file positions 1" \
    "$(head -n 1 "$POS")"

tap_not "the daemon logged no sanitizer report" grep -E "Sanitizer|runtime error" "$LOG"
tap_done
