#!/bin/sh
# smtp.sh - [sink.smtp] against a real SMTP server (aiosmtpd) on loopback:
# one mail per finding with the headers and the summary, the hourly rate
# limit, SMTP AUTH, the Bedrock summary when it arrives in time and the
# built-in one (with the reason) when Bedrock fails, and no attacker byte
# in a header.
set -eu
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

S=$AG_SRCDIR
T=$TAP_TMP
PY=/usr/bin/python3
MODEL='us.anthropic.claude-3-5-sonnet-20241022-v2:0'
WIRE='us.anthropic.claude-3-5-sonnet-20241022-v2%3A0'
mkdir -p "$T/home"
HOME=$T/home
AWS_EC2_METADATA_DISABLED=true
AWS_ACCESS_KEY_ID=AKIDEXAMPLE
AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
export HOME AWS_EC2_METADATA_DISABLED AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_BEARER_TOKEN_BEDROCK 2>/dev/null || true

# start_smtp NAME [ARGS...]: aiosmtpd on a free port; sets SMTP_PORT.
start_smtp() {
    name=$1
    shift
    SMTP_PORT=$(free_port)
    "$PY" "$S/tests/integration/fake_smtp.py" --port "$SMTP_PORT" --log "$T/$name.mail" "$@" \
        >"$T/$name.smtpout" 2>&1 &
    tap_cleanup "kill $!"
    wait_for_port "$SMTP_PORT" 10 || tap_bail "SMTP server did not start"
    : >>"$T/$name.mail"
}

start_bedrock() {
    name=$1
    mode=$2
    shift 2
    "$PY" "$S/tests/integration/fake_bedrock.py" --port-file "$T/$name.port" --log "$T/$name.blog" \
        --mode "$mode" --model-path "$WIRE" "$@" >"$T/$name.bout" 2>&1 &
    tap_cleanup "kill $!"
    wait_for 10 test -s "$T/$name.port" || tap_bail "fake Bedrock did not start"
    BEDROCK_PORT=$(cat "$T/$name.port")
}

smtp_conf() {
    printf '[sink.smtp]\nurl = smtp://127.0.0.1:%s\ntls = off\nfrom = authguard@example.com\n' \
        "$SMTP_PORT"
    printf 'to = soc@example.com, oncall@example.com\nsubject_prefix = [ag-test]\n'
    for kv in "$@"; do printf '%s\n' "$kv" | sed 's/=/ = /'; done
}

bedrock_conf() {
    printf '[sink.bedrock]\nmodel_id = %s\nendpoint = http://127.0.0.1:%s\ntimeout = 20s\n' \
        "$MODEL" "$BEDROCK_PORT"
    printf 'cooldown = 0\nbackoff_base = 50ms\ncalls_per_hour = 1000\nworkers = 4\n'
}

scan() {
    AG_SMTP_STATS=1 "$AG_BIN" scan --no-progress --json --config "$T/$1.conf" "$2" \
        >"$T/$1.jsonl" 2>"$T/$1.err" && rc=0 || rc=$?
}

