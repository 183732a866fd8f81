#!/bin/sh
# journald.sh - the journald input of `authguard run` on real journal files,
# written by systemd-journal-remote from Journal Export Format: only auth
# entries pass the matches, each arrives once across restarts (cursor), and
# journal files added (rotation) or deleted (vacuum) while running are
# handled. TAP.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

REMOTE=/lib/systemd/systemd-journal-remote
[ -x "$REMOTE" ] || tap_skip_all "systemd-journal-remote is not installed (scripts/deps.sh --test)"
command -v python3 >/dev/null || tap_skip_all "python3 is needed to read the JSON output"

J=$TAP_TMP/journal
STAGE=$TAP_TMP/stage
OUT=$TAP_TMP/out.jsonl
LOG=$TAP_TMP/run.log
mkdir -p "$J" "$STAGE"

# export FIRST LAST: entries FIRST..LAST in Journal Export Format. Each
# number gives one auth entry whose user is a marker (m: sshd by
# SYSLOG_IDENTIFIER, c: sshd-session by _COMM alone, p: a PAM line from any
# program on facility authpriv) and one entry the matches must drop (x: a
# PAM line from a daemon-facility program, which would otherwise be an
# event), plus a plain non-auth line.
export_entries() {
    python3 - "$1" "$2" <<'EOF'
import sys, time
first, last = int(sys.argv[1]), int(sys.argv[2])
boot = "0123456789abcdef0123456789abcdef"
base = (int(time.time()) - 3600) * 1000000
out = []
def entry(seq, fields):
    out.append("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n"
               "_HOSTNAME=web1\n_TRANSPORT=syslog\nPRIORITY=5\n" % (base + seq, 1000 + seq, boot))
    out.append("".join("%s=%s\n" % kv for kv in fields) + "\n")
for i in range(first, last + 1):
    kind = "mcp"[i % 3]
    ip = "203.0.113.%d" % (i % 250 + 1)
    s = i * 10
    if kind == "m":
        entry(s, [("SYSLOG_IDENTIFIER", "sshd"), ("_COMM", "sshd"), ("_PID", i),
                  ("SYSLOG_FACILITY", 10),
                  ("MESSAGE", "Failed password for invalid user m%05d from %s port 22 ssh2" % (i, ip))])
    elif kind == "c":
        entry(s, [("_COMM", "sshd-session"), ("_PID", i),
                  ("MESSAGE", "Failed password for invalid user c%05d from %s port 22 ssh2" % (i, ip))])
    else:
        entry(s, [("SYSLOG_IDENTIFIER", "myapp"), ("SYSLOG_PID", i), ("SYSLOG_FACILITY", 10),
                  ("MESSAGE", "pam_unix(myapp:auth): authentication failure; logname= uid=0 "
                              "euid=0 tty= ruser= rhost=%s  user=p%05d" % (ip, i))])
    entry(s + 1, [("SYSLOG_IDENTIFIER", "myapp"), ("SYSLOG_PID", i), ("SYSLOG_FACILITY", 3),
                  ("MESSAGE", "pam_unix(myapp:auth): authentication failure; logname= uid=0 "
                              "euid=0 tty= ruser= rhost=%s  user=x%05d" % (ip, i))])
    entry(s + 2, [("SYSLOG_IDENTIFIER", "cron"), ("SYSLOG_FACILITY", 9),
                  ("MESSAGE", "(root) CMD (run-parts /etc/cron.hourly) %d" % i)])
sys.stdout.write("".join(out))
EOF
}

# journal NAME FIRST LAST: writes the entries into a journal file, then
# moves it into the watched directory whole, as journald's rotation does.
journal() {
    export_entries "$2" "$3" >"$STAGE/$1.export" &&
        "$REMOTE" --output="$STAGE/$1.journal" "$STAGE/$1.export" 2>/dev/null &&
        mv "$STAGE/$1.journal" "$J/$1.journal"
}

