#!/bin/sh
# man.sh - the manual pages render with man(1) and groff's warnings on, say
# nothing twice that they should say once, and name every command the binary
# has, so the page cannot fall behind `authguard --help`. authguard.conf(5)
# renders the same way, and its key reference is exactly what the key tables
# print (`authguard config --man`), so it cannot fall behind them.
set -eu
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

T=$TAP_TMP
page=$AG_BUILDDIR/authguard.1

if ! command -v man >/dev/null 2>&1; then
    tap_skip_all "man(1) is not installed (Debian: man-db)"
fi
tap_check "authguard.1 was built" test -s "$page"
MANWIDTH=80 man -l --warnings=all "$page" >"$T/page.txt" 2>"$T/page.err" && rc=0 || rc=$?
tap_is "man -l renders authguard.1" 0 "$rc"
tap_not "groff warns of nothing" grep -q . "$T/page.err"
tap_not "the version was filled in" grep -q '@VERSION@' "$page"
for section in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" FILES "SEE ALSO"; do
    tap_grep "the page has $section" "^$section\$" "$T/page.txt"
done
"$AG_BIN" --help | sed -n '/^commands:/,/^$/p' | awk '/^  [a-z]/ { print $1 }' >"$T/commands"
tap_cmp "authguard --help lists commands" -gt "$(wc -l <"$T/commands")" 4
while read -r cmd; do
    tap_grep "the page describes '$cmd'" "^       $cmd( |\$)" "$T/page.txt"
done <"$T/commands"

conf5=$AG_BUILDDIR/authguard.conf.5
tap_check "authguard.conf.5 was built" test -s "$conf5"
MANWIDTH=80 man -l --warnings=all "$conf5" >"$T/conf5.txt" 2>"$T/conf5.err" && rc=0 || rc=$?
tap_is "man -l renders authguard.conf.5" 0 "$rc"
tap_not "groff warns of nothing in authguard.conf.5" grep -q . "$T/conf5.err"
tap_not "its version was filled in" grep -q '@VERSION@' "$conf5"
for section in NAME SYNOPSIS DESCRIPTION KEYS FILES "SEE ALSO"; do
    tap_grep "authguard.conf.5 has $section" "^$section\$" "$T/conf5.txt"
done
"$AG_BIN" config --man >"$T/keys.man"
sed -n '/^\.\\" BEGIN KEYS/,/^\.\\" END KEYS/p' "$conf5" | sed '1d;$d' >"$T/keys.page"
tap_cmp "the page's key reference is not empty" -gt "$(wc -l <"$T/keys.page")" 100
tap_check "the page's key reference is authguard config --man" cmp "$T/keys.man" "$T/keys.page"
[ "$TAP_LAST" -eq 0 ] || diff "$T/keys.man" "$T/keys.page" | head -20 | sed 's/^/#   /'
for sec in input input.journald input.file engine rule.bruteforce summary aws sink.jsonl \
           sink.kafka sink.bedrock sink.smtp aggregate; do
    tap_grep "authguard.conf.5 describes [$sec]" "^   \[$sec\]\$" "$T/conf5.txt"
done
tap_done
