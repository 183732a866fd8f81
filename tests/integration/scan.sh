#!/bin/sh
# scan.sh - `authguard scan` end to end on real files: the staged attacks of
# generated logs are found in every header format, quiet traffic stays quiet,
# output is valid JSON, runs are deterministic, and bad input (missing files,
# NUL bytes, megabyte lines, binary garbage, bad configs) gets a clear error
# and loses nothing.
set -eu
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

S=$AG_SRCDIR
T=$TAP_TMP
PY=python3

# run_findings DESC JSONL TRUTH: re-emits findings.py's checks as ours.
run_findings() {
    "$PY" "$S/tests/integration/findings.py" "$2" "$3" >"$T/f.tap" 2>&1 || true
    grep -E '^(not )?ok ' "$T/f.tap" | while IFS= read -r l; do
        desc=${l#* - }
        case $l in
            "not ok"*) echo "F $1: $desc" ;;
            *) echo "P $1: $desc" ;;
        esac
    done >"$T/f.res"
    grep -q . "$T/f.res" || echo "F $1: findings.py produced no checks" >"$T/f.res"
    while IFS= read -r r; do
        case $r in
            P*) tap_pass "${r#P }" ;;
            F*) tap_fail "${r#F }"; grep '^#' "$T/f.tap" | head -5 ;;
        esac
    done <"$T/f.res"
}

# -- the bundled sample ------------------------------------------------------
tap_check "scan of the bundled sample exits 0" \
    sh -c '"$0" scan --no-progress --json "$1" >"$2" 2>"$3"' "$AG_BIN" "$S/tests/data/sample.log" \
    "$T/sample.jsonl" "$T/sample.err"
tap_grep "summary counts the 2000 lines" '^scan: 2000 lines' "$T/sample.err"
tap_check "every output line is valid JSON" \
    "$PY" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/sample.jsonl"
run_findings sample "$T/sample.jsonl" "$S/tests/data/sample.truth.jsonl"

"$AG_BIN" scan --no-progress --json "$S/tests/data/sample.log" >"$T/again.jsonl" 2>/dev/null
tap_check "scanning the same file twice gives identical output" cmp "$T/sample.jsonl" "$T/again.jsonl"

"$AG_BIN" scan --no-progress --json - <"$S/tests/data/sample.log" >"$T/stdin.jsonl" 2>/dev/null
tap_check "stdin gives the same findings as the file" cmp "$T/sample.jsonl" "$T/stdin.jsonl"

"$AG_BIN" scan --no-progress --color never "$S/tests/data/sample.log" >"$T/table.txt" 2>&1
tap_grep "readable view shows the summary's recommended actions" '^   Recommended actions' "$T/table.txt"
tap_grep "readable view blocks with a network ACL entry" 'create-network-acl-entry .* --rule-action deny' "$T/table.txt"
tap_not "readable view has no escape sequences with --color never" grep -q "$(printf '\033')" "$T/table.txt"

"$AG_BIN" scan --no-progress --json --events "$S/tests/data/sample.log" >"$T/ev.jsonl" 2>"$T/ev.err"
ev_json=$(grep -c '"class_uid":3002' "$T/ev.jsonl" || true)
ev_sum=$(sed -n 's/^scan: [0-9]* lines, \([0-9]*\) events.*/\1/p' "$T/ev.err")
tap_is "--events prints one OCSF event per recognized event" "$ev_sum" "$ev_json"
tap_cmp "the sample has events" -gt "$ev_json" 500

# -- every header format, bigger logs ------------------------------------------
for fmt in bsd iso rfc5424; do
    "$PY" "$S/tests/gen/genlog.py" --lines 60000 --rate 3 --seed 11 --format "$fmt" --scenario all \
        --truth "$T/$fmt.truth" >"$T/$fmt.log"
    touch -d 2026-11-02T12:00:00Z "$T/$fmt.log"   # BSD lines take the file's year
    "$AG_BIN" scan --no-progress --json --tz UTC "$T/$fmt.log" >"$T/$fmt.jsonl" 2>"$T/$fmt.err"
    tap_grep "$fmt: no unparsed lines" '^scan: 60000 lines, [0-9]+ events, 0 unparsed' "$T/$fmt.err"
    run_findings "$fmt" "$T/$fmt.jsonl" "$T/$fmt.truth"
done

# -- inputs that must fail cleanly -------------------------------------------------
rc=0
"$AG_BIN" scan --no-progress --json "$T/missing.log" "$S/tests/data/sample.log" \
    >"$T/miss.jsonl" 2>"$T/miss.err" || rc=$?
tap_is "a missing file makes the exit status 1" 1 "$rc"
tap_grep "a missing file is named in a one-line error" "cannot open '.*missing.log': No such file" "$T/miss.err"
tap_check "the readable files are still scanned" cmp "$T/sample.jsonl" "$T/miss.jsonl"

rc=0
"$AG_BIN" scan "$T" >/dev/null 2>"$T/dir.err" || rc=$?
tap_is "a directory is refused with exit status 1" 1 "$rc"

