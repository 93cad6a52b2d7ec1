#!/usr/bin/env python3
"""Runs the credentials-chain integration binary against loopback stand-ins.

  test_creds_run.py -- BINARY [ARGS]

Hosts, in this process, a metadata server that speaks EC2 IMDSv2 and the
ECS/EKS container credentials endpoint (counts every hit, short scripted
expirations, 401 for a wrong or missing token), and starts moto (STS) on
127.0.0.1 with an ephemeral port, stopped by PID when the binary exits, also
on failure. The binary gets CREDS_MD_URL and CREDS_MOTO_URL.

Metadata server routes:
  PUT  /latest/api/token                         needs the TTL header
  GET  /latest/meta-data/iam/security-credentials/        role name
  GET  /latest/meta-data/iam/security-credentials/<role>  credentials
  GET  /ecs/creds                                needs Authorization
  GET  /_stats                                   hit counts (JSON)
  POST /_control                                 JSON: expires_in, reject_tokens, reset
"""

import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = "drgate-test-role"
ECS_AUTH = "ecs-auth-secret"


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.hits = {"token": 0, "role": 0, "imds_creds": 0, "ecs": 0,
                     "unauthorized": 0}
        self.tokens = set()
        self.expires_in = 3600
        self.reject_tokens = False
        self.serial = 0


STATE = State()


def creds_doc(prefix):
    STATE.serial += 1
    exp = (datetime.datetime.now(datetime.timezone.utc)
           + datetime.timedelta(seconds=STATE.expires_in))
    return {"Code": "Success", "Type": "AWS-HMAC",
            "AccessKeyId": "%s%012d" % (prefix, STATE.serial),
            "SecretAccessKey": "md-secret-%d" % STATE.serial,
            "Token": "md-token-%d" % STATE.serial,
            "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "LastUpdated": "2024-01-01T00:00:00Z"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def token_ok(self):
        t = self.headers.get("X-aws-ec2-metadata-token")
        return t in STATE.tokens and not STATE.reject_tokens

    def do_PUT(self):
        self.body()
        with STATE.lock:
            if self.path != "/latest/api/token":
                return self.send(404, "not found")
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.send(400, "missing ttl")
            STATE.hits["token"] += 1
            tok = "imds-token-%d" % STATE.hits["token"]
            STATE.tokens.add(tok)
            return self.send(200, tok)

    def do_GET(self):
        with STATE.lock:
            base = "/latest/meta-data/iam/security-credentials/"
            if self.path == "/_stats":
                return self.send(200, json.dumps(STATE.hits), "application/json")
            if self.path.startswith(base):
                if not self.token_ok():
                    STATE.hits["unauthorized"] += 1
                    return self.send(401, "")
                rest = self.path[len(base):]
                if rest == "":
                    STATE.hits["role"] += 1
                    return self.send(200, ROLE + "\n")
                if rest == ROLE:
                    STATE.hits["imds_creds"] += 1
                    return self.send(200, json.dumps(creds_doc("ASIAIMDS")),
                                     "application/json")
                return self.send(404, "")
            if self.path.startswith("/ecs/creds"):
                if self.headers.get("Authorization") != ECS_AUTH:
                    STATE.hits["unauthorized"] += 1
                    return self.send(401, json.dumps({"message": "bad auth"}),
                                     "application/json")
                STATE.hits["ecs"] += 1
                d = creds_doc("ASIAECS0")
                del d["Code"]
                return self.send(200, json.dumps(d), "application/json")
            return self.send(404, "not found")

    def do_POST(self):
        raw = self.body()
        with STATE.lock:
            if self.path != "/_control":
                return self.send(404, "")
            ctl = json.loads(raw or b"{}")
            if ctl.get("reset"):
                STATE.reset()
            if "expires_in" in ctl:
                STATE.expires_in = ctl["expires_in"]
            if "reject_tokens" in ctl:
                STATE.reject_tokens = ctl["reject_tokens"]
            return self.send(200, "{}", "application/json")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up (a cancelled fetch) are expected


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("%s did not answer" % url)


def main():
    cmd = sys.argv[1:]
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    srv = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env = dict(os.environ)
    env["CREDS_MD_URL"] = "http://127.0.0.1:%d" % srv.server_address[1]
    moto = None
    rc = 1
    try:
        port = free_port()
        menv = dict(os.environ)
        menv.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
        moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H",
                                 "127.0.0.1", "-p", str(port)],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=menv)
        env["CREDS_MOTO_URL"] = "http://127.0.0.1:%d" % port
        wait_http(env["CREDS_MOTO_URL"] + "/moto-api/")
        rc = subprocess.call(cmd, env=env)
    except Exception as e:
        print("test_creds_run: setup failed: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        if moto and moto.poll() is None:
            moto.send_signal(signal.SIGTERM)
            try:
                moto.wait(10)
            except subprocess.TimeoutExpired:
                moto.kill()
                moto.wait()
        srv.shutdown()
    return rc


if __name__ == "__main__":
    sys.exit(main())
