#!/bin/sh
# imds.sh - [aws] imds = on against a fake IMDSv2 on loopback: the instance
# context reaches the findings (resources, real subnet and security-group
# ids in the commands), every metadata GET carries a session token, a
# revoked token is replaced, the service refuses requests without one, and
# with imds off (the default) or the service gone nothing changes.
set -eu
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

S=$AG_SRCDIR
T=$TAP_TMP
PY=/usr/bin/python3

# start_imds NAME ARGS...: runs fake_imds.py, sets PORT once it listens.
start_imds() {
    name=$1
    shift
    "$PY" "$S/tests/integration/fake_imds.py" --port-file "$T/$name.port" \
        --log "$T/$name.log" "$@" >"$T/$name.out" 2>&1 &
    tap_cleanup "kill $!"
    wait_for 10 test -s "$T/$name.port" || tap_bail "fake IMDS did not start"
    PORT=$(cat "$T/$name.port")
}

conf() {
    printf '[aws]\nimds = %s\nimds_endpoint = http://127.0.0.1:%s\nimds_timeout = 2s\n' "$1" "$2" \
        >"$T/$3"
}

# -- context picked up; tokens expire after 3 uses, so they are replaced ------
start_imds a --token-uses 3
conf on "$PORT" a.conf
tap_check "scan with [aws] imds = on exits 0" \
    sh -c '"$0" scan --no-progress --json --config "$1" "$2" >"$3" 2>"$4"' \
    "$AG_BIN" "$T/a.conf" "$S/tests/data/sample.log" "$T/a.jsonl" "$T/a.err"
"$PY" - "$T/a.jsonl" >"$T/a.facts" <<'EOF'
import json, sys
fs = [json.loads(l) for l in open(sys.argv[1]) if '"class_uid":2004' in l]
print("findings", len(fs))
print("resource", sum(1 for f in fs if any(r.get("uid") == "i-0abc123def4567890"
                                           and r.get("region") == "us-east-1"
                                           for r in f["resources"])))
descs = [f["finding_info"].get("desc", "") for f in fs]
print("subnet", sum("subnet-0abc1234" in d for d in descs))
print("sg", sum("sg-0aaa1111" in d for d in descs))
print("placeholder_subnet", sum("<subnet-id>" in d for d in descs))
print("cloud", sum(1 for f in fs if f.get("cloud", {}).get("region") == "us-east-1"))
EOF
fact() { sed -n "s/^$1 //p" "$T/$2.facts"; }
n=$(fact findings a)
tap_cmp "the sample raises findings" -gt "$n" 0
tap_is "every finding names the instance from IMDS as a resource" "$n" "$(fact resource a)"
tap_is "every finding carries the region" "$n" "$(fact cloud a)"
tap_cmp "block commands name the real subnet" -gt "$(fact subnet a)" 0
tap_is "no <subnet-id> placeholder is left" 0 "$(fact placeholder_subnet a)"
tap_cmp "restrict-SSH commands name the real security group" -gt "$(fact sg a)" 0

"$PY" - "$T/a.log" >"$T/a.req" <<'EOF'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
print("puts", sum(1 for r in rs if r["method"] == "PUT" and r["status"] == 200))
print("gets_ok", sum(1 for r in rs if r["method"] == "GET" and r["status"] == 200))
print("gets_without_token", sum(1 for r in rs if r["method"] == "GET" and not r.get("token")))
print("refused", sum(1 for r in rs if r["status"] == 401))
print("bad_puts", sum(1 for r in rs if r["method"] == "PUT" and r["status"] != 200))
EOF
req() { sed -n "s/^$1 //p" "$T/$2.req"; }
tap_is "no metadata GET without the session token" 0 "$(req gets_without_token a)"
tap_is "every token PUT carries a valid TTL header" 0 "$(req bad_puts a)"
tap_cmp "a revoked token was refused (401) at least once" -gt "$(req refused a)" 0
tap_cmp "...and replaced by a new one" -gt "$(req puts a)" 1
tap_cmp "all seven context paths were read" -ge "$(req gets_ok a)" 7

# The service itself refuses a GET without the token, as IMDSv2 does.
code=$("$PY" -c 'import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen("http://127.0.0.1:%s/latest/meta-data/instance-id" % sys.argv[1], timeout=5)
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)' "$PORT")
tap_is "a GET without the token is refused with 401" 401 "$code"

# -- imds off (the default): not a single request --------------------------------
start_imds b
conf off "$PORT" b.conf
"$AG_BIN" scan --no-progress --json --config "$T/b.conf" "$S/tests/data/sample.log" \
    >"$T/b.jsonl" 2>"$T/b.err" || true
tap_is "imds = off sends no request" 0 "$(wc -l <"$T/b.log" | tr -d ' ')"
tap_not "imds = off: no instance resource" grep -q 'i-0abc123def4567890' "$T/b.jsonl"

# -- the service is gone: placeholders, promptly ------------------------------------
conf on "$(free_port)" c.conf
start=$(date +%s)
tap_check "scan exits 0 when the metadata service is unreachable" \
    sh -c '"$0" scan --no-progress --json --config "$1" "$2" >"$3" 2>"$4"' \
    "$AG_BIN" "$T/c.conf" "$S/tests/data/sample.log" "$T/c.jsonl" "$T/c.err"
took=$(($(date +%s) - start))
tap_cmp "...within 10 s" -le "$took" 10
tap_grep "...says so on stderr" 'no instance metadata' "$T/c.err"
tap_grep "...and keeps the <subnet-id> placeholder" '<subnet-id>' "$T/c.jsonl"

tap_done
