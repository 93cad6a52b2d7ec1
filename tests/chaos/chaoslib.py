"""Shared parts of the chaos suites (crash_suite.py, fault_suite.py).

- Sandbox: one two-region sandbox (infra/local/sandbox) reused across runs:
  reset() puts the simulator, the Route53 record and the queues back to
  their seeded state between runs.
- GateProxy: an in-process loopback reverse proxy (threads) in front of
  moto or the simulator, built on tests/support/faultproxy.py's handler.
  It names every request's operation (query Action, X-Amz-Target, the
  Route53 REST paths, SNS Publish with its topic), logs what reached the
  upstream, and can hold the first request of an operation so a suite can
  kill drgate while that request is in the proxy's hands: "drop" (the call
  never reaches AWS) or "lose_answer" (AWS handles it, drgate never sees
  the answer). It can also check SigV4 key ids against a credentials
  authority (fault case d) and add latency per operation.
- Drgate: `drgate run` with a hermetic environment (no AWS_* from the
  caller, empty config/credentials files, IMDS off), SIGKILL and restart.
- Invariants: the plan's outcome, mutating calls per operation and target,
  events vs the store's audit log (byte-identical), `drgate audit verify`,
  and PRAGMA integrity_check on a copy of the database.

Everything listens on 127.0.0.1; every process is stopped by its PID.
"""
import json
import os
import queue
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SANDBOX = os.path.join(ROOT, "infra", "local", "sandbox")
FAULTPROXY = os.path.join(ROOT, "tests", "support", "faultproxy.py")
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import faultproxy  # noqa: E402

MUTATING = ("FailoverGlobalCluster", "SwitchoverGlobalCluster",
            "RemoveFromGlobalCluster", "CreateDBCluster", "CreateDBInstance",
            "PromoteReadReplica", "PromoteReadReplicaDBCluster",
            "CreateGlobalCluster", "FailoverGlobalReplicationGroup",
            "ChangeResourceRecordSets", "UpdateService")


def say(msg=""):
    print(msg, flush=True)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def wait_for(pred, timeout, what, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))


