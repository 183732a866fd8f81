#!/bin/sh
# bedrock.sh - does the Bedrock summarizer slow the scan? The 2,000,000-line
# log of every scenario (generated once and cached) is scanned with the
# summarizer off and with it pointed at a Converse server that accepts
# connections and never answers, alternately in one run, best of --runs
# each. Prints both times and the ratio off/on (target >= 0.95).
#
# The summarizer's queue and pool are bounded, so the line path never waits
# for it; at the end a scan waits for summaries at most [sink.bedrock]
# flush_timeout, set here to 0 because this server never answers (the
# default, 30s, would only add that wait).
#
#   tests/bench/bedrock.sh [--build DIR] [--cache DIR] [--runs N] [--lines N]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$bench_root
bench_args "$@"
bench_locate
py=/usr/bin/python3
log=$(bench_log all)
cat "$log" >/dev/null   # from the page cache for both sides

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ag-bedrock-bench.XXXXXX")
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$py" "$root/tests/integration/fake_bedrock.py" --port-file "$tmp/port" --log "$tmp/requests" \
    --mode hang --model-path 'us.anthropic.claude-3-5-sonnet-20241022-v2%3A0' >/dev/null 2>&1 &
server=$!
i=0
while [ ! -s "$tmp/port" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$tmp/port" ] || { echo "bedrock.sh: the test server did not start" >&2; exit 1; }

: >"$tmp/off.conf"
cat >"$tmp/on.conf" <<EOF
[sink.bedrock]
model_id = us.anthropic.claude-3-5-sonnet-20241022-v2:0
endpoint = http://127.0.0.1:$(cat "$tmp/port")
flush_timeout = 0
EOF

# One run: wall seconds of the whole process.
run_once() {
    env AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_EC2_METADATA_DISABLED=true \
        python3 -c 'import subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
d = time.monotonic() - t
if rc:
    sys.exit("bedrock.sh: authguard exited with %d" % rc)
print("%.4f" % d)' "$bin" scan --no-progress --json --config "$1" "$log"
}

best_off="" best_on="" i=0
while [ "$i" -lt "$runs" ]; do
    i=$((i + 1))
    t=$(run_once "$tmp/off.conf")
    if [ -z "$best_off" ] || awk -v a="$t" -v b="$best_off" 'BEGIN { exit !(a < b) }'; then best_off=$t; fi
    t=$(run_once "$tmp/on.conf")
    if [ -z "$best_on" ] || awk -v a="$t" -v b="$best_on" 'BEGIN { exit !(a < b) }'; then best_on=$t; fi
done
asked=$(wc -l <"$tmp/requests" | tr -d ' ')
awk -v n="$lines" -v off="$best_off" -v on="$best_on" -v k="$runs" -v q="$asked" 'BEGIN {
    printf "summarizer off:                      best of %d: %.3f s (%.0f lines/s)\n", k, off, n / off
    printf "summarizer on, server never answers: best of %d: %.3f s (%.0f lines/s); %d requests left hanging\n", k, on, n / on, q
    printf "ratio (off/on): %.3f (target >= 0.95)\n", off / on
    exit !(off / on >= 0.95)
}'
