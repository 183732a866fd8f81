#!/bin/sh
# run_full_disk.sh - `authguard run` writing JSON lines to a real tmpfs that
# fills in the middle of the run: no line is left cut or glued, the file
# positions and the journal cursor do not move past what was not written,
# and once the disk is freed every output arrives exactly once, whether the
# daemon keeps going or is restarted (a daemon stopped while the disk is
# still full writes, after its restart, the outputs it could not write;
# outputs written before the last position save may then come twice, never
# none). The reference is `authguard scan --json --events` of the same
# input. Needs root (mount -t tmpfs). TAP.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

command -v python3 >/dev/null || tap_skip_all "python3 is needed to read the JSON output"
[ "$(id -u)" -eq 0 ] || tap_skip_all "not root: a full disk needs mount -t tmpfs (CI runs this as root)"

DISK=$TAP_TMP/disk
SAMPLE=$AG_SRCDIR/tests/data/sample.log
OUT=$DISK/out.jsonl
WANT=$TAP_TMP/want.jsonl
LOG=$TAP_TMP/run.log
POS=$TAP_TMP/files.pos
CONF=$TAP_TMP/run.conf
mkdir -p "$DISK"
mount -t tmpfs -o size=2m,mode=0700 authguard-test "$DISK" ||
    tap_skip_all "mount -t tmpfs failed (a container without CAP_SYS_ADMIN?)"
# shellcheck disable=SC2016 # expanded at exit
tap_cleanup 'umount "$DISK"'

# same.py OUT WANT [repeats]: OUT is whole lines of JSON, and holds every
# event and finding of WANT exactly once (events by message and time, findings
# by uid and activity), or at least once with repeats allowed.
cat >"$TAP_TMP/same.py" <<'EOF'
import collections, json, sys
out, want = sys.argv[1], sys.argv[2]
repeats = len(sys.argv) > 3
def outputs(path):
    c = collections.Counter()
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            if not line.endswith(b"\n"):
                sys.exit("%s: line %d is cut short" % (path, n))
            try:
                o = json.loads(line)
            except ValueError:
                sys.exit("%s: line %d is not JSON: %.80r" % (path, n, line))
            if o["class_uid"] == 3002:
                # the message itself: a journal entry has no syslog header
                c["event", o["raw_data"].split("]: ", 1)[-1], o["time"]] += 1
            else:
                c["finding", o["finding_info"]["uid"], o["activity_id"]] += 1
    return c
got, exp = outputs(out), outputs(want)
missing = sum(((exp - got)).values())
extra = [k for k in got if k not in exp]
twice = sum(n - exp[k] for k, n in got.items() if k in exp and n > exp[k])
print("%d outputs, %d missing, %d unknown, %d repeated" % (sum(got.values()), missing,
                                                          len(extra), twice))
sys.exit(1 if missing or extra or (twice and not repeats) else 0)
EOF
same() { python3 "$TAP_TMP/same.py" "$OUT" "$WANT" "$@" >"$TAP_TMP/same.out" 2>&1; }
whole() { python3 "$TAP_TMP/same.py" "$OUT" "$OUT" >/dev/null 2>&1; }
show_same() { sed 's/^/# /' "$TAP_TMP/same.out"; }

"$AG_BIN" scan --json --events "$SAMPLE" >"$WANT" 2>/dev/null
N=$(wc -l <"$WANT" | tr -d ' ')

cat >"$CONF" <<EOF
[engine]
slots = 4096
[input.file]
paths = $SAMPLE
from = head
position_file = $POS
[sink.jsonl]
path = $OUT
EOF

PID=""
# shellcheck disable=SC2016
tap_cleanup 'kill -9 $PID'
start() {
    "$AG_BIN" run -c "$CONF" >>"$LOG" 2>&1 &
    PID=$!
}
stop() {
    kill -TERM "$PID"
    wait "$PID" && rc=0 || rc=$?
}
# fill: leaves about 64 KiB of the 2 MiB free, a few dozen outputs' worth (the
# reference is about 1.2 MB).
fill() { dd if=/dev/zero of="$DISK/filler" bs=1k count=1984 2>/dev/null || true; }
free_disk() { rm -f "$DISK/filler"; }
fresh() { rm -f "$OUT" "$POS" "$DISK/filler"; : >"$LOG"; }
pos_off() { awk -v p="$SAMPLE" '$6 == p { print $3 }' "$POS"; }
said() { grep -q "$1" "$LOG"; }
# The sink says so at once; the input may be waiting in it (backpressure)
# before its next position save would say so too.
held() { said "out.jsonl: No space left on device; the lines not written are held"; }
SIZE=$(wc -c <"$SAMPLE" | tr -d ' ')