def http_json(url, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")


# --------------------------------------------------------------- the proxy

def classify(method, path, headers, body):
    """(op, target) of one AWS request."""
    tgt = headers.get("X-Amz-Target")
    if tgt:
        op = tgt.rsplit(".", 1)[-1]
        target = ""
        if op == "UpdateService":
            try:
                b = json.loads(body or b"{}")
                target = "%s/%s" % (b.get("cluster", ""), b.get("service", ""))
            except ValueError:
                pass
        return op, target
    ctype = (headers.get("Content-Type") or "").lower()
    if ctype.startswith("application/x-www-form-urlencoded"):
        q = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        op = q.get("Action", [""])[0]
        if op == "Publish":
            return "Publish", q.get("TopicArn", [""])[0].rsplit(":", 1)[-1]
        for k in ("GlobalClusterIdentifier", "GlobalReplicationGroupId",
                  "DBClusterIdentifier", "DBInstanceIdentifier"):
            if k in q:
                return op, q[k][0]
        return op, ""
    if path.startswith("/2013-04-01/"):
        parts = path.split("/")
        if method == "POST" and path.rstrip("/").endswith("/rrset"):
            return "ChangeResourceRecordSets", parts[3] if len(parts) > 3 else ""
        if "/change/" in path:
            return "GetChange", ""
        return "Route53:%s" % method, ""
    return "", ""


def key_of(headers):
    """The access key id of a SigV4 Authorization header, or ''."""
    a = headers.get("Authorization") or ""
    i = a.find("Credential=")
    return a[i + 11:].split("/", 1)[0] if i >= 0 else ""


class Hold:
    def __init__(self, op, target, verdict):
        self.op, self.target, self.verdict = op, target, verdict
        self.arrived = threading.Event()   # the request is in the proxy
        self.handled = threading.Event()   # upstream answered (lose_answer)
        self.release = threading.Event()   # the suite killed drgate
        self.when = None


class Gate:
    """Shared state of one GateProxy: log, holds, latency, auth checks."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.log = []          # dicts: op, target, forwarded, status, key, t
        self.holds = []        # armed Holds
        self.after = []        # (op, target, Event): set after the answer left
        self.latency = {}      # (op, target or None) -> seconds
        self.auth = None       # callable(key, token) -> None or (status, code, msg)

    def reset(self):
        with self.lock:
            self.log = []
            self.holds = []
            self.after = []
            self.latency = {}

    def arm(self, op, target, verdict):
        h = Hold(op, target, verdict)
        with self.lock:
            self.holds.append(h)
        return h

    def disarm(self, h):
        with self.lock:
            if h in self.holds:
                self.holds.remove(h)
        h.release.set()

    def arm_after(self, op, target):
        ev = threading.Event()
        with self.lock:
            self.after.append((op, target, ev))
        return ev

    def take_hold(self, op, target):
        with self.lock:
            for h in self.holds:
                if h.op == op and (h.target is None or h.target == target):
                    self.holds.remove(h)
                    return h
        return None

    def fire_after(self, op, target):
        with self.lock:
            for a in list(self.after):
                if a[0] == op and (a[1] is None or a[1] == target):
                    self.after.remove(a)
                    a[2].set()

    def record(self, **kw):
        kw["t"] = time.time()
        with self.lock:
            self.log.append(kw)

    def counts(self, ops=MUTATING):
        """{op: {target: n}} of requests that reached the upstream."""
        out = {}
        with self.lock:
            for e in self.log:
                if e["forwarded"] and e["op"] in ops:
                    d = out.setdefault(e["op"], {})
                    d[e["target"]] = d.get(e["target"], 0) + 1
        return out

    def delay(self, op, target):
        with self.lock:
            return self.latency.get((op, target), self.latency.get((op, None), 0))


class GateHandler(faultproxy.Handler):
    def log_message(self, fmt, *args):
        pass

    def _handle(self):
        body = self._read_body()
        gate = self.server.gate
        path = urllib.parse.urlsplit(self.path).path
        op, target = classify(self.command, path, self.headers, body)
        key = key_of(self.headers)
        if gate.auth:
            bad = gate.auth(key, self.headers.get("X-Amz-Security-Token") or "")
            if bad:
                gate.record(op=op, target=target, forwarded=False, status=bad[0],
                            key=key, refused=bad[1])
                return self._aws_error(*bad)
        h = gate.take_hold(op, target)
        if h:
            h.when = time.time()
            if h.verdict == "drop":
                h.arrived.set()
                h.release.wait(120)
                gate.record(op=op, target=target, forwarded=False, status=0, key=key,
                            held="drop")
                return self._reset()
            resp, data = self._forward(body)
            gate.record(op=op, target=target, forwarded=True,
                        status=resp.status if resp else 502, key=key, held="lose_answer")
            h.arrived.set()
            h.release.wait(120)
            return self._reset()
        d = gate.delay(op, target)
        if d:
            time.sleep(d)
        resp, data = self._forward(body)
        gate.record(op=op, target=target, forwarded=True,
                    status=resp.status if resp else 502, key=key)
        try:
            self._relay(resp, data)
        finally:
            gate.fire_after(op, target)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


class _Server(__import__("http.server").server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client killed mid-answer (that is the point): not an error


class GateProxy:
    def __init__(self, name, upstream):
        self.gate = Gate(name)
        self.httpd = _Server(("127.0.0.1", 0), GateHandler)
        self.httpd.daemon_threads = True
        self.httpd.upstream = upstream
        self.httpd.verbose = False
        self.httpd.state = faultproxy.State()
        self.httpd.gate = self.gate
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FaultProxy:
    """tests/support/faultproxy.py as a process (percent-mode faults)."""

    def __init__(self, upstream, logpath):
        self.p = subprocess.Popen([sys.executable, FAULTPROXY, "--upstream", upstream,
                                   "--port", "0"], stdout=subprocess.PIPE,
                                  stderr=open(logpath, "w"), text=True)
        line = self.p.stdout.readline()
        check(line.startswith("FAULTPROXY_READY"), "faultproxy: " + line)
        self.port = json.loads(line.split(" ", 1)[1])["port"]
        self.url = "http://127.0.0.1:%d" % self.port

    def rules(self, rules):
        return http_json(self.url + "/_fault/script", {"rules": rules})

    def log(self):
        return http_json(self.url + "/_fault/log")

    def close(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


# ------------------------------------------------------------- the sandbox

SIM_KEYS = ("failover", "switchover", "detach", "create_cluster",
            "create_instance", "promote", "elasticache_failover")


class Sandbox:
    def __init__(self, work, transition_s=1.5, sustain_s=2):
        self.work = work
        self.dir = os.path.join(work, "sandbox")
        env = dict(os.environ, MOTO_ECS_SERVICE_RUNNING="2")
        r = subprocess.run([SANDBOX, "start", "--dir", self.dir, "--sustain-seconds",
                            str(sustain_s), "--transition-seconds", str(transition_s)],
                           capture_output=True, text=True, timeout=120, env=env)
        if r.returncode != 0:
            raise RuntimeError("sandbox start failed: %s%s" % (r.stdout, r.stderr))
        self.env = {}
        for line in open(os.path.join(self.dir, "env")):
            line = line.strip()
            if line.startswith("export "):
                k, v = line[7:].split("=", 1)
                self.env[k] = v
        self.cfg = json.load(open(self.env["DRGATE_CONFIG"]))
        self.transition_s = transition_s
        import boto3
        kw = dict(endpoint_url=self.env["SANDBOX_MOTO_URL"], region_name="us-west-2",
                  aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                  aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])
        self.sqs = boto3.client("sqs", **kw)
        self.route53 = boto3.client("route53", **kw)
        st = self.state()
        self.record0 = st["route53"]["record"]
        # an empty HOME and AWS config: nothing of the caller's leaks in
        self.home = os.path.join(work, "home")
        os.makedirs(self.home, exist_ok=True)
        self.empty = os.path.join(work, "empty-aws-config")
        open(self.empty, "w").close()

    def sim(self, path, body=None):
        return http_json(self.env["SANDBOX_SIM_URL"] + path, body)

    def verb(self, *args):
        r = subprocess.run([SANDBOX, args[0], "--dir", self.dir] + list(args[1:]),
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "sandbox %s: %s" % (args[0], r.stderr))
        return r.stdout

    def state(self):
        return json.loads(self.verb("state"))

    def durations(self, seconds):
        self.sim("/_sim/durations", {k: seconds for k in SIM_KEYS})

    def reset(self):
        """The seeded state again: simulator, calls, Route53 record, queues."""
        self.sim("/_sim/reset", {})
        self.sim("/_sim/calls/reset", {})
        self.route53.change_resource_record_sets(
            HostedZoneId=self.env["SANDBOX_HOSTED_ZONE_ID"],
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                "Name": self.record0["Name"], "Type": self.record0["Type"],
                "TTL": self.record0["TTL"],
                "ResourceRecords": self.record0["ResourceRecords"]}}]})
        for q in ("DRGATE_QUEUE_URL", "DRGATE_APPROVALS_QUEUE_URL",
                  "DRGATE_EVENTS_QUEUE_URL", "DRGATE_DLQ_URL"):
            self.sqs.purge_queue(QueueUrl=self.env[q])

    def hermetic_env(self, creds=True):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"HOME": self.home, "AWS_CONFIG_FILE": self.empty,
                    "AWS_SHARED_CREDENTIALS_FILE": self.empty,
                    "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_REGION": "us-west-2",
                    # anything not in aws.endpoints stays on loopback
                    "AWS_ENDPOINT_URL": self.env["SANDBOX_MOTO_URL"]})
        if creds:
            env["AWS_ACCESS_KEY_ID"] = self.env["AWS_ACCESS_KEY_ID"]
            env["AWS_SECRET_ACCESS_KEY"] = self.env["AWS_SECRET_ACCESS_KEY"]
        return env

    def run_config(self, name, endpoints=None, tweak=None):
        """A config for one run: fresh state dir, store, file sink; the
        SNS sink; endpoints overridden per service."""
        c = json.loads(json.dumps(self.cfg))
        sdir = os.path.join(self.work, "runs", name)
        if os.path.exists(sdir):
            shutil.rmtree(sdir)
        os.makedirs(sdir)
        c["service"]["state_dir"] = sdir
        c["store"] = {"path": os.path.join(sdir, "drgate.db")}
        c["sinks"] = [{"type": "sns", "topic_arn": self.env["DRGATE_EVENTS_TOPIC_ARN"]},
                      {"type": "file", "path": os.path.join(sdir, "events.jsonl")}]
        for k in ("planned", "unplanned"):
            c["policy"]["runbooks"][k] = os.path.join(self.dir, c["policy"]["runbooks"][k])
        # a reply whose message was received by a drgate killed before it
        # deleted it comes back soon
        c["sources"][0]["visibility_timeout"] = 5
        for svc, url in (endpoints or {}).items():
            c["aws"]["endpoints"][svc] = url
        if tweak:
            tweak(c)
        p = os.path.join(sdir, "drgate.json")
        with open(p, "w") as f:
            json.dump(c, f, indent=1)
        return Run(self, name, sdir, p, c)

    def stop(self):
        subprocess.run([SANDBOX, "stop", "--dir", self.dir], capture_output=True,
                       timeout=90)


# ------------------------------------------------------------------ drgate

class Drgate:
    def __init__(self, binary, cfg, env, log):
        self.binary, self.cfg, self.env, self.logpath = binary, cfg, env, log
        self.p = None
        self.starts = 0

    def start(self, timeout=30):
        with open(self.logpath, "a") as lf:
            lf.write("---- start %d\n" % (self.starts + 1))
        self.p = subprocess.Popen([self.binary, "run", "--config", self.cfg],
                                  env=self.env, stdout=subprocess.DEVNULL,
                                  stderr=open(self.logpath, "a"))
        self.starts += 1
        n = self.starts

        def ready():
            if self.p.poll() is not None:
                raise AssertionError("drgate exited %s at start: %s" % (
                    self.p.returncode, self.tail()))
            text = open(self.logpath).read()
            return text.count('"msg":"ready"') >= n
        wait_for(ready, timeout, "drgate ready", step=0.02)

    def tail(self, n=3000):
        try:
            return open(self.logpath).read()[-n:]
        except OSError:
            return ""

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def kill9(self):
        if self.alive():
            self.p.send_signal(signal.SIGKILL)
        if self.p:
            self.p.wait(timeout=10)

    def term(self, timeout=60):
        if not self.alive():
            return self.p.returncode if self.p else None
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return "timeout"


class Run:
    """One scenario run: a config, a store, drgate, the checks."""

    def __init__(self, sb, name, sdir, cfg_path, cfg):
        self.sb, self.name, self.dir, self.cfg_path, self.cfg = sb, name, sdir, cfg_path, cfg
        self.db = cfg["store"]["path"]
        self.events_file = os.path.join(sdir, "events.jsonl")
        self._con = None
        self.subscriber = []   # SNS envelopes received from the events topic

    # -- the store, read while drgate runs (WAL: readers never block it)
    def con(self):
        if self._con is None:
            if not os.path.exists(self.db):
                return None
            self._con = sqlite3.connect(self.db, timeout=5, isolation_level=None)
        return self._con

    def q(self, sql, args=()):
        c = self.con()
        if c is None:
            return []
        try:
            return c.execute(sql, args).fetchall()
        except sqlite3.OperationalError:
            return []

    def close(self):
        if self._con is not None:
            self._con.close()
            self._con = None

    def count(self, etype, plan=None):
        if plan:
            r = self.q("SELECT count(*) FROM events WHERE type = ? AND plan_id = ?",
                       (etype, plan))
        else:
            r = self.q("SELECT count(*) FROM events WHERE type = ?", (etype,))
        return r[0][0] if r else 0

    def plan_id(self):
        r = self.q("SELECT plan_id FROM plans ORDER BY created_ms LIMIT 1")
        return r[0][0] if r else None

    def plans(self):
        return self.q("SELECT plan_id, state FROM plans ORDER BY created_ms")

    def step(self, step):
        r = self.q("SELECT state, mutation, attempts FROM steps WHERE step = ?", (step,))
        return r[0] if r else None

    def final(self):
        r = self.q("SELECT type, json FROM events WHERE type IN "
                   "('drgate.plan.succeeded', 'drgate.plan.failed', "
                   "'drgate.plan.expired') ORDER BY seq LIMIT 1")
        return (r[0][0], json.loads(r[0][1])) if r else None

    def drained(self):
        """Every sink's cursor at the last event."""
        m = self.q("SELECT max(seq) FROM events")
        if not m or m[0][0] is None:
            return False
        cur = self.q("SELECT sink, acked_seq FROM sink_cursors")
        return len(cur) == len(self.cfg["sinks"]) and all(a >= m[0][0] for _, a in cur)

    def sns_lag(self):
        m = self.q("SELECT max(seq) FROM events")
        cur = self.q("SELECT acked_seq FROM sink_cursors WHERE sink LIKE 'sns%'")
        if not m or m[0][0] is None:
            return 0
        return m[0][0] - (cur[0][0] if cur else 0)

    # -- the events topic's subscriber queue, drained fully
    def drain_subscriber(self):
        sqs, url = self.sb.sqs, self.sb.env["DRGATE_EVENTS_QUEUE_URL"]
        while True:
            r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            ms = r.get("Messages", [])
            if not ms:
                return self.subscriber
            for m in ms:
                self.subscriber.append(json.loads(m["Body"]))
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(ms)])

    # -- approvals (as an approver does it, with the sandbox's own config)
    def approval_request(self):
        sqs = self.sb.sqs
        url = self.sb.env["DRGATE_APPROVALS_QUEUE_URL"]
        r = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0, MaxNumberOfMessages=10)
        out = None
        for m in r.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            req = json.loads(json.loads(m["Body"])["Message"])
            if req.get("type") == "drgate.approval.request":
                out = req
        return out

    def approve(self, binary, req, who):
        args = [binary, "approve", "--config", self.sb.env["DRGATE_CONFIG"],
                "--plan", req["plan_id"], "--digest", req["plan_digest"],
                "--token", req["token"], "--approver", who,
                "--key", os.path.join(self.sb.env["SANDBOX_KEYS_DIR"], who + ".key")]
        if req.get("data_loss"):
            args.append("--accept-data-loss")
        env = self.sb.hermetic_env()
        env["AWS_ENDPOINT_URL"] = self.sb.env["SANDBOX_MOTO_URL"]
        last = ""
        for _ in range(5):
            r = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
            if r.returncode == 0 and "MessageId" in r.stdout:
                return
            last = r.stderr
            time.sleep(0.5)
        raise AssertionError("drgate approve %s: %s" % (who, last))

    def alarms(self):
        for name in ("orders-writer-health", "orders-api-latency"):
            self.sb.verb("alarm", "--name", name, "--state", "ALARM")

    # -- the invariants, after drgate has stopped
    def integrity(self, label):
        """PRAGMA integrity_check on a copy (database + WAL)."""
        cp = os.path.join(self.dir, "copy-%s.db" % label)
        shutil.copyfile(self.db, cp)
        if os.path.exists(self.db + "-wal"):
            shutil.copyfile(self.db + "-wal", cp + "-wal")
        c = sqlite3.connect(cp)
        try:
            r = c.execute("PRAGMA integrity_check").fetchall()
        finally:
            c.close()
        for p in (cp, cp + "-wal", cp + "-shm"):
            if os.path.exists(p):
                os.remove(p)
        return r == [("ok",)], r

    def events_vs_store(self):
        """Every stored event at the subscriber (at least once) and in the
        file sink, byte-identical. Returns (ok, detail)."""
        self.close()
        c = sqlite3.connect(self.db, timeout=10)
        rows = c.execute("SELECT seq, id, json FROM events ORDER BY seq").fetchall()
        c.close()
        self.drain_subscriber()
        got = {}
        bad = []
        for envl in self.subscriber:
            msg = envl.get("Message", "")
            try:
                ev = json.loads(msg)
            except ValueError:
                bad.append("not JSON")
                continue
            got.setdefault(ev.get("id"), []).append(msg)
        missing = [eid for _, eid, _ in rows if eid not in got]
        changed = [eid for _, eid, js in rows if eid in got and any(m != js for m in got[eid])]
        foreign = [eid for eid in got if eid not in {r[1] for r in rows}]
        flines = []
        if os.path.exists(self.events_file):
            flines = [l.rstrip("\n") for l in open(self.events_file) if l.strip()]
        fset = set(flines)
        fmissing = [eid for _, eid, js in rows if js not in fset]
        # the stored form is canonical JSON (sorted keys, no white space)
        noncanon = [eid for _, eid, js in rows if json.dumps(
            json.loads(js), sort_keys=True, separators=(",", ":"), ensure_ascii=False) != js]
        dups = len(self.subscriber) - len(got)
        ok = not (missing or changed or foreign or bad or fmissing or noncanon)
        detail = "%d events, %d at the subscriber (%d again)" % (len(rows), len(got), dups)
        if not ok:
            detail += ("; missing %d %s changed %d foreign %d bad %d file-missing %d "
                       "not canonical %d") % (len(missing), missing[:3], len(changed),
                                              len(foreign), len(bad), len(fmissing),
                                              len(noncanon))
        return ok, detail, len(rows), dups

    def audit_verify(self, binary):
        env = self.sb.hermetic_env()
        r = subprocess.run([binary, "audit", "verify", "--config", self.cfg_path],
                           capture_output=True, text=True, timeout=60, env=env)
        r2 = subprocess.run([binary, "audit", "verify", "--file", self.events_file],
                            capture_output=True, text=True, timeout=60, env=env)
        return (r.returncode == 0 and r2.returncode == 0,
                (r.stdout + r.stderr + r2.stdout + r2.stderr).strip().replace("\n", "; ")[:300])