"$PY" - "$T/hostile.log" <<'PYEOF'
import os, random, sys
r = random.Random(5)
hdr = "2026-11-01T00:00:%02d+00:00 web-1 sshd[1]: "
with open(sys.argv[1], "wb") as f:
    f.write((hdr % 1 + "Failed password for root from 203.0.113.5 port 22 ssh2\n").encode())
    f.write((hdr % 2).encode() + b"Failed password for ro\0ot from 203.0.113.6 port 22 ssh2\n")
    f.write((hdr % 3).encode() + b"A" * (1 << 20) + b"\n")
    f.write(bytes(r.randrange(256) for _ in range(200000)).replace(b"\n", b"") + b"\n")
    f.write((hdr % 4 + "Failed password for invalid user \x1b[2J\"x\\ from 8.8.8.8 port 22 ssh2 "
             "from 203.0.113.7 port 4242 ssh2\n").encode())
    f.write((hdr % 5 + "Failed password for root from 203.0.113.8 port").encode())
PYEOF
rc=0
"$AG_BIN" scan --no-progress --json --events "$T/hostile.log" >"$T/hostile.jsonl" 2>"$T/hostile.err" || rc=$?
tap_is "hostile input: exit status 0" 0 "$rc"
tap_grep "hostile input: NUL, 1 MiB and garbage lines counted as unparsed" \
    '^scan: 6 lines, 2 events, 3 unparsed \(2 oversize\)' "$T/hostile.err"
tap_check "hostile input: the fake from clause does not frame 8.8.8.8" \
    "$PY" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
ips = [e["src_endpoint"]["ip"] for e in ev if e["class_uid"] == 3002]
assert ips == ["203.0.113.5", "203.0.113.7"], ips
u = ev[1]["user"]["name"]
assert u == "\x1b[2J\"x\\ from 8.8.8.8 port 22 ssh2", repr(u)
' "$T/hostile.jsonl"
tap_not "hostile input: no raw escape byte reaches the JSON" grep -q "$(printf '\033')" "$T/hostile.jsonl"

# -- configuration errors ------------------------------------------------------------
printf '[rule.bruteforce]\nthreshold = six\n' >"$T/bad.conf"
rc=0
"$AG_BIN" scan --config "$T/bad.conf" "$S/tests/data/sample.log" >/dev/null 2>"$T/bad.err" || rc=$?
tap_is "a bad config is refused with exit status 2" 2 "$rc"
tap_grep "the error names file, line and key" 'bad.conf:2: \[rule.bruteforce\] threshold: expected a whole number' "$T/bad.err"

printf '[rule.bruteforce]\nthreshold = 2\nwindow = 10m\n[rule.slow_bruteforce]\nenabled = off\n' >"$T/strict.conf"
"$AG_BIN" scan --no-progress --json --config "$T/strict.conf" "$S/tests/data/sample.log" \
    >"$T/strict.jsonl" 2>"$T/strict.err"
n_default=$(grep -c '"activity_id":1,"activity_name":"Create"' "$T/sample.jsonl" || true)
n_strict=$(grep -c '"activity_id":1,"activity_name":"Create"' "$T/strict.jsonl" || true)
tap_cmp "a stricter bruteforce threshold finds more" -gt "$n_strict" "$n_default"
tap_not "a disabled rule raises nothing" grep -q '"rule":"slow_bruteforce"' "$T/strict.jsonl"

# -- a configured JSON-lines sink ---------------------------------------------------
printf '[sink.jsonl]\npath = %s\nevents = failures\n' "$T/sink.jsonl" >"$T/sink.conf"
"$AG_BIN" scan --no-progress --config "$T/sink.conf" "$S/tests/data/sample.log" >/dev/null 2>&1
tap_check "[sink.jsonl] writes findings and failure events to its file" "$PY" -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
ev = [o for o in objs if o["class_uid"] == 3002]
fi = [o for o in objs if o["class_uid"] == 2004]
assert ev and fi, (len(ev), len(fi))
assert all(o["status_id"] == 2 for o in ev), "a success passed events = failures"
' "$T/sink.jsonl"
printf '[sink.jsonl]\npath = %s\nformat = xml\n' "$T/x.jsonl" >"$T/sinkbad.conf"
rc=0
"$AG_BIN" scan --config "$T/sinkbad.conf" "$S/tests/data/sample.log" >/dev/null 2>"$T/sinkbad.err" || rc=$?
tap_is "an unknown sink key is refused" 2 "$rc"
tap_grep "the error names the sink key" 'sinkbad.conf:3: \[sink.jsonl\] format: unknown key' "$T/sinkbad.err"

# The README's recognition table is the catalogue's own output.
"$AG_BIN" catalogue --markdown >"$T/catalogue.md"
sed -n '/^<!-- catalogue:begin/,/^<!-- catalogue:end -->/p' "$S/README.md" | sed '1d;$d' >"$T/readme_catalogue.md"
tap_grep "catalogue --markdown prints a table" '^\| sshd \| `Failed %m for %u from %h port %p ssh2` \|' "$T/catalogue.md"
if cmp -s "$T/catalogue.md" "$T/readme_catalogue.md"; then
    tap_pass "README's recognition table equals authguard catalogue --markdown"
else
    tap_fail "README's recognition table equals authguard catalogue --markdown"
    diff "$T/readme_catalogue.md" "$T/catalogue.md" | head -10 | sed 's/^/#   /'
fi
rc=0
"$AG_BIN" catalogue --nonsense >/dev/null 2>"$T/cat.err" || rc=$?
tap_is "catalogue refuses an unknown argument" 2 "$rc"

tap_done
