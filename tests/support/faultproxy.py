#!/usr/bin/env python3
"""faultproxy: a loopback HTTP proxy that injects AWS-shaped faults.

It sits between drgate and a stand-in (moto, the simulator, sigproxy) on
127.0.0.1. As a reverse proxy it forwards every request to --upstream (Host
header unchanged, so moto's queue URLs keep pointing at the proxy); a request
whose target is an absolute URL ("GET http://127.0.0.1:5000/ HTTP/1.1") is
forwarded there instead (forward-proxy mode, loopback targets only).

Faults are rules, set by a JSON script (--script FILE) or the control API:

  POST /_fault/script  {"rules": [RULE, ...]}   replace the rules, clear log
  POST /_fault/reset                            no rules, empty log
  GET  /_fault/log     {"requests": N, "log": [{"n", "time", "mono",
                        "method", "path", "op", "rule", "action"}, ...],
                        "rules": [{"index", "matched", "fired"}, ...]}

RULE = {
  "action": "throttle" | "unavailable" | "error" | "reset" | "latency" |
            "check_skew",
  "match":  {"op": "AmazonSQS.SendMessage" | "Publish" | ..., "path_prefix": "/2013"}
            (optional; "op" is the X-Amz-Target, else the query Action)
  "mode":   {"all": true} | {"nth": N} | {"first": N} | {"percent": P, "seed": S}
  "status", "code", "message": for "error" (default 400 ValidationError)
  "bare": true          "unavailable" without an AWS error body (plain 503)
  "after_forward": true "reset"/"unavailable" after the upstream handled it
                        (the request took effect; the answer is lost)
  "latency_ms": N       "latency": wait, then forward
  "max_skew_s": N       "check_skew": answer 403 RequestTimeTooSkewed when
                        X-Amz-Date is more than N s (default 300) from the
                        proxy's clock (moto never checks), else forward
}
The first rule that matches and fires decides; a rule counts every request
it matches ("matched") and every time it acts ("fired"). Error bodies follow
the request's protocol: JSON (Content-Type application/x-amz-json-*) gets
{"__type", "message"} with X-Amzn-ErrorType, everything else the XML
ErrorResponse document (query and REST-XML). Throttling is 400
ThrottlingException (JSON) or 400 Throttling (XML); "unavailable" is 503
ServiceUnavailable.

Prints "FAULTPROXY_READY {"pid", "port"}"; stops on SIGTERM. Stdlib only.
"""

import argparse
import calendar
import http.client
import http.server
import json
import os
import random
import signal
import socket
import sys
import threading
import time
import urllib.parse
import uuid

HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailers", "transfer-encoding", "upgrade", "content-length", "expect",
       "proxy-connection"}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.log = []
        self.n = 0

    def set_rules(self, rules):
        with self.lock:
            self.rules = []
            for r in rules:
                r = dict(r)
                r["_matched"] = 0
                r["_fired"] = 0
                mode = r.get("mode") or {"all": True}
                if "percent" in mode:
                    r["_rng"] = random.Random(mode.get("seed", 1))
                self.rules.append(r)
            self.log = []
            self.n = 0

    def decide(self, op, path):
        """Returns (n, index, rule or None) for one request."""
        with self.lock:
            self.n += 1
            n = self.n
            for i, r in enumerate(self.rules):
                m = r.get("match") or {}
                if "op" in m and m["op"] != op:
                    continue
                if "path_prefix" in m and not path.startswith(m["path_prefix"]):
                    continue
                r["_matched"] += 1
                k = r["_matched"]
                mode = r.get("mode") or {"all": True}
                if "nth" in mode:
                    fire = k == int(mode["nth"])
                elif "first" in mode:
                    fire = k <= int(mode["first"])
                elif "percent" in mode:
                    fire = r["_rng"].random() * 100 < float(mode["percent"])
                else:
                    fire = True
                if fire:
                    r["_fired"] += 1
                    return n, i, r
            return n, None, None

    def record(self, entry):
        with self.lock:
            self.log.append(entry)

    def snapshot(self):
        with self.lock:
            return {"requests": self.n, "log": list(self.log),
                    "rules": [{"index": i, "action": r.get("action"),
                               "matched": r["_matched"], "fired": r["_fired"]}
                              for i, r in enumerate(self.rules)]}