class Approver(threading.Thread):
    """Reads the approval request and approves it as the sandbox's
    approvers do (`drgate approve`, the sandbox's own config, straight to
    moto): dba-oncall, then, for a quorum of 2, incident-lead once `second`
    is set."""

    def __init__(self, run, binary):
        super().__init__(daemon=True)
        self.run_, self.binary = run, binary
        self.req = None
        self.second = threading.Event()
        self.stop = threading.Event()
        self.error = None
        self.sent = 0

    def run(self):
        try:
            while not self.stop.is_set() and self.req is None:
                self.req = self.run_.approval_request()
                if self.req is None:
                    time.sleep(0.2)
            if self.req is None:
                return
            self.run_.approve(self.binary, self.req, "dba-oncall")
            self.sent = 1
            if int(self.req.get("quorum", 2)) < 2:
                return
            while not self.second.wait(0.1):
                if self.stop.is_set():
                    return
            self.run_.approve(self.binary, self.req, "incident-lead")
            self.sent = 2
        except Exception as e:  # reported by the suite
            self.error = e


def mark(ok):
    return "\u2713" if ok else "\u2717"


def table(header, rows):
    w = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else \
        [len(h) for h in header]
    line = "  ".join("%-*s" % (w[i], h) for i, h in enumerate(header))
    say(line)
    say("-" * len(line))
    for r in rows:
        say("  ".join("%-*s" % (w[i], str(x)) for i, x in enumerate(r)))


def drgate_binary(argv_value):
    b = os.path.abspath(argv_value or os.path.join(ROOT, "build", "drgate"))
    if not os.access(b, os.X_OK):
        sys.exit("%s is not an executable drgate (build first)" % b)
    return b


__all__ = ["Approver", "say", "check", "wait_for", "http_json", "GateProxy", "FaultProxy",
           "Sandbox", "Drgate", "Run", "mark", "table", "drgate_binary",
           "MUTATING", "random", "queue"]
