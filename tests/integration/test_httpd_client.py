#!/usr/bin/python3
"""End-to-end checks of drgate's HTTP endpoint against test_httpd_server.

Run with Debian's /usr/bin/python3, which has python3-prometheus-client:
/metrics is parsed by prometheus_client's own parser, so a format slip
fails the test. Usage: test_httpd_client.py SERVER_BINARY
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

from prometheus_client.parser import text_string_to_metric_families

PLAN_A = "plan-20260101T000000Z-aaaaaaaa"
PLAN_B = "plan-20260101T000100Z-bbbbbbbb"
PLAN_C = "plan-20260101T000200Z-cccccccc"

checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)


class Server:
    def __init__(self, binary, tmp, listen="127.0.0.1:0", extra=()):
        self.proc = subprocess.Popen(
            [binary, tmp, listen, *extra], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        self.first = self.proc.stdout.readline().strip()

    @property
    def port(self):
        check(self.first.startswith("port "), "server said %r" % self.first)
        return int(self.first.split()[1])

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        ans = self.proc.stdout.readline().strip()
        check(ans == "ok", "command %r answered %r" % (line, ans))

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def request(port, method, path, headers=None, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), \
            r.read()
    finally:
        c.close()


def raw(port, data):
    """Sends raw bytes, returns the status code of the answer (0: none)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        while b"\r\n" not in buf:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
    line = buf.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 else 0


def common_headers(h, what):
    check(h.get("cache-control") == "no-store", what + ": Cache-Control")
    check(h.get("x-content-type-options") == "nosniff", what + ": nosniff")


def metrics(port):
    st, h, body = request(port, "GET", "/metrics")
    check(st == 200, "/metrics status %d" % st)
    check(h.get("content-type") ==
          "text/plain; version=0.0.4; charset=utf-8",
          "/metrics content type %r" % h.get("content-type"))
    common_headers(h, "/metrics")
    text = body.decode("utf-8")
    # a list, not a dict by name, so two families of one name would both
    # show up (the gauge is drgate_plans_by_state so that none clash)
    families = list(text_string_to_metric_families(text))
    fams = {(f.name, f.type): f for f in families}
    samples = {}
    for f in families:
        for s in f.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return fams, samples


