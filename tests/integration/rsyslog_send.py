#!/usr/bin/env python3
"""rsyslog_send.py - sends sshd syslog lines (RFC 5424, LF-framed) to a
loopback TCP port, in bulk or at a given rate: the sender of the rsyslog
test and benchmark (logger per message is far too slow for either).

  rsyslog_send.py PORT --first 0 --count 400 [--rate 200] [--prefix u]
                  [--src 203.0.113.7] [--user root] [--ok N]

Message i is "Failed password for invalid user PREFIXi from SRC port P":
the user name is the unique marker; SRC is 10.x.y.z from i unless --src
fixes it (to stage a brute force). --ok N makes every Nth message an
"Accepted publickey" instead.
"""
import argparse
import socket
import time


def line(i, a, now):
    src = a.src or "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, (i & 255) or 1)
    port = 1024 + i % 60000
    if a.user:
        text = "Failed password for %s from %s port %d ssh2" % (a.user, src, port)
    elif a.ok and i % a.ok == 0:
        text = "Accepted publickey for %s%d from %s port %d ssh2" % (a.prefix, i, src, port)
    else:
        text = "Failed password for invalid user %s%d from %s port %d ssh2" % (
            a.prefix, i, src, port)
    return "<86>1 %s vm sshd %d - - %s\n" % (now, 1000 + i % 30000, text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--rate", type=float, default=0, help="messages/s; 0: as fast as possible")
    ap.add_argument("--prefix", default="u")
    ap.add_argument("--src", default="")
    ap.add_argument("--ok", type=int, default=0)
    ap.add_argument("--user", default="", help="a valid user failing, instead of PREFIXi")
    a = ap.parse_args()
    s = socket.create_connection(("127.0.0.1", a.port), 5)
    t0 = time.monotonic()
    batch = []
    for n, i in enumerate(range(a.first, a.first + a.count)):
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000+00:00"
        batch.append(line(i, a, now))
        if a.rate:
            s.sendall(batch[0].encode())
            batch = []
            delay = t0 + (n + 1) / a.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        elif len(batch) >= 512:
            s.sendall("".join(batch).encode())
            batch = []
    if batch:
        s.sendall("".join(batch).encode())
    s.close()


if __name__ == "__main__":
    main()
