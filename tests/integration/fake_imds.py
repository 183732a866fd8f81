#!/usr/bin/python3
"""fake_imds.py - an IMDSv2 look-alike on loopback for the tests: PUT
/latest/api/token hands out session tokens (only with the TTL header), every
GET needs a valid token (401 otherwise), and a token stops working after
--token-uses requests so that clients must fetch a new one. Serves the
instance context paths and instance-role credentials whose Expiration is
--expires-in seconds away. Every request is logged as one JSON line.

usage: fake_imds.py --port-file F --log F [--token-uses N] [--expires-in S]
"""
import argparse
import datetime
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAC = "0e:11:22:33:44:55"
ROLE = "authguard-role"
META = {
    "/latest/meta-data/instance-id": "i-0abc123def4567890",
    "/latest/meta-data/placement/region": "us-east-1",
    "/latest/meta-data/placement/availability-zone": "us-east-1a",
    "/latest/meta-data/mac": MAC,
    f"/latest/meta-data/network/interfaces/macs/{MAC}/subnet-id": "subnet-0abc1234",
    f"/latest/meta-data/network/interfaces/macs/{MAC}/vpc-id": "vpc-0def5678",
    f"/latest/meta-data/network/interfaces/macs/{MAC}/security-group-ids":
        "sg-0aaa1111\nsg-0bbb2222",
    "/latest/meta-data/iam/security-credentials/": ROLE,
}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tokens = {}  # token -> uses left
        self.creds_served = 0
        self.log = open(args.log, "a", buffering=1)

    def record(self, **kw):
        with self.lock:
            self.log.write(json.dumps(kw) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        ok = (self.path == "/latest/api/token" and ttl and ttl.isdigit()
              and 1 <= int(ttl) <= 21600 and "X-Forwarded-For" not in self.headers)
        if not ok:
            st.record(method="PUT", path=self.path, status=400, ttl=ttl)
            return self.reply(400, "bad token request")
        tok = "tok-" + secrets.token_hex(8)
        with st.lock:
            st.tokens[tok] = st.args.token_uses
        st.record(method="PUT", path=self.path, status=200, ttl=ttl)
        self.reply(200, tok)

    def do_GET(self):
        st = self.server.state
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with st.lock:
            left = st.tokens.get(tok, 0) if tok else 0
            if left > 0:
                st.tokens[tok] = left - 1
        if left <= 0:
            st.record(method="GET", path=self.path, status=401, token=bool(tok))
            return self.reply(401, "")
        role_path = "/latest/meta-data/iam/security-credentials/" + ROLE
        if self.path == role_path:
            with st.lock:
                st.creds_served += 1
                n = st.creds_served
            exp = (datetime.datetime.now(datetime.timezone.utc)
                   + datetime.timedelta(seconds=st.args.expires_in))
            body = json.dumps({
                "Code": "Success", "Type": "AWS-HMAC",
                "LastUpdated": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "AccessKeyId": f"ASIAIMDSROLE{n:04d}",
                "SecretAccessKey": f"imds-secret-{n}",
                "Token": f"imds-session-token-{n}",
                "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")})
            st.record(method="GET", path=self.path, status=200, token=True, creds=n)
            return self.reply(200, body, "application/json")
        if self.path in META:
            st.record(method="GET", path=self.path, status=200, token=True)
            return self.reply(200, META[self.path])
        st.record(method="GET", path=self.path, status=404, token=True)
        self.reply(404, "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--token-uses", type=int, default=1000)
    ap.add_argument("--expires-in", type=int, default=3600)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
