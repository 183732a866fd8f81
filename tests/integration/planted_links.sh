#!/bin/sh
# planted_links.sh - no file authguard writes is opened through a symbolic
# link planted at its name (the JSON lines, the position file's temporary,
# the journal cursor's, rsyslog's --log): the link's target stays as it was,
# and what authguard creates is 0600 under umask 022. TAP.
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

D=$TAP_TMP/d
V=$TAP_TMP/victim
mkdir -p "$D"
printf 'victim\n' >"$V"
chmod 0644 "$V"
umask 022
intact() { [ "$(cat "$V")" = "victim" ] && [ "$(stat -c %a "$V")" = 644 ]; }
mode() { stat -c %a "$1"; }

tap_plan 8

# JSON lines through `run`: refused with a message that says why.
sshd_failures a 1 3 >"$D/auth.log"
ln -s "$V" "$D/out.jsonl"
cat >"$D/run.conf" <<EOT
[input.file]
paths = $D/auth.log
from = head
position_file = $D/files.pos
[input.stdin]
enabled = off
[sink.jsonl]
path = $D/out.jsonl
EOT
timeout 10 "$AG_BIN" run -c "$D/run.conf" >"$TAP_TMP/run.out" 2>&1 && rc=0 || rc=$?
tap_is "run refuses a JSON-lines path that is a symbolic link" 2 "$rc"
tap_grep "... saying so" "symbolic link" "$TAP_TMP/run.out"
tap_check "... and its target is untouched" intact

# The position file's old temporary name, planted: the save goes around it.
rm "$D/out.jsonl"
ln -s "$V" "$D/files.pos.tmp"
"$AG_BIN" run -c "$D/run.conf" >"$TAP_TMP/run.out" 2>&1 </dev/null &
PID=$!
# shellcheck disable=SC2016
tap_cleanup 'kill -9 $PID'
wait_for 10 grep -q "a0003" "$D/out.jsonl"
kill -TERM "$PID"
wait "$PID" || true
tap_check "a planted files.pos.tmp leaves its target untouched" intact
tap_grep "... and the positions are saved" "^[0-9]+ [0-9]+ [0-9]+ [0-9]+ [0-9a-f]{16} $D/auth.log\$" \
    "$D/files.pos"
tap_is "the JSON-lines file is created 0600 under umask 022" 600 "$(mode "$D/out.jsonl")"
tap_is "... and the position file too" 600 "$(mode "$D/files.pos")"

# rsyslog's --log
ln -s "$V" "$D/rsyslog.log"
"$AG_BIN" rsyslog --log "$D/rsyslog.log" </dev/null >/dev/null 2>&1 || true
tap_check "rsyslog --log does not write through a planted link" intact
tap_done
