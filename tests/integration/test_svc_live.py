#!/usr/bin/env python3
"""`drgate validate --live` against the sandbox: passes on the config the
sandbox writes, and fails naming the resource when one is missing (the
events topic deleted; a variable pointing at a missing global cluster).
Usage: test_svc_live.py PATH/TO/drgate"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SANDBOX = os.path.join(ROOT, "infra", "local", "sandbox")
DRGATE = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "drgate")


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if line.startswith("export "):
                k, v = line[7:].rstrip("\n").split("=", 1)
                env[k] = v
    return env


class LiveValidate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        r = subprocess.run([SANDBOX, "start", "--dir", cls.dir], capture_output=True, text=True, timeout=90)
        if r.returncode != 0:
            subprocess.run([SANDBOX, "stop", "--dir", cls.dir], capture_output=True, timeout=60)
            cls.tmp.cleanup()
            raise RuntimeError("sandbox start failed: " + r.stdout + r.stderr)
        cls.env = dict(os.environ)
        cls.env.update(read_env(os.path.join(cls.dir, "env")))
        cls.config = os.path.join(cls.dir, "drgate.json")

    @classmethod
    def tearDownClass(cls):
        subprocess.run([SANDBOX, "stop", "--dir", cls.dir], capture_output=True, timeout=60)
        cls.tmp.cleanup()

    def validate(self, config, env=None):
        return subprocess.run([DRGATE, "validate", "--live", "--config", config],
                              capture_output=True, text=True, timeout=60, env=env or self.env)

    def lines(self, out, status):
        return [l for l in out.splitlines() if l.startswith(status + " ")]

    def test_1_passes_on_the_sandbox(self):
        r = self.validate(self.config)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        ok = self.lines(r.stdout, "OK")
        self.assertEqual(self.lines(r.stdout, "FAIL"), [])
        kinds = {l.split()[1] for l in ok}
        for k in ("sqs-queue", "sns-events-topic", "sns-approval-requests", "sns-approval-replies",
                  "rds-global-cluster", "rds-member-cluster", "elasticache-global-datastore",
                  "route53-hosted-zone", "route53-record", "ecs-service"):
            self.assertIn(k, kinds, r.stdout)
        self.assertEqual(sum(1 for l in ok if l.split()[1] == "rds-global-cluster"), 2, r.stdout)

    def test_2_missing_global_cluster_and_imports(self):
        with open(self.config) as f:
            cfg = json.load(f)
        cfg["topology"]["variables"]["global_cluster_id"] = "no-such-global"
        rb = os.path.join(self.dir, "runbooks", "imports.json")
        with open(rb, "w") as f:
            json.dump({"StatePayload": [{"layer": 1, "resources": [{
                "resourceType": "SwitchoverAurora", "resourceName": "x",
                "parameters": {"GlobalClusterIdentifier": "!Import dr-globaldb-cluster-global-identifier",
                               "DBClusterIdentifier": "!Import no-such-export"}}, {
                "resourceType": "RedeployEcsService", "resourceName": "y", "region": "us-west-2",
                "parameters": {"Cluster": "orders-west", "Service": "resolve:ssm:/drgate/sandbox/dr-ecs-cluster-secondary"}}]}]}, f)
        cfg["policy"]["runbooks"]["planned"] = rb
        bad = os.path.join(self.dir, "bad.json")
        with open(bad, "w") as f:
            json.dump(cfg, f)
        r = self.validate(bad)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        fails = self.lines(r.stdout, "FAIL")
        self.assertTrue(any("rds-global-cluster" in l and "no-such-global" in l for l in fails), r.stdout)
        self.assertTrue(any("cfn-import" in l and "no-such-export" in l for l in fails), r.stdout)
        oks = self.lines(r.stdout, "OK")
        self.assertTrue(any("cfn-import" in l and "dr-globaldb-cluster-global-identifier" in l for l in oks), r.stdout)
        self.assertTrue(any("ssm-parameter" in l for l in oks), r.stdout)

    def test_3_missing_events_topic(self):
        import boto3
        sns = boto3.client("sns", region_name="us-west-2", endpoint_url=self.env["SANDBOX_MOTO_URL"],
                           aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])
        sns.delete_topic(TopicArn=self.env["DRGATE_EVENTS_TOPIC_ARN"])
        r = self.validate(self.config)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        fails = self.lines(r.stdout, "FAIL")
        self.assertEqual(len(fails), 1, r.stdout)
        self.assertIn("sns-events-topic", fails[0])
        self.assertIn("drgate-events", fails[0])

    def test_4_no_credentials(self):
        env = dict(self.env)
        env.pop("AWS_ACCESS_KEY_ID")
        r = self.validate(self.config, env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("AWS_ACCESS_KEY_ID", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
