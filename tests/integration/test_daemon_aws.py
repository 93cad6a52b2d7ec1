"""drgate run against the sandbox (moto + simulator on 127.0.0.1): the sqs
source and the sns sink.

One sandbox (sustain 3 s), three runs of drgate over the same store:
 1. alarms through EventBridge (`sandbox alarm`) and through SNS (a classic
    CloudWatch alarm notification published to the replies topic, which is
    subscribed to drgate's queue), then NO further message: the policy
    timer proposes at sustain time. Garbage, an oversized (~250 KiB) and a
    wrongly-shaped message sent with SendMessage are rejected and deleted;
    {"Action": "status"} is answered with a drgate.command.replied event.
    The queue and the DLQ end empty.
 2. the SNS endpoint behind tests/support/faultproxy.py failing every
    Publish for ~10 s while events are made, then recovering slowly
    (latency), and drgate killed -9 in the middle of the drain.
 3. a restart: the subscriber of the events topic ends up holding every
    stored event at least once, first occurrences in seq order, each
    byte-identical to the store and the file sink, with its message
    attributes; `drgate audit verify --file` accepts what it received.
Usage: test_daemon_aws.py DRGATE SRC_DIR
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import boto3

DRGATE, SRC = sys.argv[1], sys.argv[2]
SANDBOX = os.path.join(SRC, "infra", "local", "sandbox")
FAULTPROXY = os.path.join(SRC, "tests", "support", "faultproxy.py")
PROCS = []


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def load_env(path):
    env = dict(os.environ)
    for line in open(path):
        line = line.strip()
        if line.startswith("export "):
            k, v = line[7:].split("=", 1)
            env[k] = v
    return env


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def store_events(db):
    con = sqlite3.connect(db, timeout=5)
    rows = con.execute("SELECT seq, id, json FROM events ORDER BY seq").fetchall()
    con.close()
    return rows


class Drgate:
    def __init__(self, cfg, env, log):
        self.log = log
        self.p = subprocess.Popen([DRGATE, "run", "--config", cfg], env=env,
                                  stdout=subprocess.DEVNULL,
                                  stderr=open(log, "a"))
        PROCS.append(self.p)
        try:
            wait_for(lambda: '"msg":"ready"' in open(log).read() or
                     self.p.poll() is not None, 20, "ready")
        finally:
            check('"msg":"ready"' in open(log).read(),
                  "drgate not ready: " + open(log).read()[-3000:])

    def term(self):
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=40)
        check(rc == 0, "drgate exited %d: %s" % (rc, open(self.log).read()[-2000:]))

    def kill9(self):
        self.p.kill()
        self.p.wait(timeout=10)


class Subscriber:
    """Everything the events topic delivered to its queue, in order."""

    def __init__(self, sqs, url):
        self.sqs, self.url, self.got = sqs, url, []

    def poll(self):
        while True:
            r = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=0)
            ms = r.get("Messages", [])
            if not ms:
                return self.got
            for m in ms:
                env = json.loads(m["Body"])
                self.got.append(env)
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(ms)])

    def messages(self):
        return [e["Message"] for e in self.poll()]


def queue_counts(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (int(a["ApproximateNumberOfMessages"]),
            int(a["ApproximateNumberOfMessagesNotVisible"]))


def types(path):
    return [json.loads(l)["type"] for l in lines(path)]


def classic_alarm(name, state):
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())
    return {"AlarmName": name, "AlarmDescription": None,
            "AWSAccountId": "123456789012", "NewStateValue": state,
            "NewStateReason": "Threshold Crossed: test", "StateChangeTime": now,
            "Region": "US East (N. Virginia)",
            "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + name,
            "OldStateValue": "OK" if state == "ALARM" else "ALARM",
            "Trigger": {"MetricName": "Latency", "Namespace": "AWS/ApplicationELB",
                        "Period": 60, "EvaluationPeriods": 1,
                        "ComparisonOperator": "GreaterThanThreshold",
                        "Threshold": 1.0}}


def start_faultproxy(upstream, tmp):
    p = subprocess.Popen([sys.executable, FAULTPROXY, "--upstream", upstream,
                          "--port", "0"], stdout=subprocess.PIPE,
                         stderr=open(os.path.join(tmp, "faultproxy.log"), "w"),
                         text=True)
    PROCS.append(p)
    line = p.stdout.readline()
    check(line.startswith("FAULTPROXY_READY"), "faultproxy: " + line)
    return p, json.loads(line.split(" ", 1)[1])["port"]


def fault_rules(port, rules):
    import urllib.request
    req = urllib.request.Request("http://127.0.0.1:%d/_fault/script" % port,
                                 data=json.dumps({"rules": rules}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()


def phase1(tmp, env, sqs, sns, cfg, sub):
    q, dlq = env["DRGATE_QUEUE_URL"], env["DRGATE_DLQ_URL"]
    events = os.path.join(env["SANDBOX_DIR"], "events.jsonl")
    d = Drgate(cfg, env, os.path.join(tmp, "run1.log"))
    # Alarm 1 through EventBridge, alarm 2 as a classic SNS notification.
    r = subprocess.run([SANDBOX, "alarm", "--dir", env["SANDBOX_DIR"], "--name",
                        "orders-writer-health", "--state", "ALARM"],
                       capture_output=True, text=True, timeout=30, env=env)
    check(r.returncode == 0, "sandbox alarm: " + r.stderr)
    sns.publish(TopicArn=env["DRGATE_REPLIES_TOPIC_ARN"], Subject="ALARM",
                Message=json.dumps(classic_alarm("orders-api-latency", "ALARM")))
    t_alarms = time.monotonic()
    # Refused input: garbage, oversized, wrongly shaped.
    sqs.send_message(QueueUrl=q, MessageBody="this is {not json")
    sqs.send_message(QueueUrl=q, MessageBody=json.dumps(
        {"padding": "x" * (250 * 1024)}))
    sqs.send_message(QueueUrl=q, MessageBody=json.dumps(
        {"detail-type": "CloudWatch Alarm State Change", "detail": 42}))
    # A seed 000 status command.
    sqs.send_message(QueueUrl=q, MessageBody=json.dumps(
        {"Action": "status", "GlobalClusterIdentifier": "orders-global",
         "TargetDbClusterIdentifier": env["SANDBOX_SECONDARY_CLUSTER_ARN"]}))
    # Nothing else is sent: the timer must propose at sustain time.
    wait_for(lambda: "drgate.plan.proposed" in types(events), 20,
             "a proposal from the policy timer")
    took = time.monotonic() - t_alarms
    evs = [json.loads(l) for l in lines(events)]
    prop = [e for e in evs if e["type"] == "drgate.plan.proposed"][0]
    check(prop["data"]["message_id"] == "policy-timer",
          "the proposal did not come from the timer: %r" % prop["data"]["message_id"])
    check(prop["data"]["class"] == "planned", "want a planned proposal")
    dec = [e for e in evs if e["type"] == "drgate.decision.made"
           and e["data"]["verdict"] == "propose"]
    check(len(dec) == 1 and set(dec[0]["data"]["failing"]) ==
          {"writer-alarm", "latency-alarm"}, "propose decision: %r" % dec)
    print("timer proposal %.1f s after the alarms were sent (sustain 3 s)" % took)
    wait_for(lambda: "drgate.command.replied" in types(events), 20,
             "the status reply")
    wait_for(lambda: types(events).count("drgate.input.rejected") >= 3, 20,
             "three rejected-input events")
    evs = [json.loads(l) for l in lines(events)]
    rep = [e for e in evs if e["type"] == "drgate.command.replied"][0]["data"]
    check(rep["statusCode"] == 200, "status reply: %r" % rep)
    body = json.loads(rep["body"])
    members = {m["DBClusterArn"] for m in body["Output"]["GlobalClusterMembers"]}
    check(members == {env["SANDBOX_PRIMARY_CLUSTER_ARN"],
                      env["SANDBOX_SECONDARY_CLUSTER_ARN"]},
          "status members: %r" % body)
    check(set(body) == {"Message", "Output"}, "seed 000 body shape: %r" % body)
    rej = [e["data"] for e in evs if e["type"] == "drgate.input.rejected"]
    check(len(rej) == 3 and all(r["source"] == "sqs" and r["origin"] for r in rej),
          "rejected events: %r" % rej)
    # Everything deleted; nothing in the DLQ.
    wait_for(lambda: queue_counts(sqs, q) == (0, 0), 15, "drgate's queue empty")
    check(queue_counts(sqs, dlq) == (0, 0), "messages in the DLQ")
    d.term()
    check('"deleted":"' in open(d.log).read(), "no sqs stop summary")


def phase2(tmp, env, sqs, cfg_path):
    """SNS failing, events made, recovery with latency, kill -9 mid-drain."""
    q = env["DRGATE_QUEUE_URL"]
    proxy, port = start_faultproxy(env["SANDBOX_MOTO_URL"], tmp)
    cfg = json.load(open(cfg_path))
    cfg["aws"]["endpoints"]["sns"] = "http://127.0.0.1:%d" % port
    cfg_fault = os.path.join(env["SANDBOX_DIR"], "drgate-fault.json")
    json.dump(cfg, open(cfg_fault, "w"))
    fault_rules(port, [{"action": "unavailable", "match": {"op": "Publish"},
                        "mode": {"all": True}}])
    events = os.path.join(env["SANDBOX_DIR"], "events.jsonl")
    before = len(lines(events))
    d = Drgate(cfg_fault, env, os.path.join(tmp, "run2.log"))
    t0 = time.monotonic()
    for i in range(3):
        sqs.send_message_batch(QueueUrl=q, Entries=[
            {"Id": str(j), "MessageBody": "garbage %d/%d" % (i, j)}
            for j in range(10)])
    wait_for(lambda: len(lines(events)) >= before + 30, 20,
             "30 rejected events in the file sink")
    # Keep failing for ~10 s in all.
    time.sleep(max(0.0, 10 - (time.monotonic() - t0)))
    import urllib.request
    log = json.load(urllib.request.urlopen(
        "http://127.0.0.1:%d/_fault/log" % port, timeout=5))
    check(log["rules"][0]["fired"] > 0, "no Publish reached the proxy")
    # Recover, slowly: 150 ms per Publish, and kill -9 during the drain.
    fault_rules(port, [{"action": "latency", "latency_ms": 150,
                        "match": {"op": "Publish"}, "mode": {"all": True}}])
    wait_for(lambda: json.load(urllib.request.urlopen(
        "http://127.0.0.1:%d/_fault/log" % port, timeout=5))["rules"][0]["fired"] >= 5,
        30, "the drain to start")
    d.kill9()
    fault_rules(port, [])
    proxy.terminate()
    proxy.wait(timeout=10)
    return len(lines(events))


def main():
    tmp = tempfile.mkdtemp(prefix="drgate-aws-")
    sbx = os.path.join(tmp, "sandbox")
    started = False
    try:
        r = subprocess.run([SANDBOX, "start", "--dir", sbx, "--sustain-seconds", "3"],
                           capture_output=True, text=True, timeout=90)
        check(r.returncode == 0, "sandbox start: " + r.stdout + r.stderr)
        started = True
        env = load_env(os.path.join(sbx, "env"))
        kw = dict(endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-west-2",
                  aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                  aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
        sqs, sns = boto3.client("sqs", **kw), boto3.client("sns", **kw)
        cfg = env["DRGATE_CONFIG"]
        sub = Subscriber(sqs, env["DRGATE_EVENTS_QUEUE_URL"])
        phase1(tmp, env, sqs, sns, cfg, sub)
        phase2(tmp, env, sqs, cfg)
        # Restart (the normal config): the outbox drains what is left.
        db = json.load(open(cfg))["store"]["path"]
        rows = store_events(db)
        want = {eid: js for _, eid, js in rows}
        d = Drgate(cfg, env, os.path.join(tmp, "run3.log"))
        wait_for(lambda: set(json.loads(m)["id"] for m in sub.messages()) >= set(want),
                 40, "every stored event at the subscriber")
        d.term()
        got = sub.poll()
        rows = store_events(db)
        byid = {eid: (seq, js) for seq, eid, js in rows}
        # Byte-identical to the store and the file sink, with attributes.
        file_lines = lines(os.path.join(env["SANDBOX_DIR"], "events.jsonl"))
        check(len(file_lines) >= len(rows), "file sink short")
        check(set(file_lines) == {js for _, _, js in rows},
              "the file sink differs from the store")
        firsts = []
        for envl in got:
            check(envl["Type"] == "Notification", "not an SNS notification")
            msg = envl["Message"]
            ev = json.loads(msg)
            check(ev["id"] in byid, "foreign event %s" % ev["id"])
            check(msg == byid[ev["id"]][1], "event %s changed in SNS" % ev["id"])
            attrs = {k: v["Value"] for k, v in envl.get("MessageAttributes", {}).items()}
            check(attrs.get("type") == ev["type"], "type attribute: %r" % attrs)
            check(attrs.get("severity") in ("info", "notice", "warning", "error"),
                  "severity attribute: %r" % attrs)
            if ev["type"] == "drgate.input.rejected":
                check(attrs["severity"] == "warning", "rejected severity %r" % attrs)
            if ev["type"] == "drgate.plan.proposed":
                check(attrs["severity"] == "notice" and
                      attrs.get("plan_id") == ev["data"]["plan_id"],
                      "proposal attributes %r" % attrs)
            else:
                check("plan_id" not in attrs or attrs["plan_id"], "empty plan_id")
            if ev["id"] not in {f["id"] for f in firsts}:
                firsts.append(ev)
        seqs = [e["drgateseq"] for e in firsts]
        check(seqs == sorted(seqs) and seqs == [s for s, _, _ in rows],
              "first occurrences out of order or missing: %r" % seqs)
        dup = len(got) - len(firsts)
        p = os.path.join(tmp, "subscriber.jsonl")
        with open(p, "w") as f:
            f.write("".join(e["Message"] + "\n" for e in got))
        r = subprocess.run([DRGATE, "audit", "verify", "--file", p],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "audit verify of the subscriber's copy: " + r.stderr)
        print("subscriber: %d events, %d redelivered after kill -9; audit verify ok"
              % (len(firsts), dup))
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait()
        if started:
            subprocess.run([SANDBOX, "stop", "--dir", sbx], capture_output=True,
                           timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
