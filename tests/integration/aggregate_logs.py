#!/usr/bin/env python3
"""aggregate_logs.py - the logs of ten simulated hosts for aggregate.sh.

One source (203.0.113.66) tries root twice on every host; one user
(svc_deploy) is sprayed from 60 sources, each failing once or twice on one
host; quiet traffic (a few failures from many sources, key logins) raises
nothing on a host nor across the fleet. Every host stays below its own
thresholds. Times are the last minutes before now, in UTC (scan --tz UTC).

usage: aggregate_logs.py OUTDIR [HOSTS]   writes OUTDIR/hNN.log
"""
import os
import random
import sys
import time

ATTACKER = "203.0.113.66"
SPRAYED = "svc_deploy"


def stamp(t):
    return time.strftime("%b %e %H:%M:%S", time.gmtime(t))


def host_lines(i, hosts, now, rnd):
    host = "h%02d" % (i + 1)
    out = []

    def add(t, msg):
        out.append((t, "%s %s sshd[%d]: %s" % (stamp(t), host, 1000 + len(out), msg)))

    base = now - 240
    for k in range(2):  # the fleet-wide brute force: two attempts per host
        add(base + 10 * i + 30 * k,
            "Failed password for root from %s port %d ssh2" % (ATTACKER, 40000 + k))
    per = 60 // hosts  # the spray: 60 sources spread over the hosts
    for j in range(per):
        n = i * per + j
        src = "198.18.%d.%d" % (n // 200, 10 + n % 200)
        for k in range(1 + n % 2):
            add(base + 3 * j + k,
                "Failed password for %s from %s port %d ssh2" % (SPRAYED, src, 50000 + k))
    for j in range(12):  # quiet: scattered single failures and key logins
        src = "192.0.2.%d" % (1 + (i * 12 + j) % 250)
        add(base + 5 * j + 1, "Failed password for user%d from %s port 2200 ssh2" % (j % 4, src))
        add(base + 5 * j + 2,
            "Accepted publickey for alice from 198.51.100.%d port 2201 ssh2: "
            "ED25519 SHA256:abc" % (1 + j))
    rnd.shuffle(out)
    out.sort(key=lambda x: x[0])
    return host, [l for _, l in out]


def main():
    outdir = sys.argv[1]
    hosts = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    now = int(time.time())
    rnd = random.Random(1)
    for i in range(hosts):
        host, lines = host_lines(i, hosts, now, rnd)
        with open(os.path.join(outdir, host + ".log"), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
