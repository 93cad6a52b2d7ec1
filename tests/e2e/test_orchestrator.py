#!/usr/bin/env python3
"""The plan lifecycle through the running daemon, against the sandbox.

One sandbox (moto + simulator, short transitions), one `drgate run` per
scenario with a fresh store:
  planned    two alarms, primary reachable: the switchover runbook runs
             after one approval (`drgate approve`), in the runbook's order
  unplanned  outage of us-east-1 + alarms (the canary fails too): the
             managed-failover runbook, two approvals with a drgate restart
             between them, calls only to us-west-2; a forged reply and a
             replayed reply are refused
  manifest   seed 001 manifests with !Import values over SQS: resolved
             before the digest; an expired token is refused and the plan
             expires; a missing export refuses the proposal
Prints the overhead (last approval -> plan done, minus the simulated AWS
durations) and the time from the alarm to the approval request.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SANDBOX = os.path.join(ROOT, "infra", "local", "sandbox")
DRGATE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "drgate")
SIM_SECONDS = 1.0


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


class Env:
    def __init__(self, d):
        self.dir = d
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("AWS_")}
        with open(os.path.join(d, "env")) as f:
            for line in f:
                if line.startswith("export "):
                    k, v = line[7:].strip().split("=", 1)
                    self.env[k] = v
        self.base_cfg = json.load(open(self.env["DRGATE_CONFIG"]))
        import boto3
        kw = dict(endpoint_url=self.env["AWS_ENDPOINT_URL"],
                  region_name="us-west-2",
                  aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                  aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])
        self.sqs = boto3.client("sqs", **kw)
        self.sns = boto3.client("sns", **kw)
        self.proc = None
        self.log = None

    # -- the simulator --
    def sim(self, path, body=None):
        url = self.env["SANDBOX_SIM_URL"] + path
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")

    def sandbox(self, *args):
        r = subprocess.run([SANDBOX, args[0], "--dir", self.dir, *args[1:]],
                           capture_output=True, text=True, timeout=60, env=self.env)
        check(r.returncode == 0, "sandbox %s: %s" % (args[0], r.stderr))
        return r.stdout

    def purge(self):
        for q in ("DRGATE_QUEUE_URL", "DRGATE_APPROVALS_QUEUE_URL"):
            self.sqs.purge_queue(QueueUrl=self.env[q])

    # -- drgate --
    def config(self, name, ttl=1800):
        c = json.loads(json.dumps(self.base_cfg))
        sdir = os.path.join(self.dir, "state-" + name)
        os.makedirs(sdir, exist_ok=True)
        c["service"]["state_dir"] = sdir
        c["store"] = {"path": os.path.join(sdir, "drgate.db")}
        c["sinks"] = [{"type": "file", "path": os.path.join(sdir, "events.jsonl")}]
        c["approval"]["ttl_seconds"] = ttl
        for k in ("planned", "unplanned"):
            c["policy"]["runbooks"][k] = os.path.join(self.dir, c["policy"]["runbooks"][k])
        p = os.path.join(sdir, "drgate.json")
        json.dump(c, open(p, "w"), indent=1)
        self.events_path = c["sinks"][0]["path"]
        self.db = c["store"]["path"]
        self.cfg = p
        return p

    def start(self):
        self.log = open(os.path.join(os.path.dirname(self.cfg), "drgate.log"), "a")
        self.proc = subprocess.Popen([DRGATE, "run", "--config", self.cfg],
                                     stdout=self.log, stderr=self.log, env=self.env)
        wait_for(lambda: '"msg":"ready"' in open(self.log.name).read(), 20, "ready")

    def stop(self, expect_clean=True):
        rc = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.log:
            self.log.close()
            text = open(self.log.name).read()
            self.log = None
            if expect_clean:
                check(rc == 0, "drgate run exited %s" % rc)
                check("Sanitizer" not in text, "sanitizer report: " + text[-2000:])

    def events(self):
        if not os.path.exists(self.events_path):
            return []
        with open(self.events_path) as f:
            return [json.loads(l) for l in f if l.strip()]

    def event(self, type_, plan_id=None, n=1, timeout=40):
        def find():
            got = [e for e in self.events() if e["type"] == type_ and
                   (plan_id is None or e["subject"] == plan_id)]
            return got if len(got) >= n else None
        return wait_for(find, timeout, "%d x %s" % (n, type_))

    def request(self, timeout=30):
        """The next approval request from the approvals topic's queue."""
        def get():
            r = self.sqs.receive_message(QueueUrl=self.env["DRGATE_APPROVALS_QUEUE_URL"],
                                         WaitTimeSeconds=1, MaxNumberOfMessages=1)
            for m in r.get("Messages", []):
                self.sqs.delete_message(QueueUrl=self.env["DRGATE_APPROVALS_QUEUE_URL"],
                                        ReceiptHandle=m["ReceiptHandle"])
                env = json.loads(m["Body"])
                # MessageStructure json: the SQS subscriber gets the "sqs" text.
                return (json.loads(env["Message"]), time.time())
            return None
        return wait_for(get, timeout, "an approval request")

    def approve(self, req, who, print_only=False, reject=False):
        args = [DRGATE, "reject" if reject else "approve", "--config", self.cfg,
                "--plan", req["plan_id"], "--digest", req["plan_digest"],
                "--token", req["token"], "--approver", who,
                "--key", os.path.join(self.env["SANDBOX_KEYS_DIR"], who + ".key")]
        if req.get("data_loss") and not reject:
            args.append("--accept-data-loss")
        if print_only:
            args.append("--print")
        r = subprocess.run(args, capture_output=True, text=True, timeout=60, env=self.env)
        check(r.returncode == 0, "drgate approve: " + r.stderr)
        if not print_only:
            check("MessageId" in r.stdout, "no MessageId: " + r.stdout)
        return r.stdout.strip()

    def publish_reply(self, text):
        self.sns.publish(TopicArn=self.env["DRGATE_REPLIES_TOPIC_ARN"], Message=text)

    def send(self, body):
        self.sqs.send_message(QueueUrl=self.env["DRGATE_QUEUE_URL"], MessageBody=body)

    def alarms(self):
        t = time.time()
        for name in ("orders-writer-health", "orders-api-latency"):
            self.sandbox("alarm", "--name", name, "--state", "ALARM")
        return t


