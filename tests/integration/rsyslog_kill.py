#!/usr/bin/env python3
"""rsyslog_kill.py - the kill -9 part of the rsyslog test: sends a log to
rsyslogd's imtcp port as authpriv in chunks, and kills the omprog child of
rsyslogd once per chunk, either when it has read a given number of bytes
from rsyslog (/proc/PID/io rchar, polled in a tight loop) or after a small
random delay, so that kills land between messages, inside a transaction,
at its COMMIT and inside the write of an event.

  rsyslog_kill.py send PORT RSPID MATCH LOG KILLS SEED
      prints one line per kill: "kill PID after N bytes" or "no child"
  rsyslog_kill.py compare EXPECTED GOT
      EXPECTED: `authguard scan --json --events`; GOT: the JSON-lines sink.
      Events are compared as a multiset of (time, message, kind); prints
      "expected E got G invalid I missing M duplicates D" and exits 0 only
      when every event came exactly once and every line is valid JSON.
"""
import collections
import json
import os
import random
import signal
import socket
import sys
import time


def child_of(rspid, match, killed):
    """The pid of rsyslogd's child whose command line contains match (a
    process killed a moment ago may still be there: not that one)."""
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in killed:
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != rspid:
                continue
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if match.encode() in f.read().replace(b"\0", b" "):
                    return int(d)
        except (OSError, ValueError, IndexError):
            continue
    return 0


def rchar(pid):
    try:
        with open("/proc/%d/io" % pid) as f:
            for ln in f:
                if ln.startswith("rchar:"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return -1


def wait_child(rspid, match, killed, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pid = child_of(rspid, match, killed)
        if pid and rchar(pid) >= 0:
            return pid
        time.sleep(0.01)
    return 0


def send(port, rspid, match, log, kills, seed):
    rnd = random.Random(seed)
    with open(log, "rb") as f:
        lines = [b"<86>" + ln.rstrip(b"\n") + b"\n" for ln in f if ln.strip()]
    sock = socket.create_connection(("127.0.0.1", port), 5)
    per = (len(lines) + kills - 1) // kills
    killed = set()
    for k in range(kills):
        chunk = lines[k * per:(k + 1) * per]
        if not chunk:
            break
        # rsyslog starts the program with the first message it has for it:
        # after a kill that came once everything was confirmed, only the
        # next chunk starts it again.
        pid = wait_child(rspid, match, killed, 3)
        base = rchar(pid) if pid else 0
        sock.sendall(b"".join(chunk))
        if not pid:
            pid = wait_child(rspid, match, killed, 10)
        if not pid:
            print("no child")
            continue
        if k % 3 == 2:
            # a small random delay: wherever the process happens to be
            time.sleep(rnd.uniform(0.0005, 0.02))
            got = rchar(pid) - base
        else:
            # after N bytes of this chunk's messages (each ~1 KB as jsonmesg)
            want = rnd.randint(2000, 200000)
            end = time.monotonic() + 5
            got = rchar(pid) - base
            while got < want and time.monotonic() < end:
                got = rchar(pid) - base
        try:
            os.kill(pid, signal.SIGKILL)
            killed.add(pid)
            print("kill %d after %d bytes" % (pid, got))
        except ProcessLookupError:
            print("gone %d" % pid)
        sys.stdout.flush()
    sock.close()
    return 0


def keys(path, strict):
    """(multiset of event keys, invalid lines)"""
    got = collections.Counter()
    invalid = 0
    with open(path, "rb") as f:
        for ln in f:
            try:
                r = json.loads(ln)
            except ValueError:
                invalid += 1
                continue
            if not isinstance(r, dict):
                invalid += 1
            elif r.get("class_uid") == 3002:
                ag = r.get("unmapped", {}).get("authguard", {})
                got[(r.get("time"), r.get("message"), ag.get("kind"))] += 1
    if strict and invalid:
        raise SystemExit("%s: %d invalid lines" % (path, invalid))
    return got, invalid


def compare(expected, got_path):
    want, _ = keys(expected, True)
    got, invalid = keys(got_path, False)
    missing = want - got
    dups = got - want
    print("expected %d got %d invalid %d missing %d duplicates %d" % (
        sum(want.values()), sum(got.values()), invalid, sum(missing.values()),
        sum(dups.values())))
    for k in list(missing)[:3]:
        print("  missing: %s" % (k,))
    for k in list(dups)[:3]:
        print("  duplicate: %s" % (k,))
    return 0 if not missing and not dups and not invalid else 1


if __name__ == "__main__":
    if sys.argv[1] == "send":
        a = sys.argv[2:]
        sys.exit(send(int(a[0]), int(a[1]), a[2], a[3], int(a[4]), int(a[5])))
    if sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    sys.exit("usage: rsyslog_kill.py send|compare ...")
