#!/usr/bin/env python3
"""rsyslog_proto.py AG_BIN DIR - `authguard rsyslog` spoken to the way omprog
speaks (confirmMessages, transactions), without rsyslog, to stage what a
real rsyslog only does now and then:

- a message whose delivery fails (the JSON-lines file is at the process's
  file-size limit, so every write fails with EFBIG) is answered with an
  error line; sent again, it is written but counted once;
- a batch sent again after its confirmation is dropped, by the same
  process and by the next one (the seen file);
- the message a killed process was writing (its record in the seen file
  says "writing") is cut from the JSON-lines file and written once;
- garbage, an oversize line and a message outside a transaction are
  answered normally;
- mmexternal with an empty environment: one JSON reply per line, nothing
  on stderr, and the one-pass scanner reads escapes as json-c does (a key
  written with an escape sends the same line through json-c);
- RFC 3164 messages, whose msg starts with the space after the tag.

Prints one "PASS desc" or "FAIL desc" line per check."""
import json
import os
import resource
import struct
import subprocess
import sys

LIMIT = 1024 * 1024  # above the seen file (256 KiB), which is allocated at start


def jm(i, user, port):
    msg = "Failed password for invalid user %s from 198.51.100.9 port %d ssh2" % (user, port)
    return json.dumps({"msg": msg, "rawmsg": "<86>1 - vm sshd 7 - - " + msg,
                       "timereported": "2026-11-29T04:17:%02d.000001+00:00" % i,
                       "hostname": "vm", "syslogtag": "sshd[7]:", "programname": "sshd",
                       "procid": "7", "timegenerated": "2026-11-29T04:17:%02d.5+00:00" % i,
                       "uuid": None, "$!": None})


def main():
    ag, d = sys.argv[1], sys.argv[2]
    out = os.path.join(d, "proto.jsonl")
    conf = os.path.join(d, "proto.conf")
    with open(conf, "w") as f:
        f.write("[input.rsyslog]\nseen_file = %s\n[sink.jsonl]\npath = %s\n"
                % (os.path.join(d, "proto.seen"), out))
    with open(out, "w") as f:
        f.write("x" * LIMIT)  # at the limit: the next write fails
    err = open(os.path.join(d, "proto.stderr"), "w")
    p = subprocess.Popen(
        [ag, "rsyslog", "-c", conf], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=err, text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT)))

    def say(line):
        p.stdin.write(line + "\n")
        p.stdin.flush()
        return p.stdout.readline().rstrip("\n")

    def batch(lines):
        replies = [say("BEGIN TRANSACTION")] + [say(x) for x in lines]
        return replies, say("COMMIT TRANSACTION")

    def events():
        res = {}
        with open(out, encoding="utf-8", errors="replace") as f:
            for ln in f:
                r = json.loads(ln) if ln.startswith("{") else {}
                if r.get("class_uid") == 3002:
                    name = r["user"]["name"]
                    res.setdefault(name, []).append(
                        r["unmapped"]["authguard"]["counts"]["failures"])
        return res

    def check(desc, cond):
        print(("PASS " if cond else "FAIL ") + desc)

    check("answers OK at start", p.stdout.readline().strip() == "OK")
    b1 = [jm(i, "v%d" % i, 1000 + i) for i in range(3)]
    r0, r1 = say("BEGIN TRANSACTION"), say(b1[0])
    check("a message whose delivery fails is answered with an error line (%s)" % r1,
          r0 == "OK" and r1.startswith("ERROR: "))
    os.truncate(out, 0)
    replies = [say(x) for x in b1] + [say("COMMIT TRANSACTION")]
    ev = events()
    check("sent again, it is written once, counted once; the rest DEFER_COMMIT (%s)" % ev,
          replies == ["DEFER_COMMIT"] * 3 + ["OK"] and ev == {"v0": [1], "v1": [2], "v2": [3]})
    b2 = [jm(3, "v3", 1003)]
    batch(b2)
    replies, c = batch(b2)
    ev = events()
    check("the next failure counts 4, and a confirmed batch sent again is dropped (%s)" % ev,
          c == "OK" and ev.get("v3") == [4])
    r1, r2, r3 = say("BEGIN TRANSACTION"), say("not json {"), say("{" + " " * (300 * 1024) + "}")
    check("garbage and a 300 KiB line are answered DEFER_COMMIT",
          [r1, r2, r3, say("COMMIT TRANSACTION")] == ["OK", "DEFER_COMMIT", "DEFER_COMMIT", "OK"])
    before_v4 = os.path.getsize(out)
    check("a message outside a transaction is confirmed on its own",
          say(jm(4, "v4", 1004)) == "OK" and events().get("v4") == [5])
    p.stdin.close()
    check("exits 0 at the end of its input", p.wait(10) == 0)
    err.close()
    log = open(os.path.join(d, "proto.stderr")).read()
    check("reports the re-sent, the dropped and the bad lines",
          "1 re-sent after a failure" in log and "1 sent again after their confirmation" in log
          and "2 bad" in log and "1 failed deliveries" in log)
    restart(ag, d, conf, out, b1 + b2, jm(4, "v4", 1004), before_v4, events, check)
    mmexternal(ag, d, check)


