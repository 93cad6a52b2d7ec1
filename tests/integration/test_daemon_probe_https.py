"""https:// probes against loopback TLS servers made at test time with the
openssl CLI (a throwaway CA, a certificate for IP 127.0.0.1, one for the
name example.invalid only). One drgate runs five probes at once:

  primary-writer  the good server with ca_file (relative to the config)
                  -> ok, although its 5 MiB body is over the HTTP engine's
                  default body cap (the probe drops bodies)
  no-ca           the good server without ca_file -> TLS verification fails
  wrong-name      a server whose certificate names example.invalid only,
                  with ca_file -> TLS verification fails (host name)
  unavailable     a server answering 503, with ca_file -> HTTP 503
  silent          a listener that never accepts (no TLS handshake) -> fails
                  after timeout_ms

The servers offer HTTP/1.1 keep-alive; each probe must still use a new
connection.
Results are read from drgate's log ("probe ok" / "probe failing" with the
detail). Then the good server is stopped and the canary's failure must be
recorded within interval_seconds + timeout_ms (probe timestamps, 1 s of
slack), like test_daemon_probe.py; SIGTERM drains and exits 0."""
import calendar
import http.server
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time

from daemonutil import DRGATE, TempDir, base_config, check, lines, wait_for

INTERVAL_S, TIMEOUT_MS = 1, 500
BIG_BODY = 5 * 1024 * 1024  # over http.c's 4 MiB default cap


