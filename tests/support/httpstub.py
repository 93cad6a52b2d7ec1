#!/usr/bin/env python3
"""A loopback HTTP/1.1 test server for the HTTP engine's integration tests.

Paths (query strings are ignored unless noted):
  /status/<code>          answer <code> with body "status <code>"
  /headers                answer 200 with X-Test-Header: Mixed Value and a
                          fixed Date (Sun, 06 Nov 1994 08:49:37 GMT)
  /big/<n>                answer 200 with n bytes of 'x'
  /sleep/<ms>             wait ms, then answer 200 "slept"
  /reset                  read the request, then close without an answer
  /echo                   answer 200 with JSON {method, path, body, headers}
  /stats                  answer JSON {"connections": n, "requests": m}
Keep-alive is on (HTTP/1.1), so /stats counts connections the client opened.
Prints "STUB_READY {json}" with the port once listening; stops on SIGTERM.
Python stdlib only.
"""

import argparse
import http.server
import json
import os
import signal
import socket
import sys
import threading
import time

LOCK = threading.Lock()
STATS = {"connections": 0, "requests": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        with LOCK:
            STATS["connections"] += 1

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, code, body, ctype="text/plain", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self):
        body = self._body()
        with LOCK:
            STATS["requests"] += 1
        path = self.path.split("?", 1)[0]
        parts = [p for p in path.split("/") if p]
        head = parts[0] if parts else ""
        if head == "status" and len(parts) > 1:
            code = int(parts[1])
            self._send(code, ("status %d" % code).encode())
        elif head == "headers":
            self._send(200, b"ok", extra=[("X-Test-Header", "Mixed Value")])
        elif head == "big" and len(parts) > 1:
            self._send(200, b"x" * int(parts[1]))
        elif head == "sleep" and len(parts) > 1:
            time.sleep(int(parts[1]) / 1000.0)
            self._send(200, b"slept")
        elif head == "reset":
            # close without any answer; SO_LINGER 0 sends an RST
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            self.close_connection = True
            self.connection.close()
        elif head == "echo":
            doc = {"method": self.command, "path": self.path,
                   "body": body.decode("utf-8", "replace"),
                   "headers": {k.lower(): v for k, v in self.headers.items()}}
            self._send(200, json.dumps(doc).encode(), "application/json")
        elif head == "stats":
            with LOCK:
                doc = dict(STATS)
            self._send(200, json.dumps(doc).encode(), "application/json")
        else:
            self._send(404, b"not found")

    def date_time_string(self, timestamp=None):
        if self.path.startswith("/headers"):
            return "Sun, 06 Nov 1994 08:49:37 GMT"
        return super().date_time_string(timestamp)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args(argv)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    httpd.daemon_threads = True
    print("STUB_READY " + json.dumps({"pid": os.getpid(), "port": httpd.server_address[1]}),
          flush=True)

    def stop(signum, frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