def restart(ag, d, conf, out, batch, last, before_last, events, check):
    """What a process rsyslog starts after a kill is sent: the batch of a
    failed COMMIT again, or the message the killed one was writing."""
    def run(lines):
        p = subprocess.run([ag, "rsyslog", "-c", conf], input="\n".join(lines) + "\n",
                           capture_output=True, text=True, timeout=10)
        return p.stdout.split(), p.stderr
    before = events()
    replies, _ = run(["BEGIN TRANSACTION"] + batch + ["COMMIT TRANSACTION"])
    check("after a restart, a batch already written is dropped (%s)" % events(),
          replies == ["OK", "OK"] + ["DEFER_COMMIT"] * len(batch) + ["OK"] and events() == before)
    # The newest record of the seen file back to "writing", as if the
    # process had died while it wrote `last`, half a line after it.
    seen = os.path.join(d, "proto.seen")
    with open(seen, "r+b") as f:
        ring = f.read()
        recs = [struct.unpack_from("<QQQQ", ring, i) for i in range(0, len(ring), 32)]
        at = max(range(len(recs)), key=lambda i: recs[i][1])
        h, seq_done, _, _ = recs[at]
        f.seek(at * 32)
        f.write(struct.pack("<QQQQ", h, seq_done & ~1, before_last, os.stat(out).st_ino))
    with open(out, "a") as f:
        f.write('{"class_uid":3002,"half')
    replies, err = run([last])
    lines = open(out).read().splitlines()
    valid = all(ln.startswith("{") and json.loads(ln) for ln in lines)
    check("the message a killed process was writing is cut and written once, whole (%s)"
          % events().get("v4"), replies == ["OK", "OK"] and valid
          and len(events().get("v4", [])) == 1 and "cut " in err)


def mmexternal(ag, d, check):
    conf = os.path.join(d, "mm_empty.conf")
    open(conf, "w").close()
    users = [r'a\"b\\c', r"\u00e9t\u00e9", r"x\ud83d\ude00y", r"lone\ud800", r"t\tab", r"sl\/ash"]
    lines = []
    for i, u in enumerate(users):
        msg = "Failed password for invalid user %s from 192.0.2.%d port 22 ssh2" % (u, i + 1)
        for key in ('"msg"', '"m\\u0073g"'):  # the second is json-c's
            lines.append('{%s: "%s", "programname": "sshd", "$!": {"a": ["}", {"b": null}]}}'
                         % (key, msg))
    lines += ["", "[1,2]", '{"msg": "x"', "\x00", '{"msg": null}']
    r = subprocess.run([ag, "rsyslog", "--mmexternal", "-c", conf], input="\n".join(lines) + "\n",
                       capture_output=True, text=True, env={}, timeout=10)
    out = r.stdout.splitlines()
    check("mmexternal, empty environment: one reply per line, nothing on stderr",
          len(out) == len(lines) and r.stderr == "" and r.returncode == 0)
    got = []
    for a, b in zip(out[0:2 * len(users):2], out[1:2 * len(users):2]):
        ua = json.loads(a)["$!"]["authguard"].get("user")
        ub = json.loads(b)["$!"]["authguard"].get("user")
        got.append((ua, ub))
    check("mmexternal: the scanner decodes escapes as json-c does (%s)" % got,
          all(ua == ub and ua for ua, ub in got)
          and all(x == "{}" for x in out[2 * len(users):]))
    # rsyslog's RFC 3164 parser (protocol-version 0) leaves the space that
    # follows the tag in msg: the text after it is what `scan` recognizes.
    m3164 = ['{"msg": " %s for root from 192.0.2.9 port 22 ssh2", "programname": "sshd", '
             '"protocol-version": "%s"}' % (w, v) for w, v in (("Failed password", "0"),
                                                               ("Accepted password", "0"))]
    r = subprocess.run([ag, "rsyslog", "--mmexternal", "-c", conf], input="\n".join(m3164) + "\n",
                       capture_output=True, text=True, env={}, timeout=10)
    kinds = [json.loads(x).get("$!", {}).get("authguard", {}).get("kind")
             for x in r.stdout.splitlines()]
    check("RFC 3164 messages (a space before the text) are recognized (%s)" % kinds,
          kinds == ["auth_failure", "auth_success"])


if __name__ == "__main__":
    main()
