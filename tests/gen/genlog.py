#!/usr/bin/env python3
"""genlog.py - writes realistic mixed syslog for tests and benchmarks.

The output looks like the auth.log/syslog of a small fleet: sshd (OpenSSH 9.2
"sshd" and 9.8+ "sshd-session" hosts), PAM, sudo, su and login lines among
cron, kernel, systemd, postfix, dhclient, nginx, haproxy and other daemons.
Attack scenarios (--scenario) are interleaved with the background at the
given rate. The same --seed always gives the same bytes. Standard library
only; it never touches the network.

    genlog.py --lines 2000000 --seed 1 > big.log
    genlog.py --lines 2000 --rate 0.3 --scenario bruteforce,typo --truth t.jsonl

The bundled tests/data/sample.log and its truth file come from
    genlog.py --lines 2000 --seed 2026 --rate 0.08 --scale 0.6 --sshd-share 0.6 \
        --scenario all --truth tests/data/sample.truth.jsonl > tests/data/sample.log
"""

import argparse
import calendar
import heapq
import ipaddress
import json
import os
import random
import sys
import time

SCENARIOS = ("bruteforce", "spray", "slow", "enum", "compromise", "scan",
             "ipv6rot", "typo")

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec")

# syslog facilities (RFC 5424 numbers) and severities used for <PRI>.
KERN, MAIL, DAEMON, AUTH, CRON_FAC, AUTHPRIV = 0, 2, 3, 4, 9, 10
ERR, WARNING, NOTICE, INFO = 3, 4, 5, 6

# Names bots try, most common first (root dominates real traffic).
BOT_USERS = (
    "root", "root", "root", "root", "root", "admin", "admin", "test", "user",
    "ubuntu", "oracle", "postgres", "git", "ftpuser", "guest", "pi", "support",
    "mysql", "jenkins", "hadoop", "minecraft", "server", "ubnt", "debian",
    "centos", "ec2-user", "tomcat", "test1", "test2", "user1", "dev", "devops",
    "sysadmin", "administrator", "nagios", "zabbix", "elastic", "es", "kafka",
    "hduser", "steam", "teamspeak", "ts3", "vagrant", "docker", "ansible",
    "odoo", "sonar", "gitlab-runner", "nexus", "wordpress", "www", "web",
    "backup", "student", "demo", "sa", "operator", "sftp", "ftp", "super",
    "solana", "sol", "validator", "node", "deployer", "frappe", "es_user",
    "oscar", "bitrix", "vpn", "user01", "testuser", "alex", "john", "mike",
)

# Names an enumeration run walks through (all invalid on these hosts).
ENUM_USERS = (
    "admin", "test", "guest", "info", "adm", "mysql", "user", "administrator",
    "oracle", "ftp", "pi", "puppet", "ansible", "ec2-user", "vagrant", "azureuser",
    "centos", "fedora", "hadoop", "spark", "postgres", "redis", "elastic",
    "kibana", "grafana", "prometheus", "zabbix", "nagios", "jenkins", "gitlab",
    "git", "svn", "tomcat", "jboss", "wildfly", "weblogic", "www-data", "nginx",
    "apache", "httpd", "php", "odoo", "erp", "sap", "sapadm", "db2inst1",
    "informix", "sybase", "mssql", "mongodb", "couchdb", "cassandra", "kafka",
    "zookeeper", "storm", "flink", "airflow", "superset", "metabase", "minio",
    "ceph", "openstack", "nova", "glance", "cinder", "swift", "keystone",
    "proxmox", "vmware", "esxi", "citrix", "backup", "bacula", "amanda",
    "nas", "synology", "qnap", "ubnt", "mikrotik", "cisco", "huawei", "zte",
)

# A fleet's real people and robots: name, uid, typical auth method.
LEGIT_USERS = (
    ("alice", 1000, "publickey"), ("bob", 1001, "publickey"),
    ("carol", 1002, "publickey"), ("dave", 1003, "password"),
    ("erin", 1004, "publickey"), ("frank", 1005, "keyboard-interactive/pam"),
    ("deploy", 1100, "publickey"), ("ansible", 1101, "publickey"),
    ("backup", 1102, "password"), ("git", 998, "publickey"),
)

CRON_CMDS = (
    ("root", "command -v debian-sa1 > /dev/null && debian-sa1 1 1"),
    ("root", "   cd / && run-parts --report /etc/cron.hourly"),
    ("root", "[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi"),
    ("root", "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }"),
    ("www-data", "php /var/www/nextcloud/cron.php"),
    ("backup", "/usr/local/bin/backup-db.sh >/dev/null 2>&1"),
    ("root", "/usr/bin/certbot -q renew"),
    ("root", "/usr/local/sbin/rotate-audit --quiet"),
)

SYSTEMD_MSGS = (
    "Starting apt-daily.service - Daily apt download activities...",
    "apt-daily.service: Deactivated successfully.",
    "Finished apt-daily.service - Daily apt download activities.",
    "Starting logrotate.service - Rotate log files...",
    "logrotate.service: Deactivated successfully.",
    "Finished logrotate.service - Rotate log files.",
    "Starting man-db.service - Daily man-db regeneration...",
    "man-db.service: Deactivated successfully.",
    "Starting phpsessionclean.service - Clean php session files...",
    "phpsessionclean.service: Deactivated successfully.",
    "Finished phpsessionclean.service - Clean php session files.",
    "Starting systemd-tmpfiles-clean.service - Cleanup of Temporary Directories...",
    "systemd-tmpfiles-clean.service: Deactivated successfully.",
    "Started certbot.service - Certbot.",
    "certbot.service: Deactivated successfully.",
    "Reloading ssh.service - OpenBSD Secure Shell server...",
    "Reloaded ssh.service - OpenBSD Secure Shell server.",
    "Starting sysstat-collect.service - system activity accounting tool...",
    "sysstat-collect.service: Deactivated successfully.",
    "Finished sysstat-collect.service - system activity accounting tool.",
    "Started fstrim.service - Discard unused blocks on filesystems from /etc/fstab.",
    "e2scrub_all.service: Deactivated successfully.",
    "Starting dpkg-db-backup.service - Daily dpkg database backup service...",
    "run-docker-runtime\\x2drunc-moby-4f2a1c.mount: Deactivated successfully.",
)

NGINX_PATHS = ("/wp-login.php", "/.env", "/.git/config", "/phpmyadmin/index.php",
               "/xmlrpc.php", "/admin/config.php", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
               "/cgi-bin/luci/;stok=/locale", "/boaform/admin/formLogin",
               "/actuator/health", "/.aws/credentials", "/server-status")
