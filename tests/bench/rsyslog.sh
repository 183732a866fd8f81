#!/bin/sh
# rsyslog.sh - messages/s through a private rsyslogd into `authguard rsyslog`
# (omprog, confirmMessages, transactions, events written to a JSON-lines
# sink), next to the same rsyslog configuration feeding ok_only.c, a program
# that only answers. N sshd failures (200,000 by default, each from its own
# source) are sent in bulk over loopback TCP, once the program has started
# and confirmed a first message (its start is reported apart); the clock
# runs from the first byte sent to the program's last read from rsyslog
# (the last COMMIT), and counts once the program says it confirmed every
# message. Target:
# authguard >= 0.9x of the baseline, i.e. authguard is not what slows the
# pipeline.
#
# The two alternate for R rounds (3 by default) and the best round of each
# counts, since other work on the machine only ever slows a round down.
#
# omprog answers every message before rsyslog sends the next, so the rate
# depends on where the scheduler puts the two processes: on one CPU a
# hand-over is a context switch, across two it is a wake-up of the other
# CPU, far dearer in a VM. --pin same (both on CPU 0) or split (rsyslogd on
# CPU 0, the program on CPU 1) fixes the placement; none leaves it to the
# scheduler, whose choice can change the rate threefold between rounds.
#
#   tests/bench/rsyslog.sh [--build DIR] [--n N] [--rounds R] [--pin none|same|split]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build n=200000 rounds=3 pin=none
while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --n) n=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --pin) pin=$2; shift 2 ;;
        *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
case $pin in
    none) rs_cpu="" prog_cpu="" ;;
    same) rs_cpu="taskset -c 0" prog_cpu="" ;;
    split) rs_cpu="taskset -c 0" prog_cpu="$(command -v taskset) -c 1 " ;;
    *) echo "rsyslog.sh: --pin none, same or split" >&2; exit 2 ;;
