#!/usr/bin/env python3
"""Runs svc_ops (drgate's own AWS stack) against the sandbox and checks the
effects with boto3: the SQS message is visible again after
ChangeMessageVisibility 0, and the Aurora replica cluster is promoted
(standalone, available) with PromoteReadReplicaDBCluster called once.
Usage: test_svc_ops.py PATH/TO/svc_ops"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SANDBOX = os.path.join(ROOT, "infra", "local", "sandbox")
ACCOUNT = "123456789012"


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if line.startswith("export "):
                k, v = line[7:].rstrip("\n").split("=", 1)
                env[k] = v.strip("'\"")
    return env


def check(cond, msg):
    if not cond:
        print("FAIL: " + msg)
        raise SystemExit(1)


def main():
    svc_ops = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([SANDBOX, "start", "--dir", d, "--transition-seconds", "1"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "sandbox start: " + r.stdout + r.stderr)
        try:
            env = dict(os.environ)
            env.update(read_env(os.path.join(d, "env")))
            env["AWS_EC2_METADATA_DISABLED"] = "true"
            import boto3
            kw = dict(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
            rds = boto3.client("rds", region_name="us-west-2",
                               endpoint_url=env["AWS_ENDPOINT_URL_RDS"], **kw)
            east = "arn:aws:rds:us-east-1:%s:cluster:orders-east" % ACCOUNT
            rds.create_db_cluster(DBClusterIdentifier="orders-replica", Engine="aurora-postgresql",
                                  ReplicationSourceIdentifier=east)
            rds.create_db_instance(DBInstanceIdentifier="orders-replica-1",
                                   DBClusterIdentifier="orders-replica",
                                   DBInstanceClass="db.r6g.large", Engine="aurora-postgresql")
            for _ in range(100):
                c = rds.describe_db_clusters(DBClusterIdentifier="orders-replica")["DBClusters"][0]
                if c["Status"] == "available":
                    break
                time.sleep(0.1)
            r = subprocess.run([svc_ops, os.path.join(d, "drgate.json"), env["DRGATE_QUEUE_URL"],
                                "orders-cache-west", "orders-replica"],
                               capture_output=True, text=True, timeout=60, env=env)
            print(r.stdout, r.stderr[-2000:])
            check(r.returncode == 0, "svc_ops failed")
            ok = [l.split()[1] for l in r.stdout.splitlines() if l.startswith("OK ")]
            check(ok == ["SendMessage", "ReceiveMessage", "ChangeMessageVisibility",
                         "DescribeReplicationGroups", "PromoteReadReplicaDBCluster"], str(ok))
            # visibility 0: the message can be received again at once
            sqs = boto3.client("sqs", region_name="us-west-2",
                               endpoint_url=env["AWS_ENDPOINT_URL"], **kw)
            got = sqs.receive_message(QueueUrl=env["DRGATE_QUEUE_URL"], WaitTimeSeconds=1,
                                      MaxNumberOfMessages=10)
            check(any(m["Body"] == '{"svc_ops": 1}' for m in got.get("Messages", [])),
                  "message not visible again")
            # the promotion takes effect
            for _ in range(100):
                c = rds.describe_db_clusters(DBClusterIdentifier="orders-replica")["DBClusters"][0]
                if c["Status"] == "available" and "ReplicationSourceIdentifier" not in c:
                    break
                time.sleep(0.1)
            check(c["Status"] == "available" and "ReplicationSourceIdentifier" not in c,
                  "replica cluster not promoted: %s" % json.dumps(c, default=str)[:400])
            calls = json.loads(subprocess.run([SANDBOX, "calls", "--dir", d], capture_output=True,
                                              text=True, timeout=30).stdout)
            check(sum(calls.get("PromoteReadReplicaDBCluster", {}).values()) == 1, str(calls))
            print("5 passed, 0 failed")
        finally:
            subprocess.run([SANDBOX, "stop", "--dir", d], capture_output=True, timeout=60)


if __name__ == "__main__":
    main()
