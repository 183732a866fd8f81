#!/bin/sh
# log_journal.sh - the sinks' messages reach the host's log through one
# channel. `authguard run` under systemd (stderr is the journal's stream,
# named by JOURNAL_STREAM) prefixes them with their sd-daemon priority, "<3>"
# for an error, so the journal records the level; with stderr anywhere else
# the same message comes plain.
set -eu
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

T=$TAP_TMP
head -3 "$AG_SRCDIR/tests/data/sample.log" >"$T/in.log"
# /dev/full refuses every write: the jsonl sink reports it, as an error.
printf '[input.stdin]\nenabled = on\n[sink.jsonl]\npath = /dev/full\n' >"$T/run.conf"

# run_with STREAM_OF_STDERR: runs until the sink has spoken, then stops it.
run_with() {
    : >"$T/err.txt"
    JOURNAL_STREAM=$1 "$AG_BIN" run -c "$T/run.conf" <"$T/in.log" 2>>"$T/err.txt" &
    pid=$!
    wait_for 10 grep -q 'jsonl: /dev/full' "$T/err.txt" || true
    kill -TERM "$pid" 2>/dev/null || true
    sleep 0.5
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

: >"$T/err.txt"
run_with "$(stat -c '%d:%i' "$T/err.txt")"
tap_grep "under JOURNAL_STREAM: an error with priority <3>" \
    '^<3>authguard: jsonl: /dev/full: No space left on device' "$T/err.txt"

run_with "0:0"
tap_grep "stderr elsewhere: the same message, plain" \
    '^authguard: jsonl: /dev/full: No space left on device' "$T/err.txt"
tap_not "...without a priority prefix" grep -q '^<[0-9]>' "$T/err.txt"
tap_done
