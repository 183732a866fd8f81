#!/usr/bin/python3
"""fake_smtp.py - a real SMTP server (aiosmtpd) on loopback for the mail tests:
every message received is logged as one JSON line (envelope, the login used,
the raw message). With --user/--password it advertises AUTH and refuses
other credentials.

usage: fake_smtp.py --port N --log F [--user U --password P]
"""
import argparse
import json
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.log = open(path, "a", buffering=1)

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if isinstance(
            session.auth_data, LoginPassword) else None
        entry = {"t": time.time(), "mail_from": envelope.mail_from,
                 "rcpt_tos": envelope.rcpt_tos, "login": login,
                 "data": envelope.content.decode("utf-8", "replace")}
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
        return "250 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    args = ap.parse_args()
    kw = {}
    if args.user:
        def check(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login.decode() == args.user
                  and auth_data.password.decode() == args.password)
            return AuthResult(success=ok, auth_data=auth_data)
        kw = dict(authenticator=check, auth_required=True, auth_require_tls=False)
    ctl = Controller(Recorder(args.log), hostname="127.0.0.1", port=args.port, **kw)
    ctl.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        ctl.stop()


if __name__ == "__main__":
    main()
