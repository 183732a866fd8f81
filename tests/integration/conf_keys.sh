#!/bin/sh
# conf_keys.sh - the shipped conf/authguard.conf and the key tables agree,
# for every section including the sinks: each key the tables know appears
# there with its true default ("#key = default", or "# key =" when it has
# none), and the file names no section or key the tables do not know.
# `authguard config --defaults` prints the tables; check-config takes that
# output, with every default switched on, as it is.
set -eu
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

T=$TAP_TMP
conf=${AG_SRCDIR:-.}/conf/authguard.conf

# "SECTION KEY = VALUE" for a default, "SECTION KEY" for a key mentioned bare.
settings() {
    awk '/^\[/ { sec = substr($0, 2, index($0, "]") - 2); next }
         /^#[a-z][a-z0-9_.*]* =/ { sub(/^#/, ""); sub(/[ \t]+$/, "");
             k = $1; v = $0; sub(/^[^=]*= ?/, "", v);
             if (v == "") print sec, k, "="; else print sec, k, "=", v; next }
         /^# [a-z][a-z0-9_.*]* =/ { print sec, $2 }' "$1"
}

"$AG_BIN" config --defaults >"$T/defaults.conf" && rc=0 || rc=$?
tap_is "config --defaults exits 0" 0 "$rc"
settings "$T/defaults.conf" >"$T/tables"
settings "$conf" >"$T/shipped"
tap_cmp "the tables know many keys" -gt "$(wc -l <"$T/tables")" 100

# Every default of the tables is written, the same, in the shipped file.
grep -E ' =( |$)' "$T/tables" | while read -r line; do
    grep -qxF "$line" "$T/shipped" || echo "$line"
done >"$T/missing_defaults"
tap_not "authguard.conf has every key's true default" grep -q . "$T/missing_defaults"
sed 's/^/#   not in authguard.conf: /' "$T/missing_defaults" | head -20

# Every key without a default is at least named there.
grep -vE ' =( |$)' "$T/tables" | while read -r sec key; do
    awk -v s="$sec" -v k="$key" '$1 == s && ($2 == k || (k ~ /\*$/ &&
        index($2, substr(k, 1, length(k) - 1)) == 1)) { f = 1 } END { exit !f }' \
        "$T/shipped" || echo "$sec $key"
done >"$T/missing_keys"
tap_not "authguard.conf names every key without a default" grep -q . "$T/missing_keys"
sed 's/^/#   not in authguard.conf: /' "$T/missing_keys" | head -20

# Nothing in the shipped file that the tables do not know (kafka.* passes on).
awk '{ print $1, $2 }' "$T/tables" >"$T/known"
while read -r sec key rest; do
    case $key in
        kafka.*) key='kafka.*' ;;
    esac
    grep -qxF "$sec $key" "$T/known" || echo "$sec $key"
done <"$T/shipped" >"$T/unknown"
tap_not "authguard.conf names no key the tables do not know" grep -q . "$T/unknown"
sed 's/^/#   unknown: /' "$T/unknown" | head -20
grep '^\[' "$conf" | sort -u >"$T/shipped_sections"
grep '^\[' "$T/defaults.conf" | sort -u >"$T/table_sections"
tap_check "authguard.conf has exactly the tables' sections" \
    cmp "$T/shipped_sections" "$T/table_sections"

# The defaults, switched on, are a configuration check-config accepts
# (the sinks' required keys filled in, as a user must; the Kafka sink, which
# would reach for its brokers, left out).
sed -e 's/^#\([a-z][a-z0-9_]* =\)/\1/' \
    -e 's|^# url =$|url = smtp://127.0.0.1:25|' \
    -e 's|^# from =$|from = a@example.com|' -e 's|^# to =$|to = b@example.com|' \
    -e 's|^# model_id =$|model_id = m|' \
    -e 's|^# brokers =$|brokers = 127.0.0.1:1|' \
    -e "s|^\\(path\\) = -|\\1 = $T/out.jsonl|" \
    -e "s|^\\(cursor_file\\|position_file\\|seen_file\\) = .*|\\1 = $T/\\1|" \
    "$T/defaults.conf" |
    awk '/^\[/ { skip = ($0 == "[sink.kafka]") } !skip' >"$T/on.conf"
"$AG_BIN" check-config -c "$T/on.conf" >"$T/check.out" 2>&1 && rc=0 || rc=$?
tap_is "check-config accepts every default switched on" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T/check.out"

# check-config refuses a bad value in a sink's section, with file, line and key.
printf '[sink.smtp]\nurl = smtp://127.0.0.1:25\nfrom = a@example.com\nto = b@example.com\nmax_per_hour = 0\n' >"$T/bad.conf"
"$AG_BIN" check-config -c "$T/bad.conf" >"$T/bad.out" 2>&1 && rc=0 || rc=$?
tap_is "check-config refuses max_per_hour = 0" 2 "$rc"
tap_grep "...naming file, line and key" "bad.conf:5: \[sink.smtp\] max_per_hour: expected" \
    "$T/bad.out"

# ...and in the sections other commands read: [aggregate], [input.rsyslog].
printf '[aggregate]\nbrokers = 127.0.0.1:1\nspraying_window = 1s\n' >"$T/agg.conf"
"$AG_BIN" check-config -c "$T/agg.conf" >"$T/agg.out" 2>&1 && rc=0 || rc=$?
tap_is "check-config refuses [aggregate] spraying_window = 1s" 2 "$rc"
tap_grep "...naming file, line and key" "agg.conf:3: \[aggregate\] spraying_window: expected" \
    "$T/agg.out"
printf '[input.rsyslog]\nseen_fil = x\n' >"$T/rs.conf"
"$AG_BIN" check-config -c "$T/rs.conf" >"$T/rs.out" 2>&1 && rc=0 || rc=$?
tap_is "check-config refuses an unknown key of [input.rsyslog]" 2 "$rc"
tap_grep "...naming it" "rs.conf:2: \[input.rsyslog\] seen_fil: unknown key" "$T/rs.out"
tap_done