tap_plan 17
tap_ok "scan gives the reference: $N outputs" [ "$N" -gt 800 ]

# ---- the disk fills, is freed, the daemon keeps going ---------------------------------
fresh
fill
start
tap_check "a full disk is reported" wait_for 10 held
sleep 1
tap_check "while full, every line in the file is whole JSON (a short write cut back)" whole
tap_not "... and the position is not at the end of the file" [ "$(pos_off)" = "$SIZE" ]
free_disk
tap_check "disk freed: every output arrives exactly once, while running" wait_for 15 same
show_same
tap_check "... and the positions move to the end" wait_for 5 [ "$(pos_off)" = "$SIZE" ]
stop
tap_grep "stopped with 0 outputs undelivered" "0 outputs undelivered" "$LOG"

# ---- the disk fills, is freed, the daemon is restarted ---------------------------------
fresh
fill
start
wait_for 10 held
free_disk
wait_for 15 same
stop
start
sleep 2
stop
tap_check "a restart after the disk was freed writes nothing twice, loses nothing" same
show_same

# ---- the daemon is stopped while the disk is still full -----------------------------------
fresh
fill
start
wait_for 10 held
stop
tap_is "stopped while full: exit status 0" 0 "$rc"
tap_grep "... and it says outputs were not delivered" "[1-9][0-9]* outputs undelivered" "$LOG"
tap_check "... every line in the file is whole JSON" whole
tap_not "... and the position is not at the end of the file" [ "$(pos_off)" = "$SIZE" ]
free_disk
start
tap_check "restart after freeing: every output arrives, none cut, none glued" \
    wait_for 15 same repeats
show_same
stop
tap_grep "... and it stops with 0 outputs undelivered" "0 outputs undelivered" "$LOG"

# ---- journald: the cursor is held the same way -----------------------------------------
REMOTE=/lib/systemd/systemd-journal-remote
if [ ! -x "$REMOTE" ]; then
    for i in 1 2 3; do tap_skip "systemd-journal-remote is not installed"; done
    tap_done
fi
J=$TAP_TMP/journal
CURSOR=$TAP_TMP/journald.cursor
mkdir -p "$J"
# The sample's sshd lines as journal entries, in Journal Export Format; the
# reference is the same lines as a syslog file, scanned.
python3 - "$SAMPLE" "$TAP_TMP/j.export" "$TAP_TMP/j.log" <<'EOF'
import re, sys, time
src, export, flat = sys.argv[1:4]
head = re.compile(r"^\S+ (\S+) (sshd)\[(\d+)\]: (.*)$")
base = (int(time.time()) - 3600) * 1000000
with open(src) as f, open(export, "w") as e, open(flat, "w") as o:
    for i, line in enumerate(f):
        m = head.match(line.rstrip("\n"))
        if not m:
            continue
        host, prog, pid, msg = m.groups()
        t = base + i * 1000
        e.write("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n"
                "_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=%s\n"
                "SYSLOG_IDENTIFIER=%s\n_PID=%s\nSYSLOG_FACILITY=10\nMESSAGE=%s\n\n"
                % (t, 1000 + i, host, prog, pid, msg))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t / 1e6))
        o.write("%s.%06d+00:00 %s %s[%s]: %s\n" % (stamp, t % 1000000, host, prog, pid, msg))
EOF
"$REMOTE" --output="$J/a.journal" "$TAP_TMP/j.export" 2>/dev/null
"$AG_BIN" scan --json --events "$TAP_TMP/j.log" >"$WANT" 2>/dev/null
cat >"$CONF" <<EOF
[engine]
slots = 4096
[input.journald]
directory = $J
from = head
cursor_file = $CURSOR
cursor_every = 100
[sink.jsonl]
path = $OUT
EOF
held() { said "journald: .* outputs undelivered; cursor left"; }
fresh
rm -f "$CURSOR"
fill
start
tap_check "journald: a full disk is reported and the cursor is held" wait_for 10 held
free_disk
tap_check "disk freed: every output arrives exactly once" wait_for 15 same
show_same
stop
start
sleep 2
stop
tap_check "... and a restart repeats none of them" same
show_same
tap_done