def iso_ms(s):
    t = time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 1000 + int(s[20:23])


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_pki(d):
    """ca.pem; good.pem/good.key (IP:127.0.0.1); wrong.pem/wrong.key
    (DNS:example.invalid only), both signed by the CA."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", os.path.join(d, "ca.key"),
            "-out", os.path.join(d, "ca.pem"), "-days", "2",
            "-subj", "/CN=drgate probe test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, san in (("good", "IP:127.0.0.1"),
                      ("wrong", "DNS:example.invalid")):
        ext = os.path.join(d, name + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=%s\n" % san)
        openssl("req", "-new", *ec, "-keyout", os.path.join(d, name + ".key"),
                "-out", os.path.join(d, name + ".csr"),
                "-subj", "/CN=drgate probe test " + name)
        openssl("x509", "-req", "-in", os.path.join(d, name + ".csr"),
                "-CA", os.path.join(d, "ca.pem"),
                "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial",
                "-days", "2", "-extfile", ext,
                "-out", os.path.join(d, name + ".pem"))


class Server:
    """HTTPS on 127.0.0.1, port 0, answering every GET with status."""

    def __init__(self, d, cert, status, body_len):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(d, cert + ".pem"),
                            os.path.join(d, cert + ".key"))
        self.hits = 0
        self.reused = 0  # requests that came on an already used connection
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive offered

            def setup(self):
                self.served = 0
                super().setup()

            def do_GET(self):
                outer.hits += 1
                if self.served:
                    outer.reused += 1
                self.served += 1
                self.send_response(status)
                self.send_header("Content-Length", str(body_len))
                self.end_headers()
                chunk = b"x" * 65536
                left = body_len
                try:
                    while left > 0:
                        n = min(left, len(chunk))
                        self.wfile.write(chunk[:n])
                        left -= n
                except OSError:
                    pass

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        # Handshakes happen in accept(); a client that rejects the
        # certificate makes accept() raise an OSError, which socketserver
        # ignores.
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        if self.srv:
            self.srv.shutdown()
            self.srv.server_close()
            self.srv = None


def log_lines(path):
    out = []
    with open(path) as f:
        for l in f:
            try:
                out.append(json.loads(l))
            except ValueError:
                pass
    return out


def last_result(path, probe):
    r = [l for l in log_lines(path)
         if l.get("probe") == probe and l["msg"].startswith("probe ")]
    return r[-1] if r else None


with TempDir() as tmp:
    make_pki(tmp)
    good = Server(tmp, "good", 200, BIG_BODY)
    wrong = Server(tmp, "wrong", 200, 2)
    s503 = Server(tmp, "good", 503, 2)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # never accepted: connects, no handshake
    servers = [good, wrong, s503]

    def probe(name, port, ca=True):
        p = {"type": "probe", "name": name, "region": "us-east-1",
             "target": "https://127.0.0.1:%d/health" % port,
             "interval_seconds": INTERVAL_S, "timeout_ms": TIMEOUT_MS}
        if ca:
            p["ca_file"] = "ca.pem"  # relative to the config's directory
        return p

    events = os.path.join(tmp, "events.jsonl")
    cfg = base_config(tmp, [probe("primary-writer", good.port),
                            probe("no-ca", good.port, ca=False),
                            probe("wrong-name", wrong.port),
                            probe("unavailable", s503.port),
                            probe("silent", silent.getsockname()[1])],
                      [{"type": "file", "path": events}])
    c = json.load(open(cfg))
    c["policy"]["signals"] = [s for s in c["policy"]["signals"]
                              if s["name"] in ("canary", "writer-alarm")]
    c["policy"]["quorum"] = 1
    json.dump(c, open(cfg, "w"))
    errpath = os.path.join(tmp, "stderr")
    err = open(errpath, "w+")
    p = subprocess.Popen([DRGATE, "run", "--config", cfg],
                         stdout=subprocess.DEVNULL, stderr=err)
    try:
        want = {
            "primary-writer": ("probe ok", "HTTP 200"),
            "no-ca": ("probe failing", "TLS verification failed: "),
            "wrong-name": ("probe failing", "TLS verification failed: "),
            "unavailable": ("probe failing", "HTTP 503"),
            "silent": ("probe failing", "timeout: "),
        }

        def all_seen():
            return all(last_result(errpath, n) for n in want)
        wait_for(all_seen, 15, "a logged result from every probe")
        for name, (msg, detail) in want.items():
            r = last_result(errpath, name)
            print("%-14s %-13s %s" % (name, r["msg"], r["detail"]))
            check(r["msg"] == msg and detail in r["detail"],
                  "%s: want %s with %r, got %r" % (name, msg, detail, r))
        # The reasons are OpenSSL's, through curl: an unknown issuer, and
        # a certificate that does not name 127.0.0.1.
        check("certificate" in last_result(errpath, "no-ca")["detail"],
              "no-ca: no certificate reason")
        check("127.0.0.1" in last_result(errpath, "wrong-name")["detail"],
              "wrong-name: the host name is not named")
        check(good.hits >= 1 and s503.hits >= 1,
              "servers not reached: %d %d" % (good.hits, s503.hits))
        check(wrong.hits == 0, "a request reached the wrong-name server")

        # More rounds: the servers keep connections open (HTTP/1.1), yet
        # every probe opens its own (one request per connection). Then stop
        # the good server.
        h = good.hits
        wait_for(lambda: good.hits >= max(h + 1, 3) and s503.hits >= 3, 8,
                 "three probe rounds")
        check(good.reused == 0 and s503.reused == 0,
              "connections reused: %d, %d" % (good.reused, s503.reused))
        closed_ms = int(time.time() * 1000)
        good.stop()

        def failing():
            return any(e["type"] == "drgate.decision.made" and
                       any("canary failing since" in r
                           for r in e["data"]["reasons"])
                       for e in lines(events))
        wait_for(failing, 10, "the canary failure decision")
        ev = [e for e in lines(events)
              if e["type"] == "drgate.decision.made"][-1]
        since = [r for r in ev["data"]["reasons"]
                 if "canary failing since" in r][0]
        t = iso_ms(since.split("since ")[1].split(" ")[0])
        delay = t - closed_ms
        print("stopped server detected %d ms after stop (bound %d ms)"
              % (delay, INTERVAL_S * 1000 + TIMEOUT_MS))
        check(delay <= INTERVAL_S * 1000 + TIMEOUT_MS + 1000,
              "detected too late: %d ms" % delay)
        wait_for(lambda: last_result(errpath, "primary-writer")["msg"]
                 == "probe failing", 5, "the failing log line")
        r = last_result(errpath, "primary-writer")
        print("%-14s %-13s %s" % ("primary-writer", r["msg"], r["detail"]))
        check(r["detail"].startswith("connect failed: "),
              "stopped server: %r" % r["detail"])

        os.kill(p.pid, signal.SIGTERM)
        rc = p.wait(timeout=30)
        check(rc == 0, "drgate exited %d after SIGTERM" % rc)
        log = open(errpath).read()
        check('"msg":"ready"' in log and '"msg":"stopped"' in log,
              "missing ready/stopped log lines")
        # A failure is logged once while its kind stays the same (silent's
        # detail carries a varying elapsed time).
        for name in ("wrong-name", "unavailable", "silent"):
            n = sum(1 for l in log_lines(errpath)
                    if l.get("probe") == name and l["msg"] == "probe failing")
            check(n == 1, "%s: %d 'probe failing' lines" % (name, n))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for s in servers:
            s.stop()
        silent.close()
print("ok")