# markers FIRST LAST: exactly one event for every auth marker of FIRST..LAST,
# none for any other, and none for the entries the matches drop.
cat >"$TAP_TMP/markers.py" <<'EOF'
import json, sys
out, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
may_repeat = int(sys.argv[4]) if len(sys.argv) > 4 else 0
want = {"%s%05d" % ("mcp"[i % 3], i) for i in range(first, last + 1)}
seen = {}
try:
    for line in open(out):
        o = json.loads(line)
        if o.get("class_uid") == 3002:
            u = o.get("user", {}).get("name", "")
            seen[u] = seen.get(u, 0) + 1
except FileNotFoundError:
    pass
missing = sorted(want - set(seen))
extra = sorted(u for u in seen if u not in want)
twice = sorted(u for u, n in seen.items() if n > 1)
if len(twice) <= may_repeat and all(seen[u] == 2 for u in twice):
    twice = []
if missing or extra or twice:
    print("missing %d %s; unexpected %s; repeated %s" % (len(missing), missing[:5], extra[:5], twice[:5]))
    sys.exit(1)
EOF
markers() {
    python3 "$TAP_TMP/markers.py" "$OUT" "$@"
}

cat >"$TAP_TMP/run.conf" <<EOF
[engine]
slots = 4096
[input.journald]
directory = $J
cursor_file = $TAP_TMP/cursor
cursor_every = 7
from = head
[sink.jsonl]
path = $OUT
events = all
EOF

PID=""
start() {
    "$AG_BIN" run -c "$TAP_TMP/run.conf" >>"$LOG" 2>&1 &
    PID=$!
}
stop() {
    kill -TERM "$PID" 2>/dev/null
    wait "$PID"
}
# shellcheck disable=SC2016 # expanded at exit, to the daemon running then
tap_cleanup 'kill -9 $PID'

tap_plan 13

tap_check "journal-remote writes the first journal file" journal a 1 60
start
tap_check "the first run gets every auth entry of the first file" wait_for 10 markers 1 60
stop && rc=0 || rc=$?
tap_is "SIGTERM: exit status 0" 0 "$rc"
tap_check "the cursor is saved at exit" test -s "$TAP_TMP/cursor"

# While stopped, the journal grows by a file: the restart reads just that.
journal b 61 120
start
tap_check "after a restart: the new file's entries, nothing repeated" wait_for 10 markers 1 120

# Running: journald rotates (a new file appears) and vacuums (the oldest goes).
rm "$J/a.journal"
journal c 121 180
tap_check "a file added while running is read, the vacuumed one is not missed" \
    wait_for 10 markers 1 180
journal d 181 200
tap_check "and another one after that" wait_for 10 markers 1 200
stop && rc=0 || rc=$?
tap_is "second stop: exit status 0" 0 "$rc"

# Restart with nothing new: nothing is read twice, the entry named by the
# cursor included.
start
sleep 1
tap_check "a restart with nothing new repeats nothing" markers 1 200
journal e 201 230
tap_check "entries after that restart arrive once" wait_for 10 markers 1 230
stop

# A crash (SIGKILL) skips the save at exit: the restart carries on from the
# last checkpoint, so at most cursor_every entries come twice and none is lost.
start
journal g 231 300
wait_for 10 markers 1 300
kill -9 "$PID"
wait "$PID" 2>/dev/null
start
journal h 301 320
tap_check "after SIGKILL: nothing lost, at most cursor_every (7) entries again" \
    wait_for 10 markers 1 320 7
stop

# No cursor and from = tail: only what comes after the start.
rm -f "$TAP_TMP/cursor"
sed -i 's/^from = head/from = tail/' "$TAP_TMP/run.conf"
: >"$OUT"
start
sleep 1
journal f 401 420
tap_check "from = tail without a cursor: only entries written after the start" \
    wait_for 10 markers 401 420
stop
tap_not "the journal reader logged no error" grep -Ei "error|cannot|refused" "$LOG"

tap_done
