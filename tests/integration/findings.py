#!/usr/bin/env python3
"""findings.py - checks `authguard scan --json` output against a truth file
written by tests/gen/genlog.py: every staged attack is found by the rule
that should find it, and the quiet scenarios (a person's typos) raise
nothing. Prints TAP; exits non-zero on any failure.

usage: findings.py SCAN_JSONL TRUTH_JSONL
"""
import json
import sys

EXPECT = {  # scenario -> (rule, key field of the truth record)
    "bruteforce": ("bruteforce", "src"),
    "slow": ("slow_bruteforce", "src"),
    "enum": ("enumeration", "src"),
    "compromise": ("compromise", "src"),
    "scan": ("scan", "src"),
    "ipv6rot": ("bruteforce", "prefix"),
    "spray": ("spraying", "user"),
}


def main():
    creates, updates, events = [], [], 0
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            if o["class_uid"] == 3002:
                events += 1
                continue
            (creates if o["activity_id"] == 1 else updates).append(o)
    truth = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
    found = {(c["unmapped"]["authguard"]["rule"], c["unmapped"]["authguard"]["key"])
             for c in creates}
    n, failed = 0, 0

    def check(ok, desc, diag=""):
        nonlocal n, failed
        n += 1
        failed += not ok
        print(("ok" if ok else "not ok"), n, "-", desc)
        if not ok and diag:
            print("# " + diag)

    for t in truth:
        sc = t["scenario"]
        check(t.get("complete") is True, "%s: the scenario was staged whole" % sc,
              "make the log longer or the rate lower: %s" % t)
        if sc == "typo":
            # an SSH typo: nothing about its source, nothing remote about the user
            # (the user's own sudo habits are another matter, for the privilege rule)
            remote = ("bruteforce", "slow_bruteforce", "compromise", "spraying", "enumeration")
            bad = [k for k in found if t["src"] in k[1] or (k[1] == t["user"] and k[0] in remote)]
            check(not bad, "typo: %s mistyping twice raises nothing" % t["user"], str(bad))
            continue
        rule, field = EXPECT[sc]
        key = t[field].replace("::/64", "::/64") if field == "prefix" else t[field]
        check((rule, key) in found, "%s: %s finding for %s" % (sc, rule, key),
              "findings: %s" % sorted(found))
    uids = [c["finding_info"]["uid"] for c in creates]
    check(len(uids) == len(set(uids)), "every Create has its own finding uid")
    check(all(u["finding_info"]["uid"] in set(uids) for u in updates),
          "every Update refers to a finding that was created")
    for c in creates:
        if not c["finding_info"].get("desc"):
            check(False, "finding %s has a summary" % c["finding_info"]["uid"])
            break
    else:
        check(bool(creates), "every finding carries the built-in summary")
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
