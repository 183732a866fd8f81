#!/bin/sh
# lines.sh - replay equals live at the line limit: lines of AG_LINE_MAX-2
# .. AG_LINE_MAX+2 bytes, in "\n" and "\r\n" form, give the same events and
# the same line counts from `scan`, from `run`'s file input and from `run`'s
# stdin, though `run` gets each long line in two reads; and `authguard
# rsyslog` keeps or skips its %jsonmesg% lines around its own limit the
# same way whatever the reads. TAP.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

command -v python3 >/dev/null || tap_skip_all "python3 is needed to write the inputs"

T=$TAP_TMP
FEED="python3 $AG_SRCDIR/tests/integration/lines_feed.py"
LINE_MAX=16384       # AG_LINE_MAX, filters/event.h
RS_LINE_MAX=262144   # RS_LINE_MAX, plugin/rsyslog.c
PID=""
# shellcheck disable=SC2016 # expanded at exit, to the daemon running then
tap_cleanup 'kill -9 $PID'

$FEED gen "$LINE_MAX" "$T/lines.log"

# ---- scan: the reference --------------------------------------------------------
"$AG_BIN" scan --no-progress --json --events "$T/lines.log" >"$T/scan.jsonl" 2>"$T/scan.err"
$FEED events "$T/scan.jsonl" >"$T/scan.ev"
# 30 long lines (18 of at most LINE_MAX bytes) and 30 short ones.
tap_grep "scan: 60 lines, 48 events, the 12 over the limit oversize" \
    '^scan: 60 lines, 48 events, 12 unparsed \(12 oversize\)' "$T/scan.err"
tap_is "scan: a line of exactly AG_LINE_MAX bytes is kept, in both forms" 6 \
    "$(grep -c "^m" "$T/scan.ev")"

# ---- run, file input: each long line arrives in two reads -----------------------
cat >"$T/file.conf" <<EOF
[engine]
slots = 4096
[input.file]
paths = $T/auth.log
from = head
position_file = $T/files.pos
[sink.jsonl]
path = $T/file.jsonl
EOF
: >"$T/auth.log"
"$AG_BIN" run -c "$T/file.conf" 2>"$T/file.err" &
PID=$!
sleep 0.5
$FEED pieces "$T/lines.log" "$T/auth.log"
sleep 0.5
kill -TERM "$PID"
wait "$PID" && rc=0 || rc=$?
PID=""
tap_is "run (file): exit status 0" 0 "$rc"
$FEED events "$T/file.jsonl" >"$T/file.ev"
tap_check "run (file): the same events as scan" cmp "$T/scan.ev" "$T/file.ev"
tap_grep "run (file): the same 60 lines and 48 events as scan" \
    'stopped: 60 lines and entries, 48 events' "$T/file.err"

# ---- run, stdin: the same bytes through a pipe, in the same pieces -------------------
printf '[engine]\nslots = 4096\n[input.stdin]\nenabled = on\n[sink.jsonl]\npath = %s\n' \
    "$T/stdin.jsonl" >"$T/stdin.conf"
$FEED pieces "$T/lines.log" | "$AG_BIN" run -c "$T/stdin.conf" 2>"$T/stdin.err" && rc=0 || rc=$?
tap_is "run (stdin): exit status 0" 0 "$rc"
$FEED events "$T/stdin.jsonl" >"$T/stdin.ev"
tap_check "run (stdin): the same events as scan" cmp "$T/scan.ev" "$T/stdin.ev"
tap_grep "run (stdin): the same 60 lines and 48 events as scan" \
    'stopped: 60 lines and entries, 48 events' "$T/stdin.err"

# ---- rsyslog: its own limit, the same splitter ------------------------------------------
$FEED rsyslog "$AG_BIN" "$RS_LINE_MAX" "$T" >"$T/rs.out" 2>&1 || true
grep -q '^PASS\|^FAIL' "$T/rs.out" || tap_fail "rsyslog: the feeder ran"
while IFS= read -r l; do
    case $l in
        PASS*) tap_pass "${l#PASS }" ;;
        FAIL*) tap_fail "${l#FAIL }" ;;
    esac
done <"$T/rs.out"
tap_grep "rsyslog: the lines over its limit counted oversize" ' 40 lines, .* 16 oversize' \
    "$T/lines_rs.log"

tap_not "no sanitizer report" grep -E "Sanitizer|runtime error" "$T/file.err" "$T/stdin.err" \
    "$T/lines_rs.log"

tap_done
