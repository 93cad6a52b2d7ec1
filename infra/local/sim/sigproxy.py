#!/usr/bin/env python3
"""A SigV4-verifying reverse proxy in front of moto.

Every request is checked with botocore's SigV4Auth (sigv4check.verify) using
the known sandbox secret; a mismatch is answered with the AWS
SignatureDoesNotMatch error document (403) and never reaches moto.  Good
requests are forwarded unchanged (Host header included, so queue URLs that
moto builds from it point back at the proxy) and moto's answer is relayed.
moto's own signature checking is not used: it rejects valid Route53 requests.
/moto-api/ paths pass through unchecked.
"""

import argparse
import http.client
import http.server
import json
import os
import signal
import sys
import threading
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsxml  # noqa: E402
import sigv4check  # noqa: E402

HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
       "transfer-encoding", "upgrade", "content-length"}


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _handle(self):
        # (BaseHTTPRequestHandler has already answered "Expect: 100-continue")
        body = self._read_body()
        path = self.path
        if not urllib.parse.urlsplit(path).path.startswith("/moto-api"):
            bad = sigv4check.verify(self.command, path, self.headers.items(), body, self.server.secrets)
            if bad:
                status, code, message = bad
                rid = str(uuid.uuid4())
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                if ctype.startswith("application/x-amz-json"):
                    # JSON-protocol services (SQS, ECS, SSM, Events, ...)
                    doc = json.dumps({"__type": code, "message": message}).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("x-amzn-ErrorType", code)
                    self.send_header("x-amzn-query-error", "%s;Sender" % code)
                    self.send_header("x-amzn-RequestId", rid)
                else:
                    doc = awsxml.error_document(code, message, True, rid)
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(doc)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(doc)
                self.close_connection = True
                return
        up = urllib.parse.urlsplit(self.server.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
        try:
            headers = {}
            for k, v in self.headers.items():
                if k.lower() in HOP or k.lower() == "expect":
                    continue
                headers[k] = v
            if body or self.command in ("POST", "PUT", "PATCH"):
                headers["Content-Length"] = str(len(body))
            conn.request(self.command, path, body=body if body else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError as e:
            msg = ("upstream unreachable: %s" % e).encode()
            self.send_response(502)
            self.send_header("Content-Length", str(len(msg)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(msg)
            self.close_connection = True
            return
        finally:
            conn.close()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() in HOP:
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


def main(argv=None):
    ap = argparse.ArgumentParser(description="SigV4-verifying reverse proxy")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:5000")
    ap.add_argument("--port-file")
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    httpd = http.server.ThreadingHTTPServer((a.host, a.port), ProxyHandler)
    httpd.daemon_threads = True
    httpd.upstream = a.upstream
    httpd.secrets = {a.access_key: a.secret_key}
    httpd.verbose = a.verbose
    info = {"pid": os.getpid(), "port": httpd.server_address[1]}
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            json.dump(info, f)
        os.replace(a.port_file + ".tmp", a.port_file)
    print("PROXY_READY " + json.dumps(info), flush=True)

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