# facts NAME: about the mails received and the findings written.
facts() {
    "$PY" - "$T/$1.mail" "$T/$1.jsonl" >"$T/$1.facts" <<'EOF'
import email, email.policy, json, re, sys
mails = [json.loads(l) for l in open(sys.argv[1])]
out = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
uids = {o["finding_info"]["uid"] for o in out if o.get("class_uid") == 2004}
creates = sum(1 for o in out if o.get("class_uid") == 2004 and o["activity_id"] == 1)
f = {"mails": len(mails), "creates": creates}
ok = {k: 0 for k in ("rcpt", "from", "to", "subject", "date", "msgid", "uid", "body",
                     "printable_headers", "model", "builtin_note", "login", "esc", "source_bedrock",
                     "model_fenced", "own_first", "hidden", "bidi_escaped")}
# what only the model writes (the default answer and the hostile one)
MODEL_ONLY = ("password-guessing bot", "rm -rf", "fix.sh", "```", "not written by the model")
# Characters that are invisible or reorder text (bidi, zero-width, separators).
hidden = [chr(c) for c in (0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068,
                           0x2069, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2028, 0x2029,
                           0xfeff, 0x061c, 0x180e, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064)]
for m in mails:
    msg = email.message_from_string(m["data"], policy=email.policy.default)
    raw_head = re.split(r"\r?\n\r?\n", m["data"], 1)[0]  # the wire has CRLF
    body = msg.get_content()
    ok["rcpt"] += sorted(m["rcpt_tos"]) == ["oncall@example.com", "soc@example.com"]
    ok["from"] += m["mail_from"] == "authguard@example.com" and str(msg["From"]) == "authguard@example.com"
    ok["to"] += [a.addr_spec for a in msg["To"].addresses] == ["soc@example.com", "oncall@example.com"]
    ok["subject"] += str(msg["Subject"]).startswith("[ag-test] ")
    ok["date"] += msg["Date"] is not None and msg["Date"].datetime is not None
    ok["msgid"] += str(msg["Message-ID"]).endswith("@authguard>")
    ok["uid"] += msg["X-Authguard-Finding"] in uids
    ok["body"] += "Key findings" in body and "Recommended actions" in body
    ok["printable_headers"] += all(32 <= ord(c) < 127 or c in "\r\n\t" for c in raw_head)
    ok["model"] += "password-guessing bot" in body and "model-generated" in body
    ok["source_bedrock"] += (str(msg["X-Authguard-Model-Summary"]).startswith("bedrock:")
                             and str(msg["X-Authguard-Summary-Source"]) == "local")
    lines = body.splitlines()
    model_lines = [l for l in lines if any(w in l for w in MODEL_ONLY)]
    ok["model_fenced"] += bool(model_lines) and all(l.startswith("model> ") for l in model_lines)
    head = [i for i, l in enumerate(lines) if l.startswith("---- Summary written by a language model")]
    ok["own_first"] += (len(head) == 1 and "Recommended actions" in lines[:head[0]]
                        and all(l.startswith("model> ") for l in lines[head[0] + 5:-1]))
    ok["builtin_note"] += "the Bedrock summary is unavailable: HTTP 500" in body
    ok["login"] += m["login"] == "alert"
    ok["esc"] += "\x1b" in m["data"]
    ok["hidden"] += any(h in m["data"] for h in hidden)
    ok["bidi_escaped"] += "ro\\u202eot" in body and "ro\\\\u202eot" not in body
f.update(ok)
for k, v in f.items():
    print(k, v)
EOF
}
fact() { sed -n "s/^$2 //p" "$T/$1.facts"; }

# -- plain mail, rate-limited -------------------------------------------------------------
start_smtp plain
smtp_conf max_per_hour=3 >"$T/plain.conf"
scan plain "$S/tests/data/sample.log"
facts plain
tap_is "scan exits 0 with the mail sink" 0 "$rc"
tap_cmp "the sample raises more findings than the limit" -gt "$(fact plain creates)" 3
tap_is "max_per_hour = 3: exactly 3 mails" 3 "$(fact plain mails)"
tap_grep "...and the rest are counted as suppressed" "^smtp: 3 sent, $(($(fact plain creates) - 3)) suppressed" "$T/plain.err"
tap_is "envelope: both recipients" 3 "$(fact plain rcpt)"
tap_is "From header and envelope sender" 3 "$(fact plain from)"
tap_is "To header lists both" 3 "$(fact plain to)"
tap_is "Subject carries the prefix" 3 "$(fact plain subject)"
tap_is "Date header parses" 3 "$(fact plain date)"
tap_is "Message-ID header" 3 "$(fact plain msgid)"
tap_is "X-Authguard-Finding names a finding of the output" 3 "$(fact plain uid)"
tap_is "body is the built-in summary" 3 "$(fact plain body)"

# -- SMTP AUTH -------------------------------------------------------------------------------------
start_smtp auth --user alert --password 's3cret'
smtp_conf max_per_hour=2 username=alert password=s3cret >"$T/auth.conf"
scan auth "$S/tests/data/sample.log"
facts auth
tap_is "AUTH: mails accepted with the configured login" "2 2" "$(fact auth mails) $(fact auth login)"
start_smtp noauth --user alert --password 's3cret'
smtp_conf max_per_hour=2 username=alert password=wrong >"$T/noauth.conf"
scan noauth "$S/tests/data/sample.log"
facts noauth
tap_is "wrong password: nothing accepted" 0 "$(fact noauth mails)"
tap_grep "wrong password: reported on stderr" 'not mailed' "$T/noauth.err"
tap_is "wrong password: scan says outputs were lost (exit 1)" 1 "$rc"

# -- the Bedrock summary when it arrives in time ---------------------------------------------------
start_smtp withllm
start_bedrock llm text
{ bedrock_conf; smtp_conf max_per_hour=100 wait_for_summary=90s; } >"$T/withllm.conf"
scan withllm "$S/tests/data/sample.log"
facts withllm
n=$(fact withllm mails)
tap_is "with Bedrock: one mail per finding" "$(fact withllm creates)" "$n"
tap_is "with Bedrock: every mail carries the model's summary, marked model-generated" "$n" \
    "$(fact withllm model)"
tap_is "with Bedrock: X-Authguard-Model-Summary says bedrock, the summary source stays local" "$n" \
    "$(fact withllm source_bedrock)"
tap_is "with Bedrock: every line of the model's text carries the model mark" "$n" \
    "$(fact withllm model_fenced)"
tap_is "with Bedrock: authguard's summary and actions first, then the model's, fenced" "$n" \
    "$(fact withllm own_first)"
