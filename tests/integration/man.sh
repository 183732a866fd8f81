#!/bin/sh
# man.sh - the manual pages render with man(1) and groff's warnings on, say
# nothing twice that they should say once, and name every command the binary
# has, so the page cannot fall behind `authguard --help`.
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
tap_done