API_PATHS = ("/api/v1/health", "/api/v1/orders", "/api/v1/users/me", "/static/app.js",
             "/api/v1/search?q=boots", "/", "/login", "/metrics", "/api/v1/cart")

KEX_OFFERS = (
    "no matching key exchange method found. Their offer: diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1",
    "no matching host key type found. Their offer: ssh-rsa,ssh-dss",
    "no matching key exchange method found. Their offer: diffie-hellman-group1-sha1",
    "no matching cipher found. Their offer: aes128-cbc,3des-cbc,blowfish-cbc",
    "no matching MAC found. Their offer: hmac-md5,hmac-sha1-96",
)

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# Ranges no public source comes from (plus the documentation ranges, which
# the attackers use on purpose where an obviously fake address fits).
_RESERVED_V4 = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/3")]
_RESERVED_V4 = [(int(n.network_address), int(n.netmask)) for n in _RESERVED_V4]


class Host:
    """One machine of the fleet: its name, OpenSSH generation and pids."""

    def __init__(self, rng, name, new_openssh, index):
        self.name = name
        self.new_openssh = new_openssh        # 9.8+: per-connection "sshd-session"
        self.session_prog = "sshd-session" if new_openssh else "sshd"
        self.local4 = "10.0.%d.%d" % (index // 200, 10 + index % 200)
        self.local6 = "2001:db8:100:%x::%x" % (index, 10 + index)
        self.next_pid = rng.randrange(20000, 400000)
        self.sshd_pid = str(rng.randrange(600, 1200))
        self.logind_pid = str(rng.randrange(400, 700))
        self.qmgr_pid = str(rng.randrange(1300, 2000))
        self.dhclient_pid = str(rng.randrange(500, 900))
        self.chrony_pid = str(rng.randrange(500, 900))
        self.containerd_pid = str(rng.randrange(700, 1100))
        self.nginx_pid = str(rng.randrange(800, 1200))
        self.haproxy_pid = str(rng.randrange(900, 1300))
        self.session_no = rng.randrange(1, 3000)

    def pid(self, rng):
        # Linux hands out pids in increasing order and wraps at pid_max.
        self.next_pid += rng.randrange(1, 40)
        if self.next_pid >= 4194304:
            self.next_pid = 300 + self.next_pid % 4194304
        return self.next_pid


class Gen:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        rng = self.rng
        self.heap = []
        self.seq = 0
        self.fmt = args.format
        self.written = 0
        self.sshd_written = 0
        self.ts_sec = None
        self.ts_prefix = ""
        self.truth = []
        self.tag_left = []        # lines still to emit, per scenario tag

        names = ["bastion", "web-01", "db-01", "web-02", "mail-01", "ci-01",
                 "web-03", "app-01", "app-02", "monitor-01"]
        n = max(1, args.hosts)
        self.hosts = []
        for i in range(n):
            name = names[i] if i < len(names) else "node-%02d" % i
            # The bastion and every third host run OpenSSH >= 9.8.
            self.hosts.append(Host(rng, name, i % 3 == 0, i))
        # The bastion takes most of the ssh traffic, as it faces the internet.
        self.ssh_weights = [6 if i == 0 else 2 for i in range(n)]

        self.users = {}
        offices = [self.public_v4(), self.public_v4()]
        for name, uid, method in LEGIT_USERS:
            srcs = [rng.choice(offices), self.public_v4()]
            if name in ("deploy", "ansible", "git"):
                srcs = ["10.0.%d.%d" % (rng.randrange(4, 8), rng.randrange(2, 250))]
            if name == "carol":
                srcs.append(self.public_v6(self.v6_prefix()))
            if name == "erin":
                srcs.append("10.8.0.%d" % rng.randrange(2, 250))
            keytype = rng.choice(("ED25519", "ED25519", "RSA", "ECDSA"))
            self.users[name] = {
                "uid": uid, "method": method, "srcs": srcs,
                "key": "%s SHA256:%s" % (keytype, self.b64(43)),
            }
        self.user_names = [u[0] for u in LEGIT_USERS]
        self.valid = set(self.user_names) | {"root"}

    # -- random building blocks ------------------------------------------

    def b64(self, n):
        r = self.rng.random
        return "".join(B64[int(r() * 64)] for _ in range(n))

    def public_v4(self):
        r = self.rng.getrandbits
        while True:
            a = r(32)
            for net, mask in _RESERVED_V4:
                if a & mask == net:
                    break
            else:
                return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)

    def doc_v4(self):
        return "%s%d" % (self.rng.choice(("192.0.2.", "198.51.100.", "203.0.113.")),
                         self.rng.randrange(1, 255))

    def v6_prefix(self, doc=False):
        """A random /64 as an int: public-looking unless doc is set."""
        r = self.rng
        if doc:
            top = (0x20010db8 << 32) | r.getrandbits(32)
        else:
            top = (r.choice((0x2a01, 0x2a02, 0x2a03, 0x2604, 0x2607, 0x2001, 0x2400, 0x2803))
                   << 48) | r.getrandbits(48)
            if top >> 32 == 0x20010db8:
                top ^= 1 << 40
        return top << 64

    def public_v6(self, prefix):
        r = self.rng
        if r.random() < 0.3:
            low = r.randrange(1, 0x10000)          # ::1234 style servers
        else:
            low = r.getrandbits(64)                # privacy addresses
        return str(ipaddress.IPv6Address(prefix | low))

    def bot_source(self):
        r = self.rng.random()
        if r < 0.08:
            return self.public_v6(self.v6_prefix())
        if r < 0.14:
            return self.doc_v4()
        return self.public_v4()

    def port(self):
        return self.rng.randrange(1024, 65536)

    def client_port(self):
        return self.rng.randrange(32768, 61000)

    def ssh_host(self):
        return self.rng.choices(self.hosts, self.ssh_weights)[0]

    def any_host(self):
        return self.hosts[int(self.rng.random() * len(self.hosts))]

    # -- the timeline ----------------------------------------------------

    def push(self, t, host, prog, pid, pri, msg, tag=-1):
        """Schedules a line. pid is a str, "" for none, or a list [0] that
        gets the host's next pid when its first line is written, so that
        pids rise in file order as they do on a real machine."""
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, host, prog, pid, pri, msg, tag))
        if tag >= 0:
            self.tag_left[tag] += 1

    def stamp(self, t):
        s = int(t)
        if s != self.ts_sec:
            self.ts_sec = s
            g = time.gmtime(s)
            if self.fmt == "bsd":
                self.ts_prefix = "%s %2d %02d:%02d:%02d" % (
                    MONTHS[g.tm_mon - 1], g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec)
            else:
                self.ts_prefix = "%04d-%02d-%02dT%02d:%02d:%02d" % (
                    g.tm_year, g.tm_mon, g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec)
        if self.fmt == "bsd":
            return self.ts_prefix
        if self.fmt == "iso":
            return "%s.%06d+00:00" % (self.ts_prefix, int((t - s) * 1e6))
        return "%s.%06dZ" % (self.ts_prefix, int((t - s) * 1e6))

    def render(self, t, host, prog, pid, pri, msg):
        if type(pid) is list:
            if not pid[0]:
                pid[0] = host.pid(self.rng)
            pid = str(pid[0])
        if self.fmt == "rfc5424":
            # rsyslog's RSYSLOG_SyslogProtocol23Format; a few senders add
            # the timeQuality element that rsyslog itself writes.
            sd = "-"
            if prog in ("systemd", "kernel") and self.rng.random() < 0.2:
                sd = '[timeQuality tzKnown="1" isSynced="1" syncAccuracy="125000"]'
            return "<%d>1 %s %s %s %s - %s %s" % (
                pri, self.stamp(t), host.name, prog, pid or "-", sd, msg)
        if pid:
            return "%s %s %s[%s]: %s" % (self.stamp(t), host.name, prog, pid, msg)
        return "%s %s %s: %s" % (self.stamp(t), host.name, prog, msg)

    def run(self, out):
        args = self.args
        rng = self.rng
        n = args.lines
        rate = args.rate
        t = self.t0
        share = args.sshd_share
        buf = []
        heap = self.heap
        heappop = heapq.heappop
        expo = rng.expovariate
        rand = rng.random
        sshd_progs = ("sshd", "sshd-session")
        tag_left = self.tag_left
        truth = self.truth

        def emit(item):
            tt, _, host, prog, pid, pri, msg, tag = item
            buf.append(self.render(tt, host, prog, pid, pri, msg))
            self.written += 1
            if prog in sshd_progs:
                self.sshd_written += 1
            if tag >= 0:
                tag_left[tag] -= 1
                rec = truth[tag]
                if rec["first"] is None:
                    rec["first"] = tt
                rec["last"] = tt
                rec["lines_written"] += 1

        while self.written < n:
            while heap and heap[0][0] <= t and self.written < n:
                emit(heappop(heap))
            if self.written >= n:
                break
            # Keep the sshd share on target whatever the scenarios add.
            deficit = share * (self.written + 1) - self.sshd_written
            p = share + deficit * 0.02
            before = self.seq
            if rand() < p:
                self.sshd_unit(t)
            else:
                self.other_unit(t)
            # A unit of k lines stands for k arrivals at the configured rate.
            k = self.seq - before
            t += expo(rate) * (k if k > 0 else 1)
            if len(buf) >= 8192:
                out.write("\n".join(buf))
                out.write("\n")
                buf.clear()
        if buf:
            out.write("\n".join(buf))
            out.write("\n")

    # -- sshd background -------------------------------------------------

    def sshd_unit(self, t):
        botnet = self.args.botnet
        if botnet > 0 and self.rng.random() < botnet:
            self.botnet_guess(t)
            return
        r = self.rng.random()
        if r < 0.42:
            self.bot_visit(t)
        elif r < 0.80:
            self.preauth_probe(t, self.ssh_host(), self.bot_source())
        else:
            self.legit_session(t)

    def bot_visit(self, t):
        """Internet background noise: a fresh source making one or two
        connections and at most three password guesses in all, so that the
        background alone stays under common brute-force thresholds (fail2ban's
        5) and every finding in a generated log comes from a scenario."""
        rng = self.rng
        host = self.ssh_host()
        src = self.bot_source()
        user = rng.choice(BOT_USERS)
        if rng.random() < 0.004:
            user = ""                       # sshd logs "Invalid user  from ..."
        left = 3
        for _ in range(rng.choice((1, 1, 1, 1, 2))):
            tries = min(left, rng.choice((1, 1, 1, 2, 2, 3)))
            left -= tries
            end = rng.choice(("bye", "bye", "bye", "closed", "closed", "reset"))
            t = self.failed_conn(t, host, src, user, tries, end) + rng.uniform(0.5, 20)
            if left <= 0:
                break

    def botnet_guess(self, t):
        """One guess of a large botnet: a source not seen before tries a
        name not seen before, once, on a host that runs sshd without PAM
        (three lines). Spread this way, failures make a new source key and a
        new user key nearly every time, which is what a counter has to
        survive; none of them reaches any threshold."""
        rng = self.rng
        host = self.ssh_host()
        src = self.bot_source()
        user = "%s%d" % (rng.choice(ENUM_USERS), rng.randrange(1, 1000000))
        prog = host.session_prog
        pid = [0]
        port = self.port()
        t += rng.uniform(0.05, 0.6)
        self.push(t, host, prog, pid, AUTH * 8 + INFO,
                  "Invalid user %s from %s port %d" % (user, src, port))
        t += rng.uniform(1.8, 3.2)
        self.push(t, host, prog, pid, AUTH * 8 + INFO,
                  "Failed password for invalid user %s from %s port %d ssh2" % (user, src, port))
        self.push(t + rng.uniform(0.01, 0.5), host, prog, pid, AUTH * 8 + INFO,
                  "Connection closed by invalid user %s %s port %d [preauth]" % (user, src, port))

    def failed_conn(self, t, host, src, user, tries, end, method="password",
                    tag=-1):
        """One sshd connection that fails to authenticate, as OpenSSH with
        UsePAM logs it. Returns the time of its last line."""
        rng = self.rng
        prog = host.session_prog
        pid = [0]
        port = self.port()
        valid = user in self.valid
        push = self.push
        who = user if valid else "invalid user " + user
        t += rng.uniform(0.05, 0.6)
        if not valid:
            push(t, host, prog, pid, AUTH * 8 + INFO,
                 "Invalid user %s from %s port %d" % (user, src, port), tag)
        for i in range(tries):
            t += rng.uniform(0.01, 1.5)
            if method == "password":
                if not valid:
                    push(t, host, prog, pid, AUTHPRIV * 8 + NOTICE,
                         "pam_unix(sshd:auth): check pass; user unknown", tag)
                if i == 0:
                    push(t, host, prog, pid, AUTHPRIV * 8 + NOTICE,
                         "pam_unix(sshd:auth): authentication failure; logname= uid=0 "
                         "euid=0 tty=ssh ruser= rhost=%s%s"
                         % (src, "  user=" + user if valid else ""), tag)
                t += rng.uniform(1.8, 3.2)      # pam_faildelay
                push(t, host, prog, pid, AUTH * 8 + INFO,
                     "Failed password for %s from %s port %d ssh2" % (who, src, port), tag)
            else:
                push(t, host, prog, pid, AUTH * 8 + INFO,
                     "Failed publickey for %s from %s port %d ssh2: %s SHA256:%s"
                     % (who, src, port, rng.choice(("RSA", "ED25519", "ECDSA")),
                        self.b64(43)), tag)
        t += rng.uniform(0.01, 0.5)
        kind = "invalid" if not valid else "authenticating"
        if end == "maxauth":
            push(t, host, prog, pid, AUTH * 8 + ERR,
                 "error: maximum authentication attempts exceeded for %s from %s port %d ssh2 [preauth]"
                 % (who, src, port), tag)
            push(t, host, prog, pid, AUTH * 8 + INFO,
                 "Disconnecting %s user %s %s port %d: Too many authentication failures [preauth]"
                 % (kind, user, src, port), tag)
        elif end == "bye":
            push(t, host, prog, pid, AUTH * 8 + INFO,
                 "Received disconnect from %s port %d:11: Bye Bye [preauth]" % (src, port), tag)
            push(t, host, prog, pid, AUTH * 8 + INFO,
                 "Disconnected from %s user %s %s port %d [preauth]" % (kind, user, src, port), tag)
        elif end == "reset":
            push(t, host, prog, pid, AUTH * 8 + INFO,
                 "Connection reset by %s user %s %s port %d [preauth]" % (kind, user, src, port), tag)
        else:
            push(t, host, prog, pid, AUTH * 8 + INFO,
                 "Connection closed by %s user %s %s port %d [preauth]" % (kind, user, src, port), tag)
        if method == "password" and tries > 1:
            push(t, host, prog, pid, AUTHPRIV * 8 + NOTICE,
                 "PAM %d more authentication failure%s; logname= uid=0 euid=0 tty=ssh "
                 "ruser= rhost=%s%s" % (tries - 1, "s" if tries > 2 else "", src,
                                        "  user=" + user if valid else ""), tag)
            if tries > 3:
                push(t, host, prog, pid, AUTHPRIV * 8 + NOTICE,
                     "PAM service(sshd) ignoring max retries; %d > 3" % tries, tag)
        return t

    def preauth_probe(self, t, host, src, tag=-1):
        """Scanners and broken clients that never try a credential."""
        rng = self.rng
        prog = host.session_prog
        pid = [0]
        port = self.port()
        push = self.push
        pri = AUTH * 8 + INFO
        r = rng.random()
        t += rng.uniform(0.01, 0.3)
        if r < 0.22:
            push(t, host, prog, pid, pri,
                 "Connection closed by %s port %d [preauth]" % (src, port), tag)
        elif r < 0.32:
            push(t, host, prog, pid, pri,
                 "Connection reset by %s port %d [preauth]" % (src, port), tag)
        elif r < 0.44:
            push(t, host, prog, pid, pri,
                 "Did not receive identification string from %s port %d" % (src, port), tag)
        elif r < 0.56:
            ident = rng.choice(('client sent invalid protocol identifier "GET / HTTP/1.1"',
                                "banner line contains invalid characters",
                                "Connection closed by remote host",
                                "read: Connection reset by peer"))
            push(t, host, prog, pid, AUTH * 8 + ERR,
                 "error: kex_exchange_identification: " + ident, tag)
            if ident.startswith(("client", "banner")):
                push(t, host, prog, pid, pri,
                     "banner exchange: Connection from %s port %d: invalid format" % (src, port), tag)
            else:
                push(t, host, prog, pid, pri,
                     "Connection %s by %s port %d" % ("closed" if "closed" in ident else "reset",
                                                      src, port), tag)
        elif r < 0.64:
            push(t, host, prog, pid, pri,
                 "Unable to negotiate with %s port %d: %s [preauth]"
                 % (src, port, rng.choice(KEX_OFFERS)), tag)
        elif r < 0.70:
            push(t + 120, host, prog, pid, AUTH * 8 + ERR,
                 "fatal: Timeout before authentication for %s port %d" % (src, port), tag)
        elif r < 0.80:
            user = rng.choice(("root", "root", "admin", "ubuntu", "git"))
            kind = "authenticating" if user in self.valid else "invalid"
            if kind == "invalid":
                push(t, host, prog, pid, pri,
                     "Invalid user %s from %s port %d" % (user, src, port), tag)
            push(t + rng.uniform(0.1, 1), host, prog, pid, pri,
                 "Connection closed by %s user %s %s port %d [preauth]" % (kind, user, src, port), tag)
        elif r < 0.86:
            push(t, host, prog, pid, pri,
                 "Received disconnect from %s port %d:11: Normal Shutdown, Thank you for playing [preauth]"
                 % (src, port), tag)
            push(t, host, prog, pid, pri,
                 "Disconnected from %s port %d [preauth]" % (src, port), tag)
        elif r < 0.88:
            push(t, host, prog, pid, AUTH * 8 + ERR,
                 "ssh_dispatch_run_fatal: Connection from %s port %d: message authentication code incorrect [preauth]"
                 % (src, port), tag)
        elif r < 0.90:
            push(t, host, prog, pid, pri,
                 "error: Protocol major versions differ for %s port %d: SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3 vs. SSH-1.5-Nmap-SSH1-Hostkey"
                 % (src, port), tag)
        elif host.new_openssh:
            self.penalty_drop(t, host, src, rng.choice((
                "penalty: connections without attempting authentication",
                "penalty: exceeded LoginGraceTime",
                "penalty: failed authentication")), tag)
        else:
            push(t, host, prog, pid, pri,
                 "Connection closed by %s port %d [preauth]" % (src, port), tag)

    def penalty_drop(self, t, host, src, reason, tag=-1):
        # Logged by the listener (not sshd-session), so it carries its pid.
        local = host.local6 if ":" in src else host.local4
        self.push(t, host, "sshd", host.sshd_pid, AUTH * 8 + INFO,
                  "drop connection #%d from [%s]:%d on [%s]:22 %s"
                  % (self.rng.choice((0, 0, 0, 1, 2)), src, self.port(), local, reason), tag)

    def legit_session(self, t, user=None, src=None, host=None, fails=0,
                      method=None, tag=-1, duration=None):
        """A person or a robot logging in: optional failed tries first,
        then Accepted, the PAM/logind session, maybe some sudo, logout."""
        rng = self.rng
        if user is None:
            user = rng.choice(self.user_names)
        info = self.users.get(user) or {"uid": 1200, "method": "password",
                                         "srcs": [src], "key": "ED25519 SHA256:" + self.b64(43)}
        if src is None:
            src = rng.choice(info["srcs"])
        if host is None:
            host = self.ssh_host()
        if method is None:
            method = info["method"]
        prog = host.session_prog
        pid = [0]
        port = self.client_port()
        push = self.push
        pri = AUTH * 8 + INFO
        t += rng.uniform(0.05, 0.4)
        if fails and method == "password":
            for i in range(fails):
                if i == 0:
                    push(t, host, prog, pid, AUTHPRIV * 8 + NOTICE,
                         "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                         "tty=ssh ruser= rhost=%s  user=%s" % (src, user), tag)
                t += rng.uniform(2.0, 3.0)
                push(t, host, prog, pid, pri,
                     "Failed password for %s from %s port %d ssh2" % (user, src, port), tag)
                t += rng.uniform(2.0, 8.0)          # the person retypes
        elif method == "publickey" and rng.random() < 0.03:
            # An agent full of keys: sshd logs the later refusals at INFO.
            push(t, host, prog, pid, pri,
                 "Failed publickey for %s from %s port %d ssh2: RSA SHA256:%s"
                 % (user, src, port, self.b64(43)), tag)
        t += rng.uniform(0.02, 0.3)
        extra = ": " + info["key"] if method == "publickey" else ""
        push(t, host, prog, pid, pri,
             "Accepted %s for %s from %s port %d ssh2%s" % (method, user, src, port, extra), tag)
        push(t + 0.004, host, prog, pid, AUTHPRIV * 8 + INFO,
             "pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)"
             % (user, info["uid"]), tag)
        host.session_no += 1
        sess = host.session_no
        push(t + 0.01, host, "systemd-logind", host.logind_pid, AUTH * 8 + INFO,
             "New session %d of user %s." % (sess, user), tag)
        push(t + 0.02, host, "systemd", "1", DAEMON * 8 + INFO,
             "Started session-%d.scope - Session %d of User %s." % (sess, sess, user), tag)
        if duration is None:
            if user in ("deploy", "ansible", "git", "backup"):
                duration = rng.uniform(0.5, 40)
            else:
                duration = rng.expovariate(1 / 1500.0) + 5
        if user not in ("git", "backup") and rng.random() < 0.25:
            self.sudo_ok(t + rng.uniform(2, max(3, duration * 0.8)), host, user)
        end = t + duration
        push(end, host, prog, pid, pri,
             "Received disconnect from %s port %d:11: disconnected by user" % (src, port), tag)
        push(end, host, prog, pid, pri,
             "Disconnected from user %s %s port %d" % (user, src, port), tag)
        push(end + 0.002, host, prog, pid, AUTHPRIV * 8 + INFO,
             "pam_unix(sshd:session): session closed for user %s" % user, tag)
        push(end + 0.01, host, "systemd-logind", host.logind_pid, AUTH * 8 + INFO,
             "Session %d logged out. Waiting for processes to exit." % sess, tag)
        push(end + 0.02, host, "systemd", "1", DAEMON * 8 + INFO,
             "session-%d.scope: Deactivated successfully." % sess, tag)
        push(end + 0.03, host, "systemd-logind", host.logind_pid, AUTH * 8 + INFO,
             "Removed session %d." % sess, tag)
        return t

    # -- local privilege ---------------------------------------------------

    def sudo_ok(self, t, host, user, tag=-1):
        rng = self.rng
        pid = [0]
        cmd = rng.choice(("/usr/bin/systemctl restart nginx", "/usr/bin/apt update",
                          "/usr/bin/journalctl -u ssh --since today", "/usr/bin/tail -f /var/log/syslog",
                          "/usr/bin/docker ps", "/bin/bash", "/usr/sbin/ufw status"))
        pwd = "/home/" + user if rng.random() < 0.8 else "/etc/nginx"
        self.push(t, host, "sudo", pid, AUTHPRIV * 8 + NOTICE,
                  "%8s : TTY=pts/%d ; PWD=%s ; USER=root ; COMMAND=%s"
                  % (user, rng.randrange(0, 4), pwd, cmd), tag)
        self.push(t + 0.003, host, "sudo", pid, AUTHPRIV * 8 + INFO,
                  "pam_unix(sudo:session): session opened for user root(uid=0) by %s(uid=%d)"
                  % (user, self.users.get(user, {"uid": 1000})["uid"]), tag)
        self.push(t + rng.uniform(0.05, 30), host, "sudo", pid, AUTHPRIV * 8 + INFO,
                  "pam_unix(sudo:session): session closed for user root", tag)

    def sudo_fail(self, t, host, user, tag=-1):
        rng = self.rng
        pid = [0]
        uid = self.users.get(user, {"uid": 1000})["uid"]
        tty = rng.randrange(0, 4)
        cmd = rng.choice(("/usr/bin/apt upgrade", "/bin/bash", "/usr/bin/cat /etc/shadow",
                          "/usr/bin/systemctl restart postgresql"))
        if rng.random() < 0.05:
            self.push(t, host, "sudo", pid, AUTHPRIV * 8 + ALERT_SEV,
                      "%8s : user NOT in sudoers ; TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND=%s"
                      % (user, tty, user, cmd), tag)
            return
        # mostly a mistyped password, fixed on the next sudo
        n = rng.choice((1, 1, 1, 1, 2))
        self.push(t, host, "sudo", pid, AUTHPRIV * 8 + NOTICE,
                  "pam_unix(sudo:auth): authentication failure; logname=%s uid=%d euid=0 "
                  "tty=/dev/pts/%d ruser=%s rhost=  user=%s" % (user, uid, tty, user, user), tag)
        self.push(t + 0.01, host, "unix_chkpwd", [0], AUTHPRIV * 8 + NOTICE,
                  "password check failed for user (%s)" % user, tag)
        t += rng.uniform(3, 12) * n
        self.push(t, host, "sudo", pid, AUTHPRIV * 8 + ALERT_SEV,
                  "%8s : %d incorrect password attempt%s ; TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND=%s"
                  % (user, n, "s" if n > 1 else "", tty, user, cmd), tag)

    def su_unit(self, t, host):
        rng = self.rng
        pid = [0]
        user = rng.choice(("alice", "bob", "dave", "erin"))
        tty = rng.randrange(0, 4)
        uid = self.users[user]["uid"]
        if rng.random() < 0.05:
            self.push(t, host, "su", pid, AUTHPRIV * 8 + NOTICE,
                      "pam_unix(su:auth): authentication failure; logname=%s uid=%d euid=0 "
                      "tty=/dev/pts/%d ruser=%s rhost=  user=root" % (user, uid, tty, user))
            if rng.random() < 0.15:
                # shadow-utils su, still found on older hosts
                self.push(t + 2.5, host, "su", pid, AUTH * 8 + NOTICE,
                          "FAILED su for root by %s" % user)
            else:
                self.push(t + 2.5, host, "su", pid, AUTH * 8 + NOTICE,
                          "FAILED SU (to root) %s on pts/%d" % (user, tty))
            return
        self.push(t, host, "su", pid, AUTH * 8 + NOTICE, "(to root) %s on pts/%d" % (user, tty))
        self.push(t + 0.01, host, "su", pid, AUTHPRIV * 8 + INFO,
                  "pam_unix(su-l:session): session opened for user root(uid=0) by %s(uid=%d)"
                  % (user, uid))
        self.push(t + rng.uniform(10, 600), host, "su", pid, AUTHPRIV * 8 + INFO,
                  "pam_unix(su-l:session): session closed for user root")

    def login_unit(self, t, host):
        rng = self.rng
        pid = [0]
        if rng.random() < 0.5:
            tty = "/dev/tty%d" % rng.randrange(1, 3)
            user = rng.choice(("root", "root", "alice"))
            self.push(t, host, "login", pid, AUTHPRIV * 8 + NOTICE,
                      "pam_unix(login:auth): authentication failure; logname=LOGIN uid=0 euid=0 "
                      "tty=%s ruser= rhost=  user=%s" % (tty, user))
            self.push(t + 3, host, "login", pid, AUTHPRIV * 8 + NOTICE,
                      "FAILED LOGIN (1) on '%s' FOR '%s', Authentication failure" % (tty, user))
            return
        if rng.random() < 0.3:
            src = self.doc_v4()
            tty = "/dev/pts/%d" % rng.randrange(1, 6)
            self.push(t, host, "login", pid, AUTHPRIV * 8 + NOTICE,
                      "FAILED LOGIN (%d) on '%s' FROM '%s' FOR 'admin', Authentication failure"
                      % (rng.randrange(1, 4), tty, src))
            return
        self.push(t, host, "login", pid, AUTHPRIV * 8 + INFO,
                  "pam_unix(login:session): session opened for user root(uid=0) by LOGIN(uid=0)")
        self.push(t + 0.01, host, "login", pid, AUTHPRIV * 8 + NOTICE, "ROOT LOGIN  on '/dev/tty1'")

    # -- everything else -------------------------------------------------

    def other_unit(self, t):
        rng = self.rng
        host = self.any_host()
        push = self.push
        r = rng.random() * 100
        if r < 20:
            user, cmd = rng.choice(CRON_CMDS)
            pid = [0]
            uid = 0 if user == "root" else (33 if user == "www-data" else 1102)
            push(t, host, "CRON", pid, AUTHPRIV * 8 + INFO,
                 "pam_unix(cron:session): session opened for user %s(uid=%d) by (uid=0)" % (user, uid))
            push(t + 0.002, host, "CRON", pid, CRON_FAC * 8 + INFO, "(%s) CMD (%s)" % (user, cmd))
            push(t + rng.uniform(0.01, 3), host, "CRON", pid, AUTHPRIV * 8 + INFO,
                 "pam_unix(cron:session): session closed for user %s" % user)
        elif r < 34:
            push(t, host, "systemd", "1", DAEMON * 8 + INFO, rng.choice(SYSTEMD_MSGS))
        elif r < 47:
            src = self.public_v4()
            dpt = rng.choice((23, 23, 445, 3389, 8080, 5555, 81, 2323, 6379, 1433, 5900))
            if rng.random() < 0.9:
                push(t, host, "kernel", "", KERN * 8 + WARNING,
                     "[UFW BLOCK] IN=eth0 OUT= SRC=%s DST=%s LEN=%d TOS=0x00 PREC=0x00 "
                     "TTL=%d ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=%d RES=0x00 SYN URGP=0"
                     % (src, host.local4, rng.choice((40, 44, 60)), rng.randrange(30, 250),
                        rng.randrange(0, 65536), self.port(), dpt, rng.choice((1024, 14600, 29200, 65535))))
            else:
                push(t, host, "kernel", "", KERN * 8 + INFO, rng.choice((
                    "TCP: request_sock_TCP: Possible SYN flooding on port 22. Sending cookies.  Check SNMP counters.",
                    "nf_conntrack: nf_conntrack: table full, dropping packet",
                    "EXT4-fs (sda1): re-mounted. Opts: errors=remount-ro. Quota mode: none.",
                    "audit: type=1400 audit(%d.%03d:%d): apparmor=\"DENIED\" operation=\"open\" profile=\"/usr/sbin/chronyd\" name=\"/proc/1/status\" pid=%s comm=\"chronyd\""
                    % (int(t), int(t * 1000) % 1000, rng.randrange(100, 9999), host.chrony_pid))))
        elif r < 60:
            self.postfix_unit(t, host)
        elif r < 70:
            path = rng.choice(NGINX_PATHS)
            src = self.public_v4()
            push(t, host, "nginx", "", DAEMON * 8 + ERR,
                 '%s [error] %s#%s: *%d open() "/var/www/html%s" failed (2: No such file or directory), '
                 'client: %s, server: _, request: "GET %s HTTP/1.1"'
                 % (time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(t)), host.nginx_pid,
                    host.nginx_pid, rng.randrange(1, 900000), path, src, path))
        elif r < 80:
            src = self.public_v4()
            push(t, host, "haproxy", host.haproxy_pid, 20 * 8 + INFO,
                 '%s:%d [%s] fe_https~ be_app/app%d 0/0/1/%d/%d %d %d - - ---- %d/%d/0/0/0 0/0 "GET %s HTTP/1.1"'
                 % (src, self.client_port(), time.strftime("%d/%b/%Y:%H:%M:%S.000", time.gmtime(t)),
                    rng.randrange(1, 4), rng.randrange(2, 80), rng.randrange(3, 90),
                    rng.choice((200, 200, 200, 200, 304, 404, 302, 500)), rng.randrange(200, 30000),
                    rng.randrange(1, 40), rng.randrange(1, 40), rng.choice(API_PATHS)))
        elif r < 83:
            push(t, host, "dhclient", host.dhclient_pid, DAEMON * 8 + INFO,
                 "DHCPREQUEST for %s on eth0 to 10.0.0.1 port 67" % host.local4)
            push(t + 0.01, host, "dhclient", host.dhclient_pid, DAEMON * 8 + INFO,
                 "DHCPACK of %s from 10.0.0.1" % host.local4)
            push(t + 0.02, host, "dhclient", host.dhclient_pid, DAEMON * 8 + INFO,
                 "bound to %s -- renewal in %d seconds." % (host.local4, rng.randrange(1200, 1800)))
        elif r < 86:
            push(t, host, "chronyd", host.chrony_pid, DAEMON * 8 + INFO,
                 rng.choice(("Selected source 192.0.2.123 (2.debian.pool.ntp.org)",
                             "Source 198.51.100.17 replaced with 203.0.113.80 (2.debian.pool.ntp.org)",
                             "System clock wrong by 0.001873 seconds",
                             "Can't synchronise: no selectable sources")))
        elif r < 91:
            push(t, host, "containerd", host.containerd_pid, DAEMON * 8 + INFO,
                 'time="%s.%09dZ" level=info msg="shim disconnected" id=%s namespace=moby'
                 % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)), int((t % 1) * 1e9),
                    "%016x" % rng.getrandbits(64)))
        elif r < 95.5:
            user = rng.choice(("alice", "bob", "carol", "erin", "dave"))
            # people mistype sudo now and then, not every minute
            if rng.random() < 0.02:
                self.sudo_fail(t, host, user)
            else:
                self.sudo_ok(t, host, user)
        elif r < 97:
            self.su_unit(t, host)
        elif r < 97.6:
            self.login_unit(t, host)
        elif r < 98.6:
            push(t, host, "systemd-logind", host.logind_pid, AUTH * 8 + INFO,
                 rng.choice(("Watching system buttons on /dev/input/event0 (Power Button)",
                             "Power key pressed short.", "New seat seat0.")))
        else:
            push(t, host, "rsyslogd", "", 5 * 8 + INFO,
                 '[origin software="rsyslogd" swVersion="8.2302.0" x-pid="%d" '
                 'x-info="https://www.rsyslog.com"] rsyslogd was HUPed' % rng.randrange(400, 900))

    def postfix_unit(self, t, host):
        rng = self.rng
        push = self.push
        pid = [0]
        src = self.public_v4()
        r = rng.random()
        if r < 0.45:
            push(t, host, "postfix/smtpd", pid, MAIL * 8 + INFO, "connect from unknown[%s]" % src)
            if rng.random() < 0.5:
                push(t + rng.uniform(0.5, 3), host, "postfix/smtpd", pid, MAIL * 8 + WARNING,
                     "warning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % src)
            push(t + rng.uniform(3, 6), host, "postfix/smtpd", pid, MAIL * 8 + INFO,
                 "disconnect from unknown[%s] ehlo=1 auth=0/1 rset=1 quit=1 commands=3/4" % src)
        else:
            qid = "%010X" % rng.getrandbits(40)
            push(t, host, "postfix/pickup", pid, MAIL * 8 + INFO, "%s: uid=0 from=<root>" % qid)
            push(t + 0.01, host, "postfix/cleanup", [0], MAIL * 8 + INFO,
                 "%s: message-id=<%s.%s@%s.example.com>"
                 % (qid, time.strftime("%Y%m%d%H%M%S", time.gmtime(t)), qid, host.name))
            push(t + 0.02, host, "postfix/qmgr", host.qmgr_pid, MAIL * 8 + INFO,
                 "%s: from=<root@%s.example.com>, size=%d, nrcpt=1 (queue active)"
                 % (qid, host.name, rng.randrange(400, 9000)))
            d = rng.uniform(0.2, 2.0)
            push(t + d, host, "postfix/smtp", [0], MAIL * 8 + INFO,
                 "%s: to=<ops@example.com>, relay=mx.example.com[192.0.2.25]:25, delay=%.2g, "
                 "delays=0.01/0.01/%.2g/%.2g, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)"
                 % (qid, d, d / 2, d / 2))
            push(t + d + 0.01, host, "postfix/qmgr", host.qmgr_pid, MAIL * 8 + INFO, "%s: removed" % qid)

    # -- attack scenarios ------------------------------------------------
    #
    # Each scenario places its lines on the timeline at a start time chosen
    # from the seed and records what it did in self.truth, so tests can
    # compare findings with what was staged.

    def new_tag(self, name, **facts):
        self.truth.append(dict(scenario=name, first=None, last=None, lines_written=0, **facts))
        self.tag_left.append(0)
        return len(self.truth) - 1

    def plan(self, names, span):
        rng = self.rng
        scale = self.args.scale

        def start(frac_lo, frac_hi, length):
            s = self.t0 + rng.uniform(frac_lo, frac_hi) * span
            latest = self.t0 + 0.95 * span - length
            return max(self.t0 + 1, min(s, latest))

        def n(x):
            return max(1, int(round(x * scale)))

        for name in names:
            if name == "bruteforce":
                # One source hammering the bastion: connections of up to six
                # guesses that end in "maximum authentication attempts".
                host = self.hosts[0]
                src = self.public_v4()
                total = n(120)
                length = total * 3.2
                t = start(0.1, 0.5, length)
                tag = self.new_tag(name, src=src, hosts=[host.name], failures=total)
                left = total
                while left > 0:
                    tries = min(left, rng.choice((6, 6, 6, 3, 1)))
                    left -= tries
                    user = rng.choice(("root", "root", "root", "admin", "ubuntu", "test"))
                    t = self.failed_conn(t, host, src, user, tries,
                                         "maxauth" if tries == 6 else "bye", tag=tag)
                    if host.new_openssh and rng.random() < 0.3:
                        self.penalty_drop(t + 0.5, host, src, "penalty: failed authentication", tag)
                    t += rng.uniform(0.2, 1.5)
            elif name == "spray":
                # One account from many sources (a botnet), each under five
                # guesses, spread across the fleet within a few minutes.
                user = "deploy"
                nsrc = n(40)
                length = 480.0
                t0 = start(0.1, 0.6, length)
                srcs = [self.public_v4() if i % 3 else self.doc_v4() for i in range(nsrc)]
                tag = self.new_tag(name, user=user, srcs=srcs, failures=0)
                fails = 0
                for src in srcs:
                    t = t0 + rng.uniform(0, length)
                    tries = rng.randrange(1, 5)
                    fails += tries
                    self.failed_conn(t, self.any_host(), src, user, tries, "bye", tag=tag)
                self.truth[tag]["failures"] = fails
            elif name == "slow":
                # One source, one guess every few minutes, for hours.
                host = self.ssh_host()
                src = self.doc_v4()
                hours = min(4.0, max(1.0, 0.7 * span / 3600.0))
                t = start(0.05, 0.2, hours * 3600)
                end = t + hours * 3600
                tag = self.new_tag(name, src=src, hosts=[host.name], failures=0)
                fails = 0
                while t < end:
                    user = rng.choice(("root", "root", "admin", "oracle", "postgres"))
                    self.failed_conn(t, host, src, user, 1, "bye", tag=tag)
                    fails += 1
                    t += rng.uniform(180, 540)
                self.truth[tag]["failures"] = fails
            elif name == "enum":
                # Many invalid names from one source, one guess each.
                host = self.ssh_host()
                src = self.doc_v4()
                users = list(ENUM_USERS[:min(len(ENUM_USERS), n(40))])
                t = start(0.1, 0.7, len(users) * 6.0)
                tag = self.new_tag(name, src=src, hosts=[host.name], users=users, failures=len(users))
                for user in users:
                    t = self.failed_conn(t, host, src, user, 1,
                                         rng.choice(("bye", "closed")), tag=tag) + rng.uniform(0.5, 3)
            elif name == "compromise":
                # Guessing an account's password until it works, then using it.
                host = self.hosts[1 % len(self.hosts)]
                src = "192.0.2.%d" % rng.randrange(10, 250)
                user = "backup"
                fails = n(24)
                t = start(0.3, 0.7, fails * 4.0 + 600)
                tag = self.new_tag(name, src=src, hosts=[host.name], user=user, failures=fails)
                left = fails
                while left > 0:
                    tries = min(left, 3)
                    left -= tries
                    t = self.failed_conn(t, host, src, user, tries, "bye", tag=tag) + rng.uniform(0.3, 2)
                self.legit_session(t + 5, user=user, src=src, host=host, method="password",
                                   tag=tag, duration=rng.uniform(300, 900))
                # the intruder looks around: not in sudoers
                pid = [0]
                self.push(t + 60, host, "sudo", pid, AUTHPRIV * 8 + ALERT_SEV,
                          "  backup : user NOT in sudoers ; TTY=pts/1 ; PWD=/var/backups ; "
                          "USER=root ; COMMAND=/bin/bash", tag)
            elif name == "scan":
                # Pre-authentication noise from one scanner, plus penalties.
                host = self.hosts[0]
                src = self.public_v4()
                probes = n(50)
                t = start(0.1, 0.8, probes * 12.0)
                tag = self.new_tag(name, src=src, hosts=[host.name], probes=probes)
                for _ in range(probes):
                    self.preauth_probe(t, host, src, tag)
                    t += rng.uniform(1, 20)
            elif name == "ipv6rot":
                # Rotating addresses inside one /64, a few guesses each.
                host = self.hosts[0]
                prefix = self.v6_prefix(doc=True)
                naddr = n(40)
                t = start(0.1, 0.7, naddr * 40.0)
                net = str(ipaddress.IPv6Network((prefix, 64)))
                tag = self.new_tag(name, prefix=net, hosts=[host.name], addresses=naddr, failures=0)
                fails = 0
                for _ in range(naddr):
                    src = str(ipaddress.IPv6Address(prefix | rng.getrandbits(64)))
                    for _ in range(rng.randrange(1, 3)):
                        tries = rng.randrange(1, 3)
                        fails += tries
                        t = self.failed_conn(t, host, src, rng.choice(("root", "admin", "user")),
                                             tries, "bye", tag=tag) + rng.uniform(1, 15)
                self.truth[tag]["failures"] = fails
            elif name == "typo":
                # A person mistyping twice, then in: must stay quiet.
                user = "alice"
                src = self.users[user]["srcs"][0]
                host = self.ssh_host()
                t = start(0.2, 0.8, 900)
                tag = self.new_tag(name, src=src, user=user, hosts=[host.name], failures=2)
                self.legit_session(t, user=user, src=src, host=host, fails=2, method="password",
                                   tag=tag, duration=600)


ALERT_SEV = 1


def parse_start(s):
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1]
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return calendar.timegm(time.strptime(s, fmt))
        except ValueError:
            pass
    raise argparse.ArgumentTypeError("bad --start %r (want 2026-11-01T00:00:00Z)" % s)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write realistic mixed syslog with optional attacks.")
    ap.add_argument("--lines", type=int, required=True, help="number of lines to write")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--sshd-share", type=float, default=0.30,
                    help="fraction of lines from sshd/sshd-session (default 0.30)")
    ap.add_argument("--format", choices=("bsd", "iso", "rfc5424"), default="iso",
                    help="timestamp/header style (default iso, Debian 12's rsyslog)")
    ap.add_argument("--start", type=parse_start, default=parse_start("2026-11-01T00:00:00Z"),
                    help="time of the first line, UTC (default 2026-11-01T00:00:00Z)")
    ap.add_argument("--rate", type=float, default=20.0,
                    help="background lines per second (default 20)")
    ap.add_argument("--scenario", default="",
                    help="comma list of %s, or all" % ",".join(SCENARIOS))
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies the size of every scenario (default 1)")
    ap.add_argument("--botnet", type=float, default=0.0,
                    help="fraction of sshd background that is a botnet's single guesses, "
                         "each from a new source at a new invalid user (default 0)")
    ap.add_argument("--hosts", type=int, default=3, help="hosts in the fleet (default 3)")
    ap.add_argument("--truth", metavar="FILE",
                    help="write one JSON object per staged scenario to FILE")
    args = ap.parse_args(argv)

    if (args.lines < 0 or args.rate <= 0 or not 0 <= args.sshd_share <= 1 or args.scale <= 0
            or not 0 <= args.botnet <= 1):
        ap.error("--lines must be >= 0, --rate and --scale > 0, --sshd-share and --botnet "
                 "in [0, 1]")
    names = [s.strip() for s in args.scenario.split(",") if s.strip()]
    if names == ["all"]:
        names = list(SCENARIOS)
    for s in names:
        if s not in SCENARIOS:
            ap.error("unknown scenario %r (known: %s)" % (s, ", ".join(SCENARIOS)))

    # Scenario lines take part of the --lines budget, so the background
    # covers less time than lines/rate: plan once to count them, then plan
    # again over the time the background really spans.
    trial = Gen(args)
    trial.t0 = float(args.start)
    trial.plan(names, max(600.0, args.lines / args.rate))
    staged = trial.seq
    gen = Gen(args)
    gen.t0 = float(args.start)
    gen.plan(names, max(600.0, max(args.lines - staged, args.lines * 0.25) / args.rate))
    try:
        gen.run(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # A reader like `head` went away; that is fine. Point stdout at
        # /dev/null so the interpreter's final flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0

    if args.truth:
        with open(args.truth, "w") as f:
            for i, rec in enumerate(gen.truth):
                rec = dict(rec)
                for k in ("first", "last"):
                    if rec[k] is not None:
                        rec[k] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(rec[k]))
                # false when --lines cut the scenario short
                rec["complete"] = gen.tag_left[i] == 0
                f.write(json.dumps(rec, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
