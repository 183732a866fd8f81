#!/usr/bin/env python3
"""aggregate_check.py - checks the fleet findings aggregate.sh consumed.

usage: aggregate_check.py FILE MIN_HOSTS [once]
FILE holds one OCSF Detection Finding per line (kcat -C). Passes when the
findings are exactly the fleet brute force of 203.0.113.66 (listing at least
MIN_HOSTS hosts) and the spraying of svc_deploy, each under a single uid
(a Create sent twice around a rebalance carries the same uid and collapses
downstream); anything raised by the quiet traffic fails. With "once"
(transactions, read_committed), each uid must also come in exactly one
message. Prints one line per (rule, key) with its uid and how many messages
carried it.
"""
import json
import sys

EXPECTED = {("fleet_source", "203.0.113.66"), ("spraying", "svc_deploy")}


def main():
    path, min_hosts = sys.argv[1], int(sys.argv[2])
    once = len(sys.argv) > 3 and sys.argv[3] == "once"
    uids, copies, hosts = {}, {}, {}
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            ag = d["unmapped"]["authguard"]
            key = (ag["rule"], ag["key"])
            uid = d["finding_info"]["uid"]
            uids.setdefault(key, set()).add(uid)
            copies[uid] = copies.get(uid, 0) + 1
            hosts[key] = max(hosts.get(key, 0), len(ag.get("hosts", [])))
    ok = True
    for key in sorted(uids):
        print("%s %s: uid %s, %d message(s), %d hosts listed"
              % (key[0], key[1], ",".join(sorted(uids[key])),
                 sum(copies[u] for u in uids[key]), hosts[key]))
    if set(uids) != EXPECTED:
        print("expected exactly %s, got %s" % (sorted(EXPECTED), sorted(uids)))
        ok = False
    for key, u in uids.items():
        if len(u) != 1:
            print("%s %s raised under %d uids" % (key[0], key[1], len(u)))
            ok = False
    for uid, n in sorted(copies.items()):
        if once and n != 1:
            print("uid %s came in %d messages, expected exactly one" % (uid, n))
            ok = False
    fleet = ("fleet_source", "203.0.113.66")
    if fleet in hosts and hosts[fleet] < min_hosts:
        print("the fleet finding lists %d hosts, expected at least %d" % (hosts[fleet], min_hosts))
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