esac
ag=$build/authguard
[ -x "$ag" ] || { echo "rsyslog.sh: no $ag (build first)" >&2; exit 2; }
command -v rsyslogd >/dev/null || { echo "rsyslog.sh: rsyslogd missing (scripts/deps.sh --test)" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/agbench.XXXXXX")
RSPID=""
cleanup() {
    if [ -n "$RSPID" ]; then kill "$RSPID" 2>/dev/null || true; wait "$RSPID" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

cc -O2 -o "$T/ok_only" "$here/ok_only.c"
# The payloads, generated once: the sender must not be the bottleneck.
# "start" is the one message that starts the program (from 12.0.0.1);
# "cold" comes next, from sources 11.x; "warm" then from sources 10.x.
# authguard faults its engine's memory in at start, before it answers its
# first OK ([engine] prefault); the first pass still pays for whatever else
# each program touches for the first time (its buffers, the file's pages).
python3 - "$n" "$T" <<'PY'
import sys, time
n, d = int(sys.argv[1]), sys.argv[2]
now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000+00:00"
for name, net, user in (("cold", 11, "c"), ("warm", 10, "u")):
    with open("%s/%s" % (d, name), "w") as f:
        for i in range(n):
            f.write("<86>1 %s vm sshd %d - - Failed password for invalid user %s%d from "
                    "%d.%d.%d.%d port %d ssh2\n" % (now, 1000 + i % 30000, user, i, net,
                    (i >> 16) & 255, (i >> 8) & 255, (i & 255) or 1, 1024 + i % 60000))
with open("%s/start" % d, "w") as f:
    f.write("<86>1 %s vm sshd 999 - - Failed password for invalid user start from "
            "12.0.0.1 port 1023 ssh2\n" % now)
PY
printf '[sink.jsonl]\npath = %s/events.jsonl\n' "$T" >"$T/ag.conf"
# The same without writing events (findings only), to show what the
# detection costs apart from rendering and writing 1.3 KB of OCSF per event;
# its progress is the line count it reports on SIGHUP (lines read, at most
# one batch ahead of the confirmed ones).
printf '[sink.jsonl]\npath = %s/none.jsonl\nevents = none\n' "$T" >"$T/none.conf"

port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run NAME BINARY COUNT-CMD: prints NAME, seconds, messages/s.
run() {
    name=$1 binary=$2 count=$3
    p=$(port)
    rm -rf "$T/work" && mkdir -p "$T/work"
    cat >"$T/rsyslog.conf" <<CONF
global(workDirectory="$T/work" processInternalMessages="on")
module(load="imtcp")
module(load="omprog")
template(name="AuthJson" type="string" string="%jsonmesg%\n")
input(type="imtcp" address="127.0.0.1" port="$p" ruleset="auth")
ruleset(name="auth") {
  action(type="omprog" name="bench" binary="$prog_cpu$binary" template="AuthJson"
         confirmMessages="on" confirmTimeout="10000" useTransactions="on"
         output="$T/$name.stderr"
         queue.type="LinkedList" queue.size="$((n + 1000))" queue.dequeueBatchSize="256"
         queue.workerThreads="1" action.resumeInterval="1" action.resumeRetryCount="-1")
}
*.* action(type="omfile" file="$T/internal.log")
CONF
    $rs_cpu rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslogd.pid" >"$T/rsyslogd.out" 2>&1 &
    RSPID=$!
    export RSPID
    # run() is called inside $(...): the EXIT trap cannot see RSPID there,
    # so a failed pass stops its own rsyslogd.
    if ! python3 - "$p" "$T" "$count" "$n" <<'PY'
import os, socket, subprocess, sys, time
port, d, count, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
s = None
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", port), 1)
        break
    except OSError:
        time.sleep(0.1)
if s is None:
    sys.exit("rsyslogd did not listen on port %d" % port)
s.settimeout(None)  # rsyslog pushes back while the action works: wait
# Every program is watched the same cheap way while it works: the bytes it
# has read from rsyslog (rchar in /proc/PID/io). Each way of asking a
# program how far it got costs a different amount of CPU (reading the
# events file, a signal and a report), and on a VM any extra activity also
# changes how fast the idle CPUs wake up, which moved the rates by half.
# Once the reading has stopped for 0.2 s, done() asks the program once how
# many messages it has confirmed; the pass ended at the last read.
# omprog starts the program with the first message: look for it lazily,
# in /proc (running pgrep every poll would be activity of its own).
io_path = [None]
def program_io():
    task = "/proc/%s/task" % os.environ["RSPID"]
    for t in os.listdir(task):
        with open("%s/%s/children" % (task, t)) as f:
            kids = f.read().split()
        if kids:
            return "/proc/%s/io" % kids[0]
    return None
def rchar():
    if io_path[0] is None:
        io_path[0] = program_io()
        if io_path[0] is None:
            return 0
    with open(io_path[0]) as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return 0
# How many messages the program has confirmed. "lines:PATH" counts the
# newlines of a file (incrementally); "number:PATH" reads a number;
# anything else is a shell command that prints one.
seen = [0, 0]
def done():
    if count.startswith("lines:"):
        try:
            with open(count[6:], "rb") as f:
                f.seek(seen[0])
                data = f.read()
        except FileNotFoundError:
            return 0
        seen[0] += len(data)
        seen[1] += data.count(b"\n")
        return seen[1]
    if count.startswith("number:"):
        try:
            return int(open(count[7:]).read().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0
    out = subprocess.run(["sh", "-c", count], capture_output=True, text=True).stdout.strip()
    return int(out or 0)
# omprog starts the program with the first message, and rsyslog holds
# that message until the program has answered its first OK: a program's
# start (authguard's config, tables and prefault) is not part of its
# throughput. One message, an event for every program, starts it; the
# clock starts once it is confirmed.
t0 = time.monotonic()
s.sendall(open("%s/start" % d, "rb").read())
while rchar() == 0 or done() < 1:
    time.sleep(0.05)
    if time.monotonic() - t0 > 60:
        sys.exit("the program did not confirm its first message in 60 s")
def cpu(pid):
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
started = time.monotonic() - t0
prog = io_path[0].split("/")[2]
res = ["%.2f %.2f %.2f" % (started, cpu(prog), cpu(os.environ["RSPID"]))]
for k, name in enumerate(("cold", "warm")):
    data = open("%s/%s" % (d, name), "rb").read()
    t0 = time.monotonic()
    s.sendall(data)
    last, last_t = rchar(), time.monotonic()
    while True:
        time.sleep(0.05)
        now, r = time.monotonic(), rchar()
        if r != last:
            last, last_t = r, now
        elif now - last_t >= 0.2 and done() >= 1 + (k + 1) * n:
            break
        if now - t0 > 600:
            sys.exit("timed out at %d of %d" % (done(), 1 + (k + 1) * n))
    el = last_t - t0
    res.append("%.2f %.0f" % (el, n / el))
s.close()
print(" ".join(res), end="")
PY
    then
        kill "$RSPID"; wait "$RSPID" 2>/dev/null || true
        return 1
    fi
    # CPU seconds of the program and of rsyslogd, whatever else ran.
    child=$(pgrep -P "$RSPID" | head -n 1)
    printf ' %s %s\n' "$(cpu "$child")" "$(cpu "$RSPID")"
    kill "$RSPID"; wait "$RSPID" 2>/dev/null || true; RSPID=""
}

# cpu PID: user + system seconds so far (fields 14 and 15 of /proc/PID/stat,
# counted after the ")" that ends the command name).
cpu() {
    sed 's/.*) //' "/proc/$1/stat" 2>/dev/null |
        awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / hz }'
}

echo "rsyslog: $n messages, imtcp -> omprog (confirmMessages, transactions, batches of 256), best of $rounds, placement: $pin"
: >"$T/results"
i=0
while [ "$i" -lt "$rounds" ]; do
    rm -f "$T/events.jsonl" "$T/ok.count" "$T/none.stderr"
    {
        echo "ok $(run ok_only "$T/ok_only $T/ok.count" "number:$T/ok.count")"
        echo "ag $(run authguard "$ag rsyslog -c $T/ag.conf" "lines:$T/events.jsonl")"
        echo "no $(run none "$ag rsyslog -c $T/none.conf" "pkill -HUP -P \$RSPID -f none.conf; sleep 0.02; grep -o '[0-9]* lines' $T/none.stderr | tail -n 1 | cut -d' ' -f1")"
    } >>"$T/results"
    i=$((i + 1))
done
# A result line: the program's name; seconds to its first confirmation, its
# and rsyslogd's CPU seconds then; seconds and msg/s of the cold pass and of
# the warm pass; its and rsyslogd's CPU seconds at the end.
awk '
    {
        for (i = 5; i <= 7; i += 2) {
            if ($(i + 1) > rate[$1, i]) { rate[$1, i] = $(i + 1); secs[$1, i] = $i }
            all[$1, i] = all[$1, i] " " $(i + 1)
        }
        if (start[$1] == "" || $2 < start[$1]) start[$1] = $2
        cpu[$1] += $9 - $3; rcpu[$1] += $10 - $4; runs[$1]++
    }
    END {
        split("ok ag no", keys, " ")
        name["ok"] = "ok_only (baseline)"; name["ag"] = "authguard rsyslog"
        name["no"] = "  ... events = none"
        for (i = 5; i <= 7; i += 2) {
            printf "  %s (%s)\n", i == 5 ? "cold: first pass, sources 11.x" \
                : "warm: second pass, sources 10.x", i == 5 ? "every buffer touched for the first time" \
                : "after the first pass"
            for (k = 1; k <= 3; k++)
                printf "    %-20s %7s s %9d msg/s   (rounds:%s)\n", name[keys[k]], secs[keys[k], i],
                    rate[keys[k], i], all[keys[k], i]
            if (rate["ok", i] == 0 || rate["ag", i] == 0) {
                print "  no result: a pass failed (see above)"
                exit 1
            }
            r = rate["ag", i] / rate["ok", i]
            printf "    ratio authguard/baseline: %.2f (target >= 0.90): %s; events = none: %.2f\n",
                r, (r >= 0.9 ? "met" : "NOT met"), rate["no", i] / rate["ok", i]
        }
        printf "  first message confirmed after (the program starting), best of the rounds:\n"
        for (k = 1; k <= 3; k++)
            printf "    %-20s %6.2f s\n", name[keys[k]], start[keys[k]]
        printf "  CPU per message, both passes, mean of the rounds: program, rsyslogd\n"
        for (k = 1; k <= 3; k++)
            printf "    %-20s %6.2f us  %6.2f us\n", name[keys[k]],
                cpu[keys[k]] / runs[keys[k]] / (2 * n) * 1e6,
                rcpu[keys[k]] / runs[keys[k]] / (2 * n) * 1e6
    }' n="$n" "$T/results"
