#!/usr/bin/env python3
"""The sandbox verbs: two sandboxes at once, alarm delivery, state/calls JSON,
signature verification through the moto proxy, and a clean stop."""

import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

import botocore.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simutil import (ACCOUNT, EAST, SANDBOX, WEST, WEST_ARN, client, control, error_code,  # noqa: E402
                     is_unreachable, wait_until)

ClientError = botocore.exceptions.ClientError


def run(*args, check=True, timeout=120):
    p = subprocess.run([sys.executable, SANDBOX] + list(args), capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("sandbox %s failed (%d)\nstdout:%s\nstderr:%s"
                             % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def read_env(d):
    env = {}
    with open(os.path.join(d, "env")) as f:
        for line in f:
            m = re.match(r"export ([A-Z0-9_]+)=(.*)$", line.strip())
            if m:
                env[m.group(1)] = shlex.split(m.group(2))[0] if m.group(2) else ""
    return env


def pids(d):
    out = []
    pd = os.path.join(d, "pids")
    for name in os.listdir(pd) if os.path.isdir(pd) else []:
        with open(os.path.join(pd, name)) as f:
            out.append(int(f.read().split()[0]))
    return out


def running(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def ports_of(env):
    urls = [env[k] for k in ("AWS_ENDPOINT_URL", "SANDBOX_SIM_URL", "SANDBOX_MOTO_URL")]
    ports = {int(u.rsplit(":", 1)[1]) for u in urls}
    ports |= {int(env["SANDBOX_WRITER_PORT_US_EAST_1"]), int(env["SANDBOX_WRITER_PORT_US_WEST_2"])}
    return ports


class SandboxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="drgate-sandbox-test-")
        cls.a = os.path.join(cls.tmp, "plain")
        cls.b = os.path.join(cls.tmp, "verify")
        cls.started = []
        # two sandboxes at once, started concurrently
        procs = [(d, subprocess.Popen([sys.executable, SANDBOX, "start", "--dir", d, "--transition-seconds", "0.5"]
                                      + extra + ["--sustain-seconds", "7"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
                 for d, extra in ((cls.a, []), (cls.b, ["--verify-signatures"]))]
        cls.start_output = {}
        cls.started = [d for d, _ in procs]
        try:
            for d, p in procs:
                out, err = p.communicate(timeout=120)
                cls.start_output[d] = (p.returncode, out, err)
        except BaseException:
            for d, p in procs:
                if p.poll() is None:
                    p.terminate()
                    p.wait(30)
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for d in cls.started:
            subprocess.run([sys.executable, SANDBOX, "stop", "--dir", d], capture_output=True, timeout=60)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        for d, (rc, out, err) in self.start_output.items():
            self.assertEqual(rc, 0, "start %s failed:\n%s\n%s" % (d, out, err))
            self.assertEqual(out.strip().splitlines()[-1], "sandbox ready")
        self.env_a, self.env_b = read_env(self.a), read_env(self.b)

    def aws(self, env, service, region=WEST, secret=None):
        url = env["AWS_ENDPOINT_URL_RDS"] if service in ("rds", "elasticache") else env["AWS_ENDPOINT_URL"]
        return client(url, service, region, secret or env["AWS_SECRET_ACCESS_KEY"], env["AWS_ACCESS_KEY_ID"])

    # ------------------------------------------------------------------ files
    def test_env_config_and_keys(self):
        for d, env in ((self.a, self.env_a), (self.b, self.env_b)):
            for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_RDS", "AWS_ENDPOINT_URL_ELASTICACHE",
                      "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DRGATE_CONFIG", "DRGATE_QUEUE_URL",
                      "DRGATE_DLQ_URL", "DRGATE_EVENTS_TOPIC_ARN", "DRGATE_EVENTS_QUEUE_URL",
                      "DRGATE_APPROVALS_TOPIC_ARN", "DRGATE_APPROVALS_QUEUE_URL", "DRGATE_REPLIES_TOPIC_ARN",
                      "SANDBOX_SIM_URL", "SANDBOX_MOTO_URL"):
                self.assertTrue(env.get(k), k)
            self.assertEqual(env["AWS_REGION"], "us-west-2")
            # queue URLs point at the endpoint drgate uses (the proxy when signatures are checked)
            for k in ("DRGATE_QUEUE_URL", "DRGATE_DLQ_URL", "DRGATE_EVENTS_QUEUE_URL", "DRGATE_APPROVALS_QUEUE_URL"):
                self.assertTrue(env[k].startswith(env["AWS_ENDPOINT_URL"] + "/"), k)
            self.assertTrue(env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:"))
            with open(env["DRGATE_CONFIG"]) as f:
                cfg = json.load(f)
            self.assertEqual(set(cfg), {"service", "aws", "store", "sources", "sinks", "topology", "policy",
                                        "approval"})
            self.assertEqual(set(cfg["service"]), {"name", "state_dir", "http_listen", "log_level"})
            self.assertEqual(set(cfg["aws"]), {"region", "endpoints", "max_attempts"})
            self.assertEqual(cfg["aws"]["endpoints"]["sqs"], env["AWS_ENDPOINT_URL"])
            self.assertEqual(cfg["aws"]["endpoints"]["rds"], env["SANDBOX_SIM_URL"])
            self.assertEqual(cfg["sources"][0], {"type": "sqs", "queue_url": env["DRGATE_QUEUE_URL"],
                                                 "wait_seconds": 1, "max_messages": 10, "visibility_timeout": 30})
            self.assertEqual(cfg["sources"][1]["target"],
                             "tcp://127.0.0.1:%s" % env["SANDBOX_WRITER_PORT_US_EAST_1"])
            self.assertEqual(cfg["policy"]["sustain_seconds"], 7)
            v = cfg["topology"]["variables"]
            self.assertEqual(v["secondary_cluster_arn"], WEST_ARN)
            self.assertNotIn("/", v["hosted_zone_id"])
            self.assertEqual(cfg["approval"]["request_topic_arn"], env["DRGATE_APPROVALS_TOPIC_ARN"])
            self.assertEqual(cfg["approval"]["reply_topic_arn"], env["DRGATE_REPLIES_TOPIC_ARN"])
            for appr in cfg["approval"]["approvers"]:
                key = os.path.join(d, "keys", appr["name"] + ".key")
                self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
                with open(os.path.join(d, "keys", appr["name"] + ".pub")) as f:
                    self.assertEqual(f.read(), appr["public_key"])
                self.assertTrue(appr["public_key"].startswith("-----BEGIN PUBLIC KEY-----"))
        # different ports for the two sandboxes
        self.assertFalse(ports_of(self.env_a) & ports_of(self.env_b))

    def test_moto_seed(self):
        env = self.env_a
        cfn = self.aws(env, "cloudformation")
        exports = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
        self.assertEqual(exports["dr-globaldb-cluster-global-identifier"], "orders-global")
        self.assertEqual(exports["dr-globaldb-cluster-identifier"], WEST_ARN)
        self.assertEqual(exports["dr-globaldb-cluster-region"], "us-west-2")
        ssm = self.aws(env, "ssm")
        self.assertEqual(ssm.get_parameter(Name="/drgate/sandbox/dr-globaldb-cluster-global-identifier")
                         ["Parameter"]["Value"], "orders-global")
        r53 = self.aws(env, "route53", EAST)
        rr = r53.list_resource_record_sets(HostedZoneId=env["SANDBOX_HOSTED_ZONE_ID"])["ResourceRecordSets"]
        cname = [r for r in rr if r["Type"] == "CNAME"]
        self.assertEqual(cname[0]["Name"], "db.orders.example.internal.")
        self.assertIn(".us-east-1.rds.amazonaws.com", cname[0]["ResourceRecords"][0]["Value"])
        for region, cluster in ((EAST, "orders-east"), (WEST, "orders-west")):
            svc = self.aws(env, "ecs", region).describe_services(cluster=cluster, services=["orders-api"])
            self.assertEqual(svc["services"][0]["serviceName"], "orders-api")
        sqs = self.aws(env, "sqs")
        attrs = sqs.get_queue_attributes(QueueUrl=env["DRGATE_QUEUE_URL"], AttributeNames=["All"])["Attributes"]
        self.assertEqual(json.loads(attrs["RedrivePolicy"])["maxReceiveCount"], 5)
        self.assertIn("events.amazonaws.com", attrs["Policy"])
        # approval replies published to SNS arrive in drgate's queue
        sns = self.aws(env, "sns")
        sns.publish(TopicArn=env["DRGATE_REPLIES_TOPIC_ARN"], Message=json.dumps({"type": "drgate.approval"}))
        body = self.receive(env, env["DRGATE_QUEUE_URL"], lambda b: b.get("Type") == "Notification")
        self.assertEqual(json.loads(body["Message"]), {"type": "drgate.approval"})
        sns.publish(TopicArn=env["DRGATE_EVENTS_TOPIC_ARN"], Message="{}")
        self.receive(env, env["DRGATE_EVENTS_QUEUE_URL"], lambda b: b.get("Type") == "Notification")

    def receive(self, env, url, match, timeout=15):
        sqs = self.aws(env, "sqs")

        def get():
            for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                body = json.loads(m["Body"])
                if match(body):
                    return body
        return wait_until(get, timeout, 0, "a message in %s" % url)

    # ------------------------------------------------------------------ verbs
    def test_alarm_delivers_event(self):
        for d, env in ((self.a, self.env_a), (self.b, self.env_b)):
            out = json.loads(run("alarm", "--dir", d, "--name", "orders-writer-health", "--state", "ALARM").stdout)
            arn = "arn:aws:cloudwatch:us-east-1:%s:alarm:orders-writer-health" % ACCOUNT
            self.assertEqual(out["alarm_arn"], arn)
            ev = self.receive(env, env["DRGATE_QUEUE_URL"], lambda b: b.get("id") == out["event_id"])
            self.assertEqual(ev["source"], "aws.cloudwatch")
            self.assertEqual(ev["detail-type"], "CloudWatch Alarm State Change")
            self.assertEqual(ev["account"], ACCOUNT)
            self.assertEqual(ev["region"], "us-east-1")
            self.assertEqual(ev["resources"], [arn])
            self.assertEqual(ev["version"], "0")
            det = ev["detail"]
            self.assertEqual(det["alarmName"], "orders-writer-health")
            self.assertEqual(det["state"]["value"], "ALARM")
            self.assertRegex(det["state"]["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
            self.assertIsInstance(json.loads(det["state"]["reasonData"]), dict)
            self.assertTrue(det["state"]["reason"])
            self.assertEqual(det["previousState"]["value"], "OK")
            self.assertIn("metrics", det["configuration"])
        # the next change of the same alarm remembers the previous state; another region keeps its own
        out = json.loads(run("alarm", "--dir", self.a, "--name", "orders-writer-health", "--state", "OK").stdout)
        ev = self.receive(self.env_a, self.env_a["DRGATE_QUEUE_URL"], lambda b: b.get("id") == out["event_id"])
        self.assertEqual(ev["detail"]["previousState"]["value"], "ALARM")
        self.assertEqual(ev["detail"]["state"]["value"], "OK")
        out = json.loads(run("alarm", "--dir", self.a, "--name", "orders-api-latency", "--state",
                             "INSUFFICIENT_DATA", "--region", "us-west-2").stdout)
        ev = self.receive(self.env_a, self.env_a["DRGATE_QUEUE_URL"], lambda b: b.get("id") == out["event_id"])
        self.assertEqual(ev["region"], "us-west-2")
        self.assertEqual(ev["resources"], ["arn:aws:cloudwatch:us-west-2:%s:alarm:orders-api-latency" % ACCOUNT])
        out = json.loads(run("health", "--dir", self.a, "--service", "RDS", "--status", "open").stdout)
        ev = self.receive(self.env_a, self.env_a["DRGATE_QUEUE_URL"], lambda b: b.get("id") == out["event_id"])
        self.assertEqual((ev["source"], ev["detail-type"], ev["region"]), ("aws.health", "AWS Health Event", EAST))
        self.assertEqual(ev["detail"]["service"], "RDS")

    def test_state_calls_and_outage(self):
        d, env = self.a, self.env_a
        st = json.loads(run("state", "--dir", d).stdout)
        self.assertEqual(set(st), {"global_database", "db_clusters", "datastore", "replication_groups",
                                   "route53", "ecs", "outages", "replication_lag"})
        # the simulator publishes the secondary's lag into moto
        self.assertEqual(st["replication_lag"]["errors"], 0)
        self.assertIn("us-west-2/orders-west", st["replication_lag"]["last"])
        self.assertEqual(st["global_database"]["GlobalClusterIdentifier"], "orders-global")
        self.assertEqual(st["route53"]["record"]["Name"], "db.orders.example.internal.")
        self.assertEqual(len(st["ecs"]["us-west-2"]["deployments"]), 1)
        self.assertEqual(st["datastore"]["GlobalReplicationGroupId"], "ldgnf-orders-cache")
        # a mutating call shows up in `calls`
        rds = self.aws(env, "rds")
        rds.failover_global_cluster(GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=WEST_ARN,
                                    AllowDataLoss=True)
        calls = json.loads(run("calls", "--dir", d).stdout)
        self.assertEqual(calls, {"FailoverGlobalCluster": {"orders-global->" + WEST_ARN: 1}})
        wait_until(lambda: "FailoverState" not in rds.describe_global_clusters()["GlobalClusters"][0], 10)
        st = json.loads(run("state", "--dir", d).stdout)
        writers = [m["DBClusterArn"] for m in st["global_database"]["GlobalClusterMembers"] if m["IsWriter"]]
        self.assertEqual(writers, [WEST_ARN])
        # outage: us-east-1 calls fail, the writer stand-in stops answering
        east_port = int(env["SANDBOX_WRITER_PORT_US_EAST_1"])
        self.assertTrue(port_open(east_port))
        run("outage", "--dir", d, "--region", "us-east-1")
        try:
            self.assertFalse(port_open(east_port))
            with self.assertRaises(Exception) as cm:
                self.aws(env, "rds", EAST).describe_db_clusters()
            self.assertTrue(is_unreachable(cm.exception), repr(cm.exception))
            self.assertEqual(json.loads(run("state", "--dir", d).stdout)["outages"], ["us-east-1"])
        finally:
            run("outage", "--dir", d, "--region", "us-east-1", "--end")
        self.assertTrue(wait_until(lambda: port_open(east_port), 5))
        self.aws(env, "rds", EAST).describe_db_clusters()
        # restore the seeded topology for the other tests
        control(env["SANDBOX_SIM_URL"], "/_sim/reset", {})

    def test_signature_verification(self):
        env = self.env_b
        self.assertEqual(env["SANDBOX_VERIFY_SIGNATURES"], "1")
        self.assertNotEqual(env["AWS_ENDPOINT_URL"], env["SANDBOX_MOTO_URL"])  # the proxy
        # the right secret works everywhere, Route53 included
        self.aws(env, "sqs").get_queue_attributes(QueueUrl=env["DRGATE_QUEUE_URL"], AttributeNames=["QueueArn"])
        self.assertTrue(self.aws(env, "route53", EAST).list_hosted_zones()["HostedZones"])
        self.aws(env, "ecs").list_clusters()
        self.aws(env, "cloudformation").list_exports()
        self.aws(env, "rds").describe_global_clusters()
        self.aws(env, "elasticache").describe_replication_groups()
        # a wrong secret is refused everywhere
        bad = "not-the-sandbox-secret"
        for service, call in (
                ("sqs", lambda c: c.list_queues()),
                ("route53", lambda c: c.list_hosted_zones()),
                ("sns", lambda c: c.list_topics()),
                ("events", lambda c: c.list_rules()),
                ("ecs", lambda c: c.list_clusters()),
                ("ssm", lambda c: c.get_parameter(Name="/drgate/sandbox/dr-globaldb-cluster-region")),
                ("cloudformation", lambda c: c.list_exports()),
                ("sts", lambda c: c.get_caller_identity()),
                ("rds", lambda c: c.describe_global_clusters()),
                ("elasticache", lambda c: c.describe_replication_groups())):
            with self.assertRaises(ClientError, msg=service) as cm:
                call(self.aws(env, service, EAST if service == "route53" else WEST, secret=bad))
            code, status = error_code(cm.exception)
            self.assertEqual((code, status), ("SignatureDoesNotMatch", 403), service)
        # a signer other than botocore (curl --aws-sigv4) is accepted too, large bodies included
        curl = shutil.which("curl")
        if curl:
            def signed(user, service, region, url, *extra):
                return subprocess.run([curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--aws-sigv4",
                                       "aws:amz:%s:%s" % (region, service), "--user", user] + list(extra) + [url],
                                      capture_output=True, text=True, timeout=30).stdout
            good = "%s:%s" % (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
            self.assertEqual(signed(good, "rds", WEST, env["AWS_ENDPOINT_URL_RDS"] + "/",
                                    "-d", "Action=DescribeGlobalClusters&Version=2014-10-31"), "200")
            self.assertEqual(signed(good, "route53", EAST, env["AWS_ENDPOINT_URL"] + "/2013-04-01/hostedzone"), "200")
            self.assertEqual(signed(good, "sqs", WEST, env["AWS_ENDPOINT_URL"] + "/",
                                    "-d", "Action=SendMessage&Version=2012-11-05&QueueUrl=" + env["DRGATE_DLQ_URL"],
                                    "-d", "MessageBody=" + "x" * 5000), "200")
            self.assertEqual(signed(good.split(":")[0] + ":wrong", "rds", WEST, env["AWS_ENDPOINT_URL_RDS"] + "/",
                                    "-d", "Action=DescribeGlobalClusters&Version=2014-10-31"), "403")
        # the plain sandbox does not check
        self.aws(self.env_a, "rds", secret=bad).describe_global_clusters()

    def test_start_refuses_a_running_dir(self):
        p = run("start", "--dir", self.a, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("already running", p.stderr)

    def test_z_stop_leaves_nothing_behind(self):
        # runs last (alphabetical order)
        for d, env in ((self.a, self.env_a), (self.b, self.env_b)):
            ps = pids(d)
            self.assertGreaterEqual(len(ps), 2 if d == self.a else 3)
            ports = ports_of(env)
            for port in ports:
                self.assertTrue(port_open(port), port)
            self.assertTrue(all(running(p) for p in ps))
            out = run("stop", "--dir", d).stdout
            self.assertIn("stopped", out)
            for p in ps:
                self.assertFalse(running(p), "pid %d still running" % p)
            for port in ports:
                self.assertFalse(port_open(port), "port %d still open" % port)
            self.assertEqual(pids(d), [])
            # stopping twice is harmless
            run("stop", "--dir", d)


if __name__ == "__main__":
    unittest.main(verbosity=2)