def sample(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_probes(srv):
    p = srv.port
    st, h, body = request(p, "GET", "/healthz")
    check(st == 200 and body == b"ok\n", "/healthz %d %r" % (st, body))
    common_headers(h, "/healthz")
    st, h, body = request(p, "HEAD", "/healthz")
    check(st == 200 and body == b"", "HEAD /healthz %d %r" % (st, body))

    st, h, body = request(p, "GET", "/readyz")
    check(st == 503, "/readyz before ready: %d" % st)
    doc = json.loads(body)
    check(doc == {"status": "not_ready", "reason": "starting"},
          "/readyz body %r" % doc)
    check(h.get("content-type") == "application/json", "readyz type")
    common_headers(h, "/readyz")
    srv.cmd("ready 0 sink \"sns\" not started")
    st, h, body = request(p, "GET", "/readyz")
    check(st == 503 and json.loads(body)["reason"] ==
          'sink "sns" not started', "/readyz reason %r" % body)
    srv.cmd("ready 1")
    st, h, body = request(p, "GET", "/readyz")
    check(st == 200 and json.loads(body) == {"status": "ready"},
          "/readyz after ready: %d %r" % (st, body))
    srv.cmd("ready 0 draining")
    st, _, _ = request(p, "GET", "/readyz")
    check(st == 503, "/readyz flips back: %d" % st)


def test_methods_and_limits(srv):
    p = srv.port
    for m in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        st, h, body = request(p, m, "/healthz", body=b"x" if m != "OPTIONS"
                              else None)
        check(st == 405, "%s /healthz: %d" % (m, st))
        check(h.get("allow") == "GET, HEAD", "%s Allow %r" % (m, h))
        common_headers(h, m)
    st, _, _ = request(p, "POST", "/v1/plans/" + PLAN_A, body=b"{}")
    check(st == 405, "POST plan: %d" % st)

    # libevent 2.1's parser reports a header block past
    # evhttp_set_max_headers_size as an invalid header: 400, before any
    # handler runs (2.2 answers 413). Either is a refusal; 200 is not.
    big = "a" * 9000
    st = raw(p, ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n"
                 % big).encode())
    check(st == 400 or 413 <= st <= 431, "oversized header: %d" % st)
    many = "".join("X-H%d: %s\r\n" % (i, "b" * 60) for i in range(200))
    st = raw(p, ("GET /healthz HTTP/1.1\r\nHost: x\r\n%s\r\n" % many)
             .encode())
    check(st == 400 or 413 <= st <= 431, "too many headers: %d" % st)
    # just under the limit is served
    st = raw(p, ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n"
                 % ("a" * 7000)).encode())
    check(st == 200, "7000-byte header: %d" % st)
    st = raw(p, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4096"
                b"\r\n\r\n" + b"y" * 4096)
    check(st == 413, "oversized body: %d" % st)
    st = raw(p, b"GET /" + b"z" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check(413 <= st <= 431 or st == 400, "oversized target: %d" % st)
    # a client that stalls mid-request is cut off by the server's timeout
    # (2 s in the fixture); the 8 s socket timeout only bounds the test
    with socket.create_connection(("127.0.0.1", p), timeout=8) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        try:
            got = s.recv(4096)
        except socket.timeout:
            got = None
        except ConnectionResetError:
            got = b""
    check(got is not None and b" 200 " not in got,
          "stalled request not closed: %r" % got)
    # the server still answers after all that
    st, _, _ = request(p, "GET", "/healthz")
    check(st == 200, "healthz after abuse: %d" % st)


def test_routes(srv):
    p = srv.port
    for path, want in (("/", 404), ("/nope", 404), ("/healthz/", 404),
                       ("/v1/plans/", 404), ("/v1/plans/" + "a" * 129, 400),
                       ("/v1/plans/a%2f..%2fb", 400),
                       ("/v1/plans?limit=0", 400),
                       ("/v1/plans?state=%3Cscript%3E", 400),
                       ("/v1/plans?bogus=1", 400)):
        st, h, body = request(p, "GET", path)
        check(st == want, "%s: %d want %d" % (path, st, want))
        common_headers(h, path)
        doc = json.loads(body)
        check(set(doc) == {"error"}, "%s body %r" % (path, doc))
    # request data is never echoed
    marker = "/v1/plans/<script>alert(1)</script>"
    st, _, body = request(p, "GET", marker.replace(" ", "%20"))
    check(st == 400 and b"script" not in body and b"alert" not in body,
          "echo check %d %r" % (st, body))
    st, _, body = request(p, "GET", "/ZZMARKERZZ")
    check(st == 404 and b"ZZMARKERZZ" not in body, "echo check 404")


def test_plans(srv):
    p = srv.port
    st, h, body = request(p, "GET", "/v1/plans")
    check(st == 200, "/v1/plans %d" % st)
    check(h.get("content-type") == "application/json", "plans type")
    common_headers(h, "/v1/plans")
    check(b"TOKENHASH" not in body and b"SIGNATURE" not in body,
          "secrets in /v1/plans")
    plans = json.loads(body)
    check(isinstance(plans, list) and len(plans) == 3, "3 plans %r" % plans)
    check([x["plan_id"] for x in plans] == [PLAN_C, PLAN_B, PLAN_A],
          "newest first")
    for x in plans:
        for k in ("plan_id", "digest", "class", "state", "created",
                  "updated"):
            check(isinstance(x.get(k), str), "summary field %s" % k)
    b = plans[1]
    check(b["state"] == "executing" and b["progress"] ==
          {"total": 2, "succeeded": 1, "running": 1}, "progress %r" % b)
    check(b["execution"]["state"] == "running", "execution")
    a = plans[2]
    check(a["approval"] == {"state": "pending", "quorum": 2, "approvals": 1,
                            "rejections": 0,
                            "expires": "2026-01-01T01:00:00.000Z"},
          "approval %r" % a.get("approval"))
    check(a["created"] == "2026-01-01T00:00:00.000Z", "created")

    st, _, body = request(p, "GET", "/v1/plans?state=rejected&limit=5")
    sel = json.loads(body)
    check(st == 200 and [x["plan_id"] for x in sel] == [PLAN_C],
          "state filter %r" % sel)
    st, _, body = request(p, "GET", "/v1/plans?limit=1")
    check(st == 200 and len(json.loads(body)) == 1, "limit")

    st, _, body = request(p, "GET", "/v1/plans/" + PLAN_C)
    check(st == 200, "plan detail %d" % st)
    check(b"TOKENHASH" not in body and b"SIGNATURE" not in body,
          "secrets in plan detail")
    d = json.loads(body)
    check(d["plan_id"] == PLAN_C and d["plan"]["plan_id"] == PLAN_C,
          "detail ids")
    check(d["approval_request"]["state"] == "rejected" and
          d["approval_request"]["data_loss"] is True, "detail request")
    check(d["approvals"] == [{"approver": "bob", "decision": "reject",
                              "signed_at": "2026-01-01T00:03:00Z",
                              "received": "2026-01-01T00:03:00.000Z"}],
          "detail approvals %r" % d["approvals"])
    check(d["steps"] == [], "no steps")
    st, _, body = request(p, "GET", "/v1/plans/" + PLAN_B)
    d = json.loads(body)
    check([s["step"] for s in d["steps"]] == ["1.1", "2.1"] and
          d["steps"][0]["type"] == "rds-failover", "steps %r" % d["steps"])
    st, h, body = request(p, "GET", "/v1/plans/plan-unknown")
    check(st == 404 and json.loads(body) == {"error": "not_found"},
          "unknown plan %d %r" % (st, body))
    common_headers(h, "404")


def test_metrics(srv):
    p = srv.port
    fams, s = metrics(p)
    for name, typ in (
            ("drgate_messages_received", "counter"),
            ("drgate_messages_rejected", "counter"),
            ("drgate_decisions", "counter"),
            ("drgate_plans_by_state", "gauge"), ("drgate_plans", "counter"),
            ("drgate_approval_replies", "counter"),
            ("drgate_aws_calls", "counter"), ("drgate_aws_retries", "counter"),
            ("drgate_aws_call_seconds", "histogram"),
            ("drgate_step_duration_seconds", "histogram"),
            ("drgate_outbox_depth", "gauge"),
            ("drgate_outbox_oldest_age_seconds", "gauge"),
            ("drgate_sink_failing", "gauge"), ("drgate_ready", "gauge"),
            ("drgate_build_info", "gauge"),
            ("drgate_start_time_seconds", "gauge"),
            ("drgate_process_resident_memory_bytes", "gauge"),
            ("drgate_http_requests", "counter")):
        check((name, typ) in fams, "family %s %s missing" % (name, typ))
    check(len(fams) == 18, "18 families, got %d" % len(fams))
    check(sample(s, "drgate_process_resident_memory_bytes") > 0, "rss")
    check(sample(s, "drgate_start_time_seconds") == 1767225600.0, "start")
    check(sample(s, "drgate_plans_by_state", state="executing") == 1, "plans gauge")
    check(sample(s, "drgate_plans_by_state", state="awaiting_approval") == 1,
          "plans gauge 2")
    before = sample(s, "drgate_messages_received_total", source="sqs") or 0
    ready = sample(s, "drgate_ready")
    check(ready == 0, "drgate_ready %r" % ready)
    h200 = sample(s, "drgate_http_requests_total", route="healthz",
                  code="200") or 0

    srv.cmd("inc sqs")
    srv.cmd("inc sqs")
    srv.cmd("inc kafka")
    srv.cmd("observe sns 0.02")
    srv.cmd("observe sns 45")
    request(p, "GET", "/healthz")
    _, s = metrics(p)
    check(sample(s, "drgate_messages_received_total", source="sqs") ==
          before + 2, "counter moved")
    check(sample(s, "drgate_messages_received_total", source="kafka") == 1,
          "kafka counter")
    check(sample(s, "drgate_aws_call_seconds_count", service="sns") == 2,
          "hist count")
    check(sample(s, "drgate_aws_call_seconds_bucket", service="sns",
                 le="0.025") == 1, "bucket 0.025")
    check(sample(s, "drgate_aws_call_seconds_bucket", service="sns",
                 le="+Inf") == 2, "bucket +Inf")
    check(abs(sample(s, "drgate_aws_call_seconds_sum", service="sns") -
              45.02) < 1e-9, "hist sum")
    check(sample(s, "drgate_http_requests_total", route="healthz",
                 code="200") == h200 + 1, "http counter")
    check((sample(s, "drgate_http_requests_total", route="other",
                  code="404") or 0) >= 1, "404 counted")


def test_remote_refused(binary, tmp):
    for listen in ("0.0.0.0:0", "[::]:0"):
        d = tempfile.mkdtemp(dir=tmp)
        srv = Server(binary, d, listen)
        rc = srv.stop()
        check(srv.first.startswith("error remote_bind"),
              "%s: %r" % (listen, srv.first))
        check(rc == 2, "%s exit %r" % (listen, rc))
    d = tempfile.mkdtemp(dir=tmp)
    srv = Server(binary, d, "localhost:0")
    try:
        st, _, _ = request(srv.port, "GET", "/healthz")
        check(st == 200, "localhost listen")
    finally:
        srv.stop()


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="drgate-httpd-")
    srv = None
    try:
        srv = Server(binary, tmp)
        test_probes(srv)
        test_methods_and_limits(srv)
        test_routes(srv)
        test_plans(srv)
        test_metrics(srv)
        rc = srv.stop()
        check(rc == 0, "server exit %r" % rc)
        srv = None
        test_remote_refused(binary, tmp)
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("test_httpd_client: %d checks passed" % checks)


if __name__ == "__main__":
    main()
