#!/usr/bin/env python3
"""order_permute.py - the delivery orders real pipelines produce, made from
an in-order log, and the comparison of what `authguard scan --json` finds.

usage: order_permute.py swap BLOCK IN OUT     each pair of BLOCK-line blocks swapped
       order_permute.py hosts CHUNK IN OUT    per-host streams interleaved in random
                                              chunks of 1..CHUNK lines (fixed seed)
       order_permute.py findings SCAN_JSONL RULE,...
                                              one "rule key uid" line per finding
                                              of those rules
"""
import json
import random
import sys


def swap(lines, block):
    blocks = [lines[i:i + block] for i in range(0, len(lines), block)]
    for i in range(0, len(blocks) - 1, 2):
        blocks[i], blocks[i + 1] = blocks[i + 1], blocks[i]
    return [l for b in blocks for l in b]


def hosts(lines, chunk):
    rng = random.Random(16)
    streams = {}
    for l in lines:
        streams.setdefault(l.split(b" ", 2)[1], []).append(l)
    live = sorted(streams)
    at = dict.fromkeys(live, 0)
    out = []
    while live:
        h = rng.choice(live)
        n = rng.randint(1, chunk)
        out += streams[h][at[h]:at[h] + n]
        at[h] += n
        if at[h] >= len(streams[h]):
            live.remove(h)
    return out


def findings(path, rules):
    rows = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            if o.get("class_uid") != 2004:
                continue
            a = o["unmapped"]["authguard"]
            if a["rule"] not in rules:
                continue
            rows.add("%s %s %s" % (a["rule"], a["key"], o["finding_info"]["uid"]))
    for r in sorted(rows):
        print(r)


def main():
    if sys.argv[1] == "findings":
        findings(sys.argv[2], sys.argv[3].split(","))
        return
    mode, n, src, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    with open(src, "rb") as f:
        lines = f.readlines()
    out = swap(lines, n) if mode == "swap" else hosts(lines, n)
    assert sorted(out) == sorted(lines)
    with open(dst, "wb") as f:
        f.writelines(out)


if __name__ == "__main__":
    main()