def plan_state(db, plan_id):
    import sqlite3
    c = sqlite3.connect(db, timeout=10)
    try:
        r = c.execute("SELECT state FROM plans WHERE plan_id = ?", (plan_id,)).fetchone()
        return r[0] if r else None
    finally:
        c.close()


def step_times(ev, plan_id):
    out = {}
    for e in ev:
        if e["subject"] == plan_id and e["type"].startswith("drgate.step."):
            out.setdefault(e["data"]["step"], {})[e["type"].split(".")[-1]] = e["time"]
    return out


def final(ev, plan_id):
    for e in ev:
        if e["subject"] == plan_id and e["type"] in ("drgate.plan.succeeded",
                                                      "drgate.plan.failed"):
            return e
    return None


def iso_ms(s):
    from datetime import datetime
    return datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def scenario_planned(sb, figures):
    sb.config("planned")
    # the simulator publishes AuroraGlobalDBReplicationLag for orders-west
    # into moto; the request states the latest datapoint
    sb.sandbox("lag", "--ms", "4321")
    sb.start()
    t_alarm = sb.alarms()
    req, t_req = sb.request()
    check(req["class"] == "planned" and req["quorum"] == 1 and len(req["token"]) == 43,
          "planned request: %s" % {k: v for k, v in req.items() if k != "token"})
    check(req.get("replication_lag_ms") == 4321 and req.get("replication_lag_observed_at")
          and "orders-west" in (req.get("replication_lag_note") or ""),
          "request lag: %s" % {k: v for k, v in req.items() if k.startswith("replication")})
    requested = sb.event("drgate.approval.requested", req["plan_id"])[0]
    check(requested["data"].get("replication_lag_ms") == 4321,
          "event lag: %s" % requested["data"])
    check("token" not in json.dumps(requested["data"]) or
          req["token"] not in json.dumps(requested), "the token is in the event")
    figures["alarm_to_request_s"] = t_req - t_alarm
    figures["alarm_to_request_event_s"] = iso_ms(requested["time"]) - t_alarm
    t_approve = time.time()
    sb.approve(req, "dba-oncall")
    sb.event("drgate.plan.approved", req["plan_id"])
    done = sb.event("drgate.plan.succeeded", req["plan_id"], timeout=60)[0]
    ev = sb.events()
    st = step_times(ev, req["plan_id"])
    check(set(st) == {"1.1", "1.2", "2.1", "3.1"}, "steps: %s" % st)
    # the runbook's order: layer 1 done before layer 2 starts, 2 before 3
    check(max(st["1.1"]["succeeded"], st["1.2"]["succeeded"]) <= st["2.1"]["started"]
          and st["2.1"]["succeeded"] <= st["3.1"]["started"], "order: %s" % st)
    state = json.loads(sb.sandbox("state"))
    writer = [m for m in state["global_database"]["GlobalClusterMembers"] if m["IsWriter"]]
    check(len(writer) == 1 and writer[0]["DBClusterArn"] == sb.env["SANDBOX_SECONDARY_CLUSTER_ARN"],
          "writer: %s" % writer)
    rec = state["route53"]["record"]["ResourceRecords"][0]["Value"]
    check(rec == sb.base_cfg["topology"]["variables"]["secondary_writer_endpoint"],
          "CNAME points to %s" % rec)
    deps = state["ecs"]["us-west-2"]["deployments"]
    check(deps and iso_ms(st["3.1"]["started"]) - 1 <= _ecs_time(deps[0]["createdAt"]),
          "ECS us-west-2 not redeployed during the plan: %s" % deps)
    rec_fig = done["data"].get("recovery", {})
    total = iso_ms(done["time"]) - t_approve
    figures["planned_last_approval_to_done_s"] = total
    # layer 1 runs its two transitions concurrently: one simulated duration
    figures["planned_overhead_s"] = total - SIM_SECONDS
    figures["planned_recovery"] = rec_fig
    sb.stop()


