#!/usr/bin/env python3
"""drgate run's HTTP endpoint and `drgate status --watch` during a failover.

On the sandbox (moto + simulator, short transitions): `drgate run` with
http_listen 127.0.0.1:0 (the port from its "http listening" log line and
state_dir/http.port); a regional outage and its alarms make drgate propose
the unplanned runbook; `drgate status --watch`, piped, follows the plan
while two approvers sign it. Checks: /healthz and /readyz answer 200 once
ready; /metrics, parsed by prometheus_client's parser (prom_parse.py under
/usr/bin/python3) during and after the failover, shows the counters moved;
/v1/plans and /v1/plans/{id} list the plan and its steps; the watch prints
plain lines (no escape codes) and exits 0 when the plan is done; a second
daemon on the same port fails to start, naming the address.
Usage: test_observe.py DRGATE
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SANDBOX = os.path.join(ROOT, "infra", "local", "sandbox")
DRGATE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                         else os.path.join(ROOT, "build", "drgate"))
PROCS = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def load_env(path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("export "):
                k, v = line[7:].split("=", 1)
                env[k] = v.strip().strip("'\"")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def scrape(port):
    st, text = get(port, "/metrics")
    check(st == 200, "/metrics answered %d" % st)
    p = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "prom_parse.py")],
                       input=text, capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "prometheus_client cannot parse /metrics: %s\n%s"
          % (p.stderr[-2000:], text[:2000]))
    return json.loads(p.stdout)


def total(samples, name, **labels):
    return sum(v for n, l, v in samples
               if n == name and v is not None
               and all(l.get(k) == want for k, want in labels.items()))


def has(samples, name):
    return any(n == name for n, _, _ in samples)


def receive_request(env):
    import boto3
    sqs = boto3.client("sqs", endpoint_url=env["AWS_ENDPOINT_URL"],
                       region_name="us-west-2",
                       aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    r = sqs.receive_message(QueueUrl=env["DRGATE_APPROVALS_QUEUE_URL"],
                            WaitTimeSeconds=1, MaxNumberOfMessages=10)
    for m in r.get("Messages", []):
        body = json.loads(m["Body"])
        try:
            req = json.loads(body.get("Message", ""))
        except ValueError:
            continue
        if isinstance(req, dict) and req.get("type") == "drgate.approval.request":
            return req
    return None


def http_port(log_path):
    for line in open(log_path):
        if '"msg":"http listening"' in line:
            return int(json.loads(line)["port"])
    return None


def bind_conflict(env, cfg_path, port, tmp):
    """A second daemon on a port in use: a startup error naming it."""
    cfg = json.load(open(cfg_path))
    cfg["service"]["http_listen"] = "127.0.0.1:%d" % port
    cfg["service"]["state_dir"] = os.path.join(tmp, "second")
    cfg["store"]["path"] = os.path.join(tmp, "second", "drgate.db")
    os.makedirs(cfg["service"]["state_dir"])
    p2 = os.path.join(os.path.dirname(cfg_path), "second.json")  # runbooks: relative
    json.dump(cfg, open(p2, "w"))
    r = subprocess.run([DRGATE, "run", "--config", p2], capture_output=True,
                       text=True, timeout=30, env=env)
    check(r.returncode == 1, "second daemon on a used port exited %d" % r.returncode)
    check("127.0.0.1:%d" % port in r.stderr and '"msg":"cannot start"' in r.stderr,
          "bind failure does not name the address: " + r.stderr[-1000:])
    check('"msg":"ready"' not in r.stderr, "second daemon became ready")


def main():
    start = time.time()
    tmp = tempfile.mkdtemp(prefix="drgate-observe-")
    d = os.path.join(tmp, "sb")
    daemon = watch = None
    ok = False
    try:
        r = subprocess.run([SANDBOX, "start", "--dir", d, "--sustain-seconds", "2",
                            "--transition-seconds", "1"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "sandbox start: " + r.stdout + r.stderr)
        env = load_env(os.path.join(d, "env"))
        cfg_path = env["DRGATE_CONFIG"]
        cfg = json.load(open(cfg_path))
        state_dir = cfg["service"]["state_dir"]
        log_path = os.path.join(tmp, "drgate.log")
        log = open(log_path, "w")
        daemon = subprocess.Popen([DRGATE, "run", "--config", cfg_path], env=env,
                                  stdout=log, stderr=log)
        PROCS.append(daemon)
        wait_for(lambda: '"msg":"ready"' in open(log_path).read()
                 or daemon.poll() is not None, 20, "ready")
        check(daemon.poll() is None, "drgate run exited: " + open(log_path).read()[-2000:])
        port = http_port(log_path)
        check(port and port > 0, "no port in the http listening line")
        check(open(os.path.join(state_dir, "http.port")).read().strip() == str(port),
              "http.port does not hold the bound port")
        check(get(port, "/healthz") == (200, "ok\n"), "/healthz")
        st, body = get(port, "/readyz")
        check(st == 200 and json.loads(body)["status"] == "ready", "/readyz: %d %s" % (st, body))
        before = scrape(port)
        check(total(before, "drgate_ready") == 1, "drgate_ready is not 1")
        check(total(before, "drgate_build_info") == 1, "no build info")

        bind_conflict(env, cfg_path, port, tmp)

        # The outage and its alarms; drgate proposes and asks for approval.
        for args in (["outage", "--region", "us-east-1"],
                     ["alarm", "--name", "orders-writer-health", "--state", "ALARM"],
                     ["alarm", "--name", "orders-api-latency", "--state", "ALARM"]):
            r = subprocess.run([SANDBOX, args[0], "--dir", d, *args[1:]],
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 0, "sandbox %s: %s" % (args[0], r.stderr))
        req = wait_for(lambda: receive_request(env), 60, "the approval request")
        pid = req["plan_id"]

        # Follow it, piped: plain lines, exit 0 when done.
        watch = subprocess.Popen([DRGATE, "status", "--watch", "--config", cfg_path],
                                 env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        PROCS.append(watch)
        st, body = get(port, "/v1/plans")
        check(st == 200 and [p["plan_id"] for p in json.loads(body)] == [pid],
              "/v1/plans before approval: %s" % body[:500])
        check(json.loads(body)[0]["state"] == "proposed", "not proposed: " + body[:500])

        for who in ("dba-oncall", "incident-lead"):
            cmd = [DRGATE, "approve", "--config", cfg_path, "--plan", pid,
                   "--digest", req["plan_digest"], "--token", req["token"],
                   "--key", os.path.join(d, "keys", who + ".key"), "--approver", who]
            if req.get("data_loss"):
                cmd.append("--accept-data-loss")
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
            check(r.returncode == 0, "drgate approve: " + r.stderr)

        # During the failover: /metrics parses and moves.
        def executing():
            st, body = get(port, "/v1/plans/" + pid)
            return st == 200 and json.loads(body).get("execution") and body
        wait_for(executing, 30, "the plan to execute")
        during = scrape(port)
        check(total(during, "drgate_approval_replies_total", outcome="accepted") >= 2,
              "approval replies during the failover: %s" %
              [s for s in during if s[0] == "drgate_approval_replies_total"])

        out, err = watch.communicate(timeout=90)
        check(watch.returncode == 0, "status --watch exited %d: %s" % (watch.returncode, err))
        check("\x1b" not in out, "escape codes in piped output: %r" % out[:300])
        lines = out.splitlines()
        check(any(("plan %s unplanned: executing" % pid) in l for l in lines),
              "no executing line:\n" + out)
        check(("plan %s unplanned: succeeded" % pid) in lines[-1],
              "last line is not the success:\n" + out)
        step_done = [l for l in lines if " step " in l and l.endswith(" s")
                     and ": succeeded in " in l]
        check(len(step_done) >= 4, "fewer than 4 succeeded step lines:\n" + out)
        check(len(lines) == len(set(lines)), "repeated lines:\n" + out)

        # After: the counters, the gauges and the plans view.
        after = scrape(port)
        want = {
            "messages received": total(after, "drgate_messages_received_total") > 0,
            "propose decisions": total(after, "drgate_decisions_total", verdict="propose") >= 1,
            "accepted replies": total(after, "drgate_approval_replies_total",
                                      outcome="accepted") >= 2,
            "aws calls": total(after, "drgate_aws_calls_total") > 0,
            "aws ok calls": total(after, "drgate_aws_calls_total", result="ok") > 0,
            "aws latency": total(after, "drgate_aws_call_seconds_count") > 0,
            "step durations": total(after, "drgate_step_duration_seconds_count",
                                    result="succeeded") >= 4,
            "plans proposed": total(after, "drgate_plans_total", **{"class": "unplanned"}) >= 1,
            "succeeded plans": total(after, "drgate_plans_by_state", state="succeeded") == 1,
            "no proposed plans": total(after, "drgate_plans_by_state", state="proposed") == 0,
            "outbox gauges": has(after, "drgate_outbox_depth")
                             and has(after, "drgate_outbox_oldest_age_seconds")
                             and has(after, "drgate_sink_failing"),
            "http requests": total(after, "drgate_http_requests_total", route="metrics") >= 3,
        }
        bad = [k for k, v in want.items() if not v]
        check(not bad, "counters that did not move: %s\n%s" % (
            bad, "\n".join("%s %s %s" % tuple(s) for s in after
                           if not s[0].startswith("drgate_aws_call_seconds_bucket"))))
        st, body = get(port, "/v1/plans")
        plans = json.loads(body)
        check(st == 200 and plans[0]["plan_id"] == pid and plans[0]["state"] == "succeeded",
              "/v1/plans after: %s" % body[:500])
        st, body = get(port, "/v1/plans/" + pid)
        one = json.loads(body)
        check(st == 200 and len(one["steps"]) >= 4
              and all(s["state"] == "succeeded" for s in one["steps"])
              and one["execution"]["state"] == "succeeded",
              "/v1/plans/%s: %s" % (pid, body[:800]))
        check(get(port, "/v1/plans/no-such-plan")[0] == 404, "unknown plan not 404")

        daemon.send_signal(signal.SIGTERM)
        rc = daemon.wait(timeout=40)
        check(rc == 0, "drgate run exited %d" % rc)
        check("Sanitizer" not in open(log_path).read() and "Sanitizer" not in err,
              "sanitizer report")
        check(not os.path.exists(os.path.join(state_dir, "http.port")),
              "http.port left behind")
        moved = sorted({s[0] for s in after if s[2] and not s[0].endswith("_bucket")
                        and s[0] not in ("drgate_start_time_seconds",
                                         "drgate_process_resident_memory_bytes")})
        print("drgate status --watch (piped):\n  " + "\n  ".join(lines))
        print("ok: %d checks in %.1f s; metrics that moved: %s" % (
            checks, time.time() - start, ", ".join(moved)))
        ok = True
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run([SANDBOX, "stop", "--dir", d], capture_output=True, timeout=60)
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept for inspection: " + tmp)
            if os.path.exists(os.path.join(tmp, "drgate.log")):
                print(open(os.path.join(tmp, "drgate.log")).read()[-3000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
