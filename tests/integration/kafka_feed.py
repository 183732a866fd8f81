#!/usr/bin/env python3
"""kafka_feed.py N RATE - writes N sshd failure lines at RATE lines per second,
flushed one by one: the slow feeder of the Kafka outage test. Line i names
user u<i> (a unique marker) from one of 16 sources, times increasing."""
import sys
import time

n, rate = int(sys.argv[1]), float(sys.argv[2])
t0 = time.monotonic()
for i in range(n):
    ts = "2026-11-01T%02d:%02d:%02d.%06d+00:00" % (i // 3600 % 24, i // 60 % 60, i % 60, i)
    sys.stdout.write(f"{ts} web1 sshd[{1000 + i}]: Failed password for invalid user u{i} "
                     f"from 10.9.0.{i % 16 + 1} port {20000 + i} ssh2\n")
    sys.stdout.flush()
    delay = t0 + (i + 1) / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