def _ecs_time(s):
    from datetime import datetime
    return datetime.fromisoformat(s).timestamp()


def scenario_unplanned(sb, figures):
    sb.sim("/_sim/reset", {})
    sb.sim("/_sim/calls/reset", {})
    sb.config("unplanned")
    sb.sandbox("outage", "--region", "us-east-1")
    sb.start()
    t_alarm = sb.alarms()
    req, t_req = sb.request(timeout=40)
    figures["unplanned_alarm_to_request_s"] = t_req - t_alarm
    check(req["class"] == "unplanned" and req["quorum"] == 2 and req["data_loss"],
          "unplanned request: %s" % {k: v for k, v in req.items() if k != "token"})
    check(isinstance(req.get("replication_lag_ms"), int),
          "unplanned request lag: %s" % {k: v for k, v in req.items() if k.startswith("replication")})
    pid = req["plan_id"]
    plan = sb.event("drgate.plan.proposed", pid)[0]["data"]["plan"]
    types = [s["type"] for l in plan["layers"] for s in l["steps"]]
    check("ManagedFailoverAurora" in types and "FailoverElastiCacheCluster" in types,
          "unplanned runbook: %s" % types)
    # a forged reply: dba-oncall's name, incident-lead's key
    forged = json.loads(sb.approve(req, "dba-oncall", print_only=True))
    bad = subprocess.run([DRGATE, "approve", "--plan", pid, "--digest", req["plan_digest"],
                          "--token", req["token"], "--approver", "dba-oncall",
                          "--accept-data-loss", "--key",
                          os.path.join(sb.env["SANDBOX_KEYS_DIR"], "incident-lead.key"),
                          "--print"], capture_output=True, text=True, env=sb.env)
    check(bad.returncode == 0, bad.stderr)
    sb.publish_reply(bad.stdout.strip())
    refused = sb.event("drgate.approval.refused", pid)
    check(refused[0]["data"].get("reason_code") == "bad_signature", "forged: %s" % refused[0]["data"])
    check(plan_state(sb.db, pid) == "proposed", "a forged reply moved the plan")
    # the first genuine approval (signed with --print, published as drgate does)
    sb.publish_reply(json.dumps(forged))
    sb.event("drgate.approval.accepted", pid)
    # restart between the two approvals: the first one is kept
    sb.stop()
    sb.start()
    # a replay of the same reply is refused
    sb.publish_reply(json.dumps(forged))
    refused = sb.event("drgate.approval.refused", pid, n=2)
    check(refused[1]["data"].get("reason_code") in ("duplicate_approver", "wrong_token"),
          "replayed: %s" % refused[1]["data"])
    check(plan_state(sb.db, pid) == "proposed", "a replayed reply moved the plan")
    t_approve = time.time()
    sb.approve(req, "incident-lead")
    approved = sb.event("drgate.plan.approved", pid)[0]
    check(approved["data"]["approvals"] == 2, "approved: %s" % approved["data"])
    done = sb.event("drgate.plan.succeeded", pid, timeout=60)[0]
    figures["unplanned_last_approval_to_done_s"] = iso_ms(done["time"]) - t_approve
    log = sb.sim("/_sim/calls/log")["log"]
    regions = {c["region"] for c in log}
    check(log and regions == {"us-west-2"}, "calls outside us-west-2: %s" % log)
    check(any(c["action"] == "FailoverGlobalCluster" for c in log), "no failover: %s" % log)
    state = json.loads(sb.sandbox("state"))
    prim = [m for m in state["datastore"]["Members"] if m["Role"] == "PRIMARY"]
    check(prim and prim[0]["ReplicationGroupId"] == "orders-cache-west",
          "datastore primary: %s" % prim)
    sb.sandbox("outage", "--region", "us-east-1", "--end")
    sb.stop()