def xml_error(code, message, rid):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<ErrorResponse xmlns="http://faultproxy/doc/">'
            "<Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>%s</RequestId></ErrorResponse>"
            % ("Receiver" if code == "ServiceUnavailable" else "Sender",
               code, message, rid)).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("faultproxy: %s\n" % (fmt % args))

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _json(self, status, doc):
        self._reply(status, json.dumps(doc).encode(), [("Content-Type", "application/json")])

    def _control(self, path, body):
        st = self.server.state
        if path == "/_fault/log" and self.command == "GET":
            return self._json(200, st.snapshot())
        if path == "/_fault/reset" and self.command == "POST":
            st.set_rules([])
            return self._json(200, {"ok": True})
        if path == "/_fault/script" and self.command == "POST":
            try:
                doc = json.loads(body or b"{}")
                st.set_rules(doc.get("rules", []))
            except (ValueError, AttributeError) as e:
                return self._json(400, {"error": str(e)})
            return self._json(200, {"ok": True, "rules": len(st.rules)})
        return self._json(404, {"error": "unknown control path"})

    def _op(self, body):
        target = self.headers.get("X-Amz-Target")
        if target:
            return target
        ctype = (self.headers.get("Content-Type") or "").lower()
        if ctype.startswith("application/x-www-form-urlencoded"):
            q = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            if "Action" in q:
                return q["Action"][0]
        return ""

    def _aws_error(self, status, code, message):
        rid = str(uuid.uuid4())
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype.startswith("application/x-amz-json"):
            doc = json.dumps({"__type": code, "message": message}).encode()
            self._reply(status, doc, [("Content-Type", ctype), ("x-amzn-ErrorType", code),
                                      ("x-amzn-RequestId", rid)])
        else:
            self._reply(status, xml_error(code, message, rid),
                        [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)])

    def _reset(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()

    def _forward(self, body):
        path = self.path
        upstream = self.server.upstream
        if path.startswith("http://"):
            u = urllib.parse.urlsplit(path)
            if u.hostname not in ("127.0.0.1", "localhost", "::1"):
                return None, b"faultproxy forwards to loopback only"
            upstream = "http://%s" % u.netloc
            path = urllib.parse.urlunsplit(("", "", u.path or "/", u.query, ""))
        up = urllib.parse.urlsplit(upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            if body or self.command in ("POST", "PUT", "PATCH"):
                headers["Content-Length"] = str(len(body))
            conn.request(self.command, path, body=body if body else None, headers=headers)
            resp = conn.getresponse()
            return resp, resp.read()
        except OSError as e:
            return None, ("upstream unreachable: %s" % e).encode()
        finally:
            conn.close()

    def _relay(self, resp, data):
        if resp is None:
            return self._reply(502, data, [("Content-Type", "text/plain")])
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.close_connection = True

    def _handle(self):
        body = self._read_body()
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_fault/"):
            return self._control(path, body)
        op = self._op(body)
        n, idx, rule = self.server.state.decide(op, path)
        action = rule.get("action") if rule else "forward"
        self.server.state.record({"n": n, "time": time.time(), "mono": time.monotonic(),
                                  "method": self.command, "path": path, "op": op,
                                  "rule": idx, "action": action})
        if action == "latency":
            time.sleep(float(rule.get("latency_ms", 100)) / 1000.0)
            return self._relay(*self._forward(body))
        if action == "throttle":
            ctype = (self.headers.get("Content-Type") or "").lower()
            code = "ThrottlingException" if "x-amz-json" in ctype else "Throttling"
            return self._aws_error(400, rule.get("code", code), "Rate exceeded")
        if action == "unavailable":
            if rule.get("after_forward"):
                self._forward(body)
            if rule.get("bare"):
                return self._reply(503, b"<html><body>Service Unavailable</body></html>",
                                   [("Content-Type", "text/html")])
            return self._aws_error(503, "ServiceUnavailable", "Service is unavailable")
        if action == "error":
            return self._aws_error(int(rule.get("status", 400)),
                                   rule.get("code", "ValidationError"),
                                   rule.get("message", "injected by faultproxy"))
        if action == "check_skew":
            amz = self.headers.get("X-Amz-Date") or ""
            try:
                t = calendar.timegm(time.strptime(amz, "%Y%m%dT%H%M%SZ"))
            except ValueError:
                t = 0
            if abs(time.time() - t) > float(rule.get("max_skew_s", 300)):
                return self._aws_error(403, "RequestTimeTooSkewed",
                                       "The difference between the request time and the "
                                       "current time is too large.")
            return self._relay(*self._forward(body))
        if action == "reset":
            if rule.get("after_forward"):
                self._forward(body)
            return self._reset()
        return self._relay(*self._forward(body))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


def main(argv=None):
    ap = argparse.ArgumentParser(description="fault-injecting loopback proxy")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:5000")
    ap.add_argument("--script", help="JSON file {\"rules\": [...]}")
    ap.add_argument("--port-file")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("faultproxy listens on loopback only")
    httpd = http.server.ThreadingHTTPServer((a.host, a.port), Handler)
    httpd.daemon_threads = True
    httpd.upstream = a.upstream
    httpd.verbose = a.verbose
    httpd.state = State()
    if a.script:
        with open(a.script) as f:
            httpd.state.set_rules(json.load(f).get("rules", []))
    info = {"pid": os.getpid(), "port": httpd.server_address[1]}
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            json.dump(info, f)
        os.replace(a.port_file + ".tmp", a.port_file)
    print("FAULTPROXY_READY " + json.dumps(info), flush=True)

    def stop(signum, frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
