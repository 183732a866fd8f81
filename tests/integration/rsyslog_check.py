#!/usr/bin/env python3
"""rsyslog_check.py - what reached a JSON-lines sink, for the rsyslog test:

  rsyslog_check.py FILE PREFIX FIRST COUNT      events PREFIXi, i in FIRST..+COUNT:
      prints "got N distinct D dups X missing M"; exit 0 when each came once
  rsyslog_check.py --findings FILE RULE SRC     exit 0 when a RULE finding names SRC
"""
import json
import sys


def records(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for ln in f:
            try:
                yield json.loads(ln)
            except ValueError:
                pass  # a line being written as we read


def events(path, prefix, first, count):
    want = {"%s%d" % (prefix, i) for i in range(first, first + count)}
    seen = {}
    for r in records(path):
        if r.get("class_uid") != 3002:
            continue
        name = r.get("user", {}).get("name", "")
        if name in want:
            seen[name] = seen.get(name, 0) + 1
    dups = sum(n - 1 for n in seen.values())
    print("got %d distinct %d dups %d missing %d" % (
        sum(seen.values()), len(seen), dups, len(want) - len(seen)))
    return 0 if len(seen) == len(want) and dups == 0 else 1


def findings(path, rule, src):
    for r in records(path):
        ag = r.get("unmapped", {}).get("authguard", {})
        if r.get("class_uid") == 2004 and ag.get("rule") == rule and ag.get("key") == src:
            return 0
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "--findings":
        sys.exit(findings(*sys.argv[2:5]))
    sys.exit(events(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