MANIFEST = {
    "StatePayload": [{
        "layer": 1,
        "resources": [{
            "resourceType": "FailoverElastiCacheCluster",
            "resourceName": "cache",
            "parameters": {
                "GlobalReplicationGroupId": "!Import demo-redis-cluster-global-replication-group-id",
                "TargetRegion": "!Import demo-redis-cluster-target-region",
                "TargetReplicationGroupId": "!Import demo-redis-cluster-target-replication-group-id",
            },
        }],
    }]
}


def manifest(name, **params):
    m = json.loads(json.dumps(MANIFEST))
    m["StatePayload"][0]["resources"][0]["resourceName"] = name
    m["StatePayload"][0]["resources"][0]["parameters"].update(params)
    return json.dumps(m)


def scenario_manifest(sb, figures):
    import sqlite3
    sb.sim("/_sim/reset", {})
    sb.config("manifest")
    sb.start()
    # a missing export refuses the proposal, naming it
    sb.send(manifest("missing", TargetRegion="!Import no-such-export"))
    rej = sb.event("drgate.input.rejected")
    check("no-such-export" in rej[0]["data"]["reason"]
          and rej[0]["data"]["reason_code"] == "unresolved", "missing: %s" % rej[0]["data"])
    # an expired token is refused and the plan does not move
    sb.send(manifest("expiring"))
    req, _ = sb.request()
    c = sqlite3.connect(sb.db, timeout=10)
    c.execute("UPDATE approval_requests SET expires_ms = ? WHERE plan_id = ?",
              (int(time.time() * 1000) - 1000, req["plan_id"]))
    c.commit()
    c.close()
    sb.approve(req, "dba-oncall")
    refused = sb.event("drgate.approval.refused", req["plan_id"])
    check(refused[0]["data"].get("reason_code") == "expired", "expired: %s" % refused[0]["data"])
    check(plan_state(sb.db, req["plan_id"]) == "proposed", "an expired token moved the plan")
    sb.stop()
    sb.start()  # re-arms the expiry timer: the request is due
    sb.event("drgate.plan.expired", req["plan_id"])
    # the manifest runs after approval with concrete values
    sb.send(manifest("resolved"))
    req, _ = sb.request()
    plan = sb.event("drgate.plan.proposed", req["plan_id"])[0]["data"]["plan"]
    params = plan["layers"][0]["steps"][0]["parameters"]
    check(params == {"GlobalReplicationGroupId": "ldgnf-orders-cache",
                     "TargetRegion": "us-west-2",
                     "TargetReplicationGroupId": "orders-cache-west"},
          "unresolved values in the plan: %s" % params)
    check("!Import" not in req["summary"] if "summary" in req else True, "summary")
    sb.approve(req, "dba-oncall")
    sb.event("drgate.plan.succeeded", req["plan_id"], timeout=40)
    sb.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="drgate-orch-")
    d = os.path.join(tmp, "sb")
    env = dict(os.environ, MOTO_ECS_SERVICE_RUNNING="2")  # rollouts complete
    r = subprocess.run([SANDBOX, "start", "--dir", d, "--sustain-seconds", "2"],
                       capture_output=True, text=True, timeout=120, env=env)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(1)
    sb = None
    ok = False
    figures = {}
    try:
        sb = Env(d)
        sb.sim("/_sim/durations", {k: SIM_SECONDS for k in (
            "failover", "switchover", "detach", "create_cluster",
            "create_instance", "promote", "elasticache_failover")})
        for name, fn in (("planned", scenario_planned),
                         ("unplanned", scenario_unplanned),
                         ("manifest", scenario_manifest)):
            t0 = time.time()
            sb.purge()
            fn(sb, figures)
            print("ok %s (%.1f s)" % (name, time.time() - t0))
        print("figures: " + json.dumps(figures, sort_keys=True))
        ok = True
    finally:
        if sb:
            sb.stop(expect_clean=False)
        subprocess.run([SANDBOX, "stop", "--dir", d], capture_output=True, timeout=60)
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept for inspection: " + tmp)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
