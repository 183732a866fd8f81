#!/usr/bin/env python3
"""kafka_check.py - checks what the Kafka tests consumed (kcat -J lines)
against what authguard printed for the same input (scan --json --events).

  kafka_check.py events CONSUMED EXPECTED   same events, keys, headers, order per key
  kafka_check.py findings CONSUMED EXPECTED same findings (uid, activity), with context
  kafka_check.py markers CONSUMED N         users u0..u(N-1) each arrived exactly once,
                                            in order per key

Prints what is wrong and exits 1 on any difference."""
import json
import sys
from collections import Counter, defaultdict


def consumed(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                m = json.loads(line)
                m["value"] = json.loads(m["payload"])
                out.append(m)
    # Offsets order a partition; partitions are independent.
    out.sort(key=lambda m: (m["partition"], m["offset"]))
    return out


def expected(path, class_uid):
    with open(path, encoding="utf-8") as f:
        objs = [json.loads(line) for line in f if line.strip()]
    return [o for o in objs if o.get("class_uid") == class_uid]


def canon(obj):
    return json.dumps(obj, sort_keys=True)


def headers(m):
    h = m.get("headers") or []
    return dict(zip(h[0::2], h[1::2]))


def event_key(v):
    src = v.get("src_endpoint") or {}
    return src.get("ip") or src.get("hostname") or (v.get("dst_endpoint") or {}).get("hostname")


def fail(problems):
    for p in problems[:20]:
        print(p)
    return 1 if problems else 0


def check_events(cons_path, exp_path):
    got, want = consumed(cons_path), expected(exp_path, 3002)
    problems = []
    if len(got) != len(want):
        problems.append(f"consumed {len(got)} events, scan printed {len(want)}")
    if Counter(canon(m["value"]) for m in got) != Counter(canon(o) for o in want):
        problems.append("the consumed events differ from scan --json --events")
    with_ip = 0
    parts = defaultdict(set)
    by_key = defaultdict(list)
    for m in got:
        v = m["value"]
        if m["key"] != event_key(v):
            problems.append(f"offset {m['offset']}: key {m['key']!r}, event {event_key(v)!r}")
        with_ip += bool((v.get("src_endpoint") or {}).get("ip"))
        h = headers(m)
        if h.get("schema") != "ocsf/1.1.0/3002" or h.get("content-type") != "application/json":
            problems.append(f"offset {m['offset']}: headers {h}")
        parts[m["key"]].add(m["partition"])
        by_key[m["key"]].append(canon(v))
    if got and with_ip * 2 < len(got):
        problems.append(f"only {with_ip} of {len(got)} events carry a source address")
    problems += [f"key {k} spread over partitions {sorted(p)}" for k, p in parts.items()
                 if len(p) > 1]
    want_by_key = defaultdict(list)
    for o in want:
        want_by_key[event_key(o)].append(canon(o))
    for k, seq in by_key.items():
        if seq != want_by_key[k]:
            problems.append(f"key {k}: order differs from the input's")
        times = [json.loads(x)["time"] for x in seq]
        if times != sorted(times):
            problems.append(f"key {k}: event times go backwards")
    return fail(problems)


def check_findings(cons_path, exp_path):
    got, want = consumed(cons_path), expected(exp_path, 2004)
    problems = []
    ident = lambda v: (v["finding_info"]["uid"], v["activity_id"], canon(v.get("evidences")))
    if Counter(ident(m["value"]) for m in got) != Counter(ident(o) for o in want):
        problems.append(f"consumed {len(got)} findings, scan printed {len(want)}; they differ")
    if not want:
        problems.append("scan printed no finding: the input stages no attack")
    for m in got:
        v = m["value"]
        if len(v["finding_info"]["uid"]) != 32 or not v.get("evidences"):
            problems.append(f"offset {m['offset']}: finding without uid or evidences")
        if not m["key"] or headers(m).get("schema") != "ocsf/1.1.0/2004":
            problems.append(f"offset {m['offset']}: key {m['key']!r}, headers {headers(m)}")
    return fail(problems)


def check_markers(cons_path, n):
    got = consumed(cons_path)
    problems = []
    users = Counter(m["value"]["user"]["name"] for m in got)
    dup = [u for u, c in users.items() if c > 1]
    missing = [f"u{i}" for i in range(n) if f"u{i}" not in users]
    if len(got) != n:
        problems.append(f"consumed {len(got)} events, sent {n}")
    if dup:
        problems.append(f"{len(dup)} events arrived twice or more, e.g. {dup[:5]}")
    if missing:
        problems.append(f"{len(missing)} events never arrived, e.g. {missing[:5]}")
    by_key = defaultdict(list)
    for m in got:
        by_key[m["key"]].append(int(m["value"]["user"]["name"][1:]))
    problems += [f"key {k}: out of order" for k, seq in by_key.items() if seq != sorted(seq)]
    return fail(problems)


def main(argv):
    if len(argv) == 4 and argv[1] == "events":
        return check_events(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "findings":
        return check_findings(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "markers":
        return check_markers(argv[2], int(argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
