#!/usr/bin/env python3
"""lines_feed.py - the inputs of lines.sh: lines of every length around the
line limit, written so that each one arrives in two reads.

  lines_feed.py gen MAX FILE      sshd lines of MAX-2..MAX+2 bytes (their
                                  newline not counted), in "\\n" and "\\r\\n"
                                  form, three of each, a short line after
                                  each; users of MAX-byte lines start "m"
  lines_feed.py pieces FILE [OUT] FILE's bytes appended to OUT (stdout
                                  when absent), each long line cut before
                                  its last byte, before its line ending or
                                  inside or after it, with a pause at the
                                  cut so that the reader sees the part
  lines_feed.py events JSONL      the events' "user src port", sorted
  lines_feed.py rsyslog AG MAX DIR
                                  `AG rsyslog --mmexternal` fed %jsonmesg%
                                  lines of MAX-2..MAX+2 bytes, each in two
                                  writes: one reply per line, an event for
                                  each line of at most MAX bytes, `{}` for
                                  the others; prints PASS/FAIL lines
"""
import json
import os
import subprocess
import sys
import time

PAUSE = 0.25  # two polls of `run` (RUN_IDLE_MS is 100 ms)


def sshd_line(length, uid):
    pre = "2026-11-01T00:00:01.000000+00:00 web1 sshd[1]: Failed password for invalid user %s" % uid
    post = " from 192.0.2.5 port %d ssh2" % (40000 + int(uid[1:]))
    return (pre + "x" * (length - len(pre) - len(post)) + post).encode()


def gen(mx, path):
    n = 0
    with open(path, "wb") as f:
        for length in range(mx - 2, mx + 3):
            for end in (b"\n", b"\r\n"):
                for _copy in range(3):  # one for each cut of pieces()
                    n += 1
                    line = sshd_line(length, "%s%03d" % ("m" if length == mx else "u", n))
                    assert len(line) == length
                    f.write(line + end)
                    n += 1
                    f.write(sshd_line(120, "s%03d" % n) + b"\n")


def pieces(path, out):
    data = open(path, "rb").read()
    cuts, at, k = [], 0, 0
    for line in data.split(b"\n")[:-1]:
        text_end = at + len(line) - line.endswith(b"\r")
        if len(line) > 1000:
            # -1: the last byte comes later; 0: the line ending comes later;
            # +1: after "\r" (its "\n" comes later) or after "\n".
            cuts.append(text_end + (-1, 0, 1)[k % 3])
            k += 1
        at += len(line) + 1
    f = open(out, "ab") if out else sys.stdout.buffer
    prev = 0
    for c in cuts + [len(data)]:
        f.write(data[prev:c])
        f.flush()
        prev = c
        time.sleep(PAUSE)
    if out:
        f.close()


def events(path):
    rows = []
    for l in open(path, encoding="utf-8"):
        o = json.loads(l)
        if o.get("class_uid") == 3002:
            rows.append("%s %s %s" % (o["user"]["name"][:4], o["src_endpoint"]["ip"],
                                      o["src_endpoint"]["port"]))
    print("\n".join(sorted(rows)))


def jsonmesg(length, i):
    msg = "Failed password for invalid user r%03d from 198.51.100.9 port %d ssh2" % (i, 50000 + i)
    o = {"msg": msg, "hostname": "vm", "syslogtag": "sshd[7]:", "programname": "sshd",
         "procid": "7", "timereported": "2026-11-29T04:17:01.000001+00:00", "pad": ""}
    base = len(json.dumps(o, separators=(",", ":")))
    o["pad"] = "p" * (length - base)
    s = json.dumps(o, separators=(",", ":")).encode()
    assert len(s) == length, (len(s), length)
    return s


def rsyslog(ag, mx, d):
    conf = os.path.join(d, "lines_rs.conf")
    with open(conf, "w") as f:
        f.write("[engine]\nslots = 4096\n")
    p = subprocess.Popen([ag, "rsyslog", "--mmexternal", "-c", conf, "--log",
                          os.path.join(d, "lines_rs.log")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    i = 0
    for length in range(mx - 2, mx + 3):
        for end in (b"\n", b"\r\n"):
            for back in (-2, -1, 0, 1):
                i += 1
                line = jsonmesg(length, i) + end
                cut = length + back  # +1: between "\r" and "\n", or after "\n"
                p.stdin.write(line[:cut])
                p.stdin.flush()
                time.sleep(0.05)
                p.stdin.write(line[cut:])
                p.stdin.flush()
                reply = p.stdout.readline().decode()
                want_event = length <= mx
                got_event = '"authguard"' in reply and ("r%03d" % i) in reply
                desc = "rsyslog: a %d-byte line ending %s, cut at %+d" % (
                    length, "CRLF" if end == b"\r\n" else "LF", back)
                if want_event == got_event and (got_event or reply == "{}\n"):
                    print("PASS " + desc)
                else:
                    print("FAIL %s: reply %r" % (desc, reply[:120]))
    p.stdin.close()
    rc = p.wait()
    print(("PASS" if rc == 0 else "FAIL") + " rsyslog: exits 0 at the end of its input")


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(int(sys.argv[2]), sys.argv[3])
    elif cmd == "pieces":
        pieces(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif cmd == "events":
        events(sys.argv[2])
    elif cmd == "rsyslog":
        rsyslog(sys.argv[2], int(sys.argv[3]), sys.argv[4])


if __name__ == "__main__":
    main()