tap_is "with Bedrock: no escape byte in any mail" 0 "$(fact withllm esc)"

# -- a hostile model: forged headers, fenced shell, escapes and bidi in its answer ----------------
start_smtp evil
"$PY" "$S/tests/integration/fake_bedrock.py" --write-hostile-answer "$T/evil.answer"
start_bedrock evilb text --answer "$T/evil.answer"
{ bedrock_conf; smtp_conf max_per_hour=5 wait_for_summary=90s; } >"$T/evil.conf"
scan evil "$S/tests/data/sample.log"
facts evil
n=$(fact evil mails)
tap_cmp "hostile model: mailed" -gt "$n" 0
tap_is "hostile model: no line of its text without the model mark" "$n" "$(fact evil model_fenced)"
tap_is "hostile model: authguard's own summary and actions come first" "$n" "$(fact evil own_first)"
tap_is "hostile model: no escape byte in any mail" 0 "$(fact evil esc)"
tap_not "hostile model: no bidi or zero-width character in any mail" grep -q \
    -e '\\u202e' -e '\\u2066' -e '\\u200b' -e '\\u2028' "$T/evil.mail"

# -- Bedrock fails: the built-in summary, saying why -------------------------------------------------
start_smtp fail
start_bedrock e500 e500
{ bedrock_conf; printf 'max_attempts = 2\n'; smtp_conf max_per_hour=100 wait_for_summary=20s; } \
    >"$T/fail.conf"
scan fail "$S/tests/data/sample.log"
facts fail
n=$(fact fail mails)
tap_is "Bedrock failing: still one mail per finding" "$(fact fail creates)" "$n"
tap_is "Bedrock failing: built-in summary with the reason" "$n" "$(fact fail builtin_note)"
tap_is "Bedrock failing: body is the built-in summary" "$n" "$(fact fail body)"

# -- hostile names never reach a header -----------------------------------------------------------------
i=0
while [ $i -lt 8 ]; do
    printf 'Nov  9 04:07:%02d web-1 sshd[%d]: Failed password for invalid user %s from 203.0.113.45 port %d ssh2\n' \
        $((10 + i)) $((4000 + i)) "$(printf 'x\033[2J\rSubject: fake')" $((50000 + i))
    i=$((i + 1))
done >"$T/hostile.log"
start_smtp host
smtp_conf max_per_hour=100 >"$T/host.conf"
scan host "$T/hostile.log"
facts host
tap_cmp "hostile: mailed" -gt "$(fact host mails)" 0
tap_is "hostile: every header is printable ASCII" "$(fact host mails)" "$(fact host printable_headers)"
tap_is "hostile: no raw escape byte in the mail" 0 "$(fact host esc)"

# -- a sprayed user name that would read as more of our subject ----------------------------------------
i=0
while [ $i -lt 20 ]; do
    printf 'Nov  9 05:07:%02d web-1 sshd[%d]: Failed password for invalid user x") resolved, no action needed (" from 203.0.113.%d port %d ssh2\n' \
        $((10 + i)) $((5000 + i)) $((100 + i)) $((50000 + i))
    i=$((i + 1))
done >"$T/spray.log"
start_smtp spray
smtp_conf max_per_hour=100 >"$T/spray.conf"
scan spray "$T/spray.log"
tap_check "a user name in the subject is quoted after its kind, its own quotes defused" "$PY" -c '
import email, email.policy, json, sys
subj = [str(email.message_from_string(json.loads(l)["data"], policy=email.policy.default)["Subject"])
        for l in open(sys.argv[1])]
sp = [s for s in subj if "spraying" in s]
assert sp, subj
want = "(user \"x'"'"') resolved, no action needed ('"'"'\")"
assert all(s.endswith(want) for s in sp), (sp, want)
' "$T/spray.mail"

# -- bidi and invisible characters never reach a mail raw -----------------------------------------------
i=0
while [ $i -lt 8 ]; do
    printf 'Nov  9 04:07:%02d web\342\200\256-1 sshd[%d]: Failed password for ro\342\200\256ot from 203.0.113.46 port %d ssh2\n' \
        $((10 + i)) $((4000 + i)) $((50000 + i))
    i=$((i + 1))
done >"$T/bidi.log"
start_smtp bidi
smtp_conf max_per_hour=100 >"$T/bidi.conf"
scan bidi "$T/bidi.log"
facts bidi
tap_cmp "bidi: mailed" -gt "$(fact bidi mails)" 0
tap_is "bidi: no raw bidi or invisible character in any mail" 0 "$(fact bidi hidden)"
tap_is "bidi: the name is shown escaped in every body" "$(fact bidi mails)" "$(fact bidi bidi_escaped)"
tap_is "bidi: every header is printable ASCII" "$(fact bidi mails)" "$(fact bidi printable_headers)"

tap_done
