#!/bin/sh
# docs.sh - the documentation a user finds: the README stays short, starts
# with the two commands, links every page under docs/, and no relative link
# in the README, DESIGN.md, tests/README.md or docs/ points at nothing.
set -eu
. "${AG_SRCDIR:-.}/tests/integration/lib.sh"

S=$AG_SRCDIR
T=$TAP_TMP

n=$(wc -l <"$S/README.md")
tap_cmp "the README is under 200 lines ($n)" -lt "$n" 200
tap_grep "the README starts with the quickstart command" '^sh scripts/quickstart.sh' "$S/README.md"
tap_grep "... and the test command" '^sh scripts/test.sh' "$S/README.md"
for page in "$S"/docs/*.md; do
    name=docs/$(basename "$page")
    tap_grep "the README links $name" "\\]\\($name\\)" "$S/README.md"
done

# Every relative link target exists, relative to the file that links it.
python3 - "$S" >"$T/links" <<'PY'
import os, re, sys
root = sys.argv[1]
files = ["README.md", "DESIGN.md", "CHANGELOG.md", "tests/README.md"]
files += ["docs/" + f for f in sorted(os.listdir(os.path.join(root, "docs"))) if f.endswith(".md")]
for f in files:
    text = open(os.path.join(root, f), encoding="utf-8").read()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path = os.path.normpath(os.path.join(root, os.path.dirname(f), target))
        print("%s %s %s" % ("ok" if os.path.exists(path) else "missing", f, target))
PY
tap_cmp "relative links were found" -gt "$(grep -c . "$T/links")" 10
tap_not "every relative link points at a file" grep '^missing' "$T/links"
tap_done
