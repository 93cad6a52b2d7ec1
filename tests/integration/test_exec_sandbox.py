#!/usr/bin/env python3
"""The executor against the sandbox (moto + the Aurora/ElastiCache
simulator, 1 s transitions), through exec_driver (a test-only program that
runs one plan the way the daemon will and can abort() at a named point).

  (a) the switchover runbook completes, in layer order, and the world shows
      it: writer, datastore primary, CNAME, a new ECS deployment;
  (b) during an outage of us-east-1 the managed-failover runbook completes
      with every simulator call in us-west-2;
  (c) a seed 001 manifest with !Import (CloudFormation exports) and
      resolve:ssm: values; a missing export is an error;
  (d) crash (abort) after intent, right after the call, and mid-wait; the
      resumed plan completes and no mutating call was repeated;
  (e) a step past its deadline fails the plan with a clear reason;
  (f) prints the overhead: wall time minus the simulated durations;
  (h)-(j) PromoteRDSReadReplica: an instance replica, a read-replica DB
      cluster (one PromoteReadReplicaDBCluster; a second run is refused,
      not "already satisfied"), and a crash right after the cluster call.
Usage: test_exec_sandbox.py PATH/TO/exec_driver"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SANDBOX = os.path.join(ROOT, "infra", "local", "sandbox")
RUNBOOKS = os.path.join(ROOT, "config", "runbooks")
DRIVER = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "tests", "integration", "exec_driver")
DRGATE = sys.argv.pop(1) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "drgate")
EAST, WEST = "us-east-1", "us-west-2"
D = 1.0  # simulated transition seconds


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if line.startswith("export "):
                k, v = line[7:].rstrip("\n").split("=", 1)
                env[k] = v.strip("'\"")
    return env


class Sandbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        r = subprocess.run([SANDBOX, "start", "--dir", cls.dir, "--transition-seconds", str(D)],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            subprocess.run([SANDBOX, "stop", "--dir", cls.dir], capture_output=True, timeout=60)
            cls.tmp.cleanup()
            raise RuntimeError("sandbox start failed: " + r.stdout + r.stderr)
        cls.env = dict(os.environ)
        cls.env.update(read_env(os.path.join(cls.dir, "env")))
        cls.sim = cls.env["SANDBOX_SIM_URL"].rstrip("/")
        with open(os.path.join(cls.dir, "drgate.json")) as f:
            topo = json.load(f)["topology"]
        cls.vars = os.path.join(cls.dir, "vars.json")
        with open(cls.vars, "w") as f:
            json.dump({"primary_region": topo["primary_region"],
                       "secondary_region": topo["secondary_region"],
                       "variables": topo["variables"]}, f)
        cls.variables = topo["variables"]
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        subprocess.run([SANDBOX, "stop", "--dir", cls.dir], capture_output=True, timeout=60)
        cls.tmp.cleanup()

    # --- helpers
    def simpost(self, path, body):
        req = urllib.request.Request(self.sim + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def simget(self, path):
        with urllib.request.urlopen(self.sim + path, timeout=10) as r:
            return json.loads(r.read())

    def reset_world(self, durations=None):
        d = {k: D for k in ("failover", "switchover", "detach", "create_cluster", "create_instance",
                            "promote", "elasticache_failover")}
        d.update(durations or {})
        self.simpost("/_sim/durations", d)
        self.simpost("/_sim/reset", {})
        # moto: the CNAME back to the primary's writer
        import boto3
        r53 = boto3.client("route53", region_name=EAST, endpoint_url=self.env["AWS_ENDPOINT_URL"],
                           aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])
        east = [c for c in self.state()["db_clusters"][EAST] if c["DBClusterIdentifier"] == "orders-east"][0]
        # moto places no tasks and never completes a rollout: a standby
        # service scaled to zero is steady (the services-stable waiter's
        # definition), which is what the ECS step can observe here
        ecs = boto3.client("ecs", region_name=WEST, endpoint_url=self.env["AWS_ENDPOINT_URL"],
                           aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])
        ecs.update_service(cluster="orders-west", service="orders-api", desiredCount=0)
        r53.change_resource_record_sets(
            HostedZoneId=self.variables["hosted_zone_id"],
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
                "Name": self.variables["writer_record_name"], "Type": "CNAME", "TTL": 60,
                "ResourceRecords": [{"Value": east["Endpoint"]}]}}]})

    def state(self):
        r = subprocess.run([SANDBOX, "state", "--dir", self.dir], capture_output=True, text=True,
                           timeout=60, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def files(self):
        type(self).n += 1
        base = os.path.join(self.dir, "run%d" % self.n)
        return base + ".db", base + ".events", base + ".report", base + ".plan"

    def drive(self, runbook, db, events, report, plan=None, resume=False, resolve=False, crash=None,
              crash_step=None, timeout=60):
        args = [DRIVER, "--db", db, "--events", events, "--report", report]
        if resume:
            args.append("--resume")
        else:
            args += ["--runbook", runbook, "--vars", self.vars]
            if plan:
                args += ["--plan-out", plan]
        if resolve:
            args.append("--resolve")
        env = dict(self.env)
        env.pop("DRGATE_TEST_CRASH_AT", None)
        if crash:
            env["DRGATE_TEST_CRASH_AT"] = crash
            if crash_step:
                env["DRGATE_TEST_CRASH_STEP"] = crash_step
        return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)

    def events(self, path):
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]

    def index(self, evs, typ, step=None):
        for i, e in enumerate(evs):
            if e["type"] == typ and (step is None or e["data"].get("step") == step):
                return i
        self.fail("no %s %s in %s" % (typ, step, [(e["type"], e["data"].get("step")) for e in evs]))

    def writer(self, st):
        return [m for m in st["global_database"]["GlobalClusterMembers"] if m["IsWriter"]][0]["DBClusterArn"]

    def cache_primary(self, st):
        return [(m["ReplicationGroupRegion"], m["ReplicationGroupId"]) for m in st["datastore"]["Members"]
                if m["Role"] == "PRIMARY"][0]

    # --- scenarios
    def test_a_switchover(self):
        self.reset_world()
        before = self.state()["ecs"][WEST]["deployments"][0]["id"]
        db, ev, rep, plan = self.files()
        t0 = time.monotonic()
        r = self.drive(os.path.join(RUNBOOKS, "aurora-switchover.json"), db, ev, rep, plan)
        elapsed = time.monotonic() - t0
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        st = self.state()
        self.assertEqual(self.writer(st), self.variables["secondary_cluster_arn"])
        self.assertEqual(self.cache_primary(st), (WEST, "orders-cache-west"))
        self.assertEqual(st["route53"]["record"]["ResourceRecords"][0]["Value"],
                         self.variables["secondary_writer_endpoint"])
        self.assertNotEqual(st["ecs"][WEST]["deployments"][0]["id"], before)
        evs = self.events(ev)
        # layer order: 2.1 after both of layer 1, 3.1 after 2.1
        self.assertLess(self.index(evs, "drgate.step.started", "1.2"),
                        self.index(evs, "drgate.step.succeeded", "1.1"))
        self.assertGreater(self.index(evs, "drgate.step.started", "2.1"),
                           self.index(evs, "drgate.step.succeeded", "1.1"))
        self.assertGreater(self.index(evs, "drgate.step.started", "2.1"),
                           self.index(evs, "drgate.step.succeeded", "1.2"))
        self.assertGreater(self.index(evs, "drgate.step.started", "3.1"),
                           self.index(evs, "drgate.step.succeeded", "2.1"))
        self.index(evs, "drgate.plan.succeeded")
        calls = self.simget("/_sim/calls")
        self.assertEqual(sum(calls.get("SwitchoverGlobalCluster", {}).values()), 1, calls)
        self.assertEqual(sum(calls.get("FailoverGlobalReplicationGroup", {}).values()), 1, calls)
        # SwitchoverGlobalCluster went to the primary's region
        log = self.simget("/_sim/calls/log")["log"]
        sw = [e for e in log if e["action"] == "SwitchoverGlobalCluster"]
        self.assertEqual([e["region"] for e in sw], [EAST])
        # drgate status reads the same store
        r = subprocess.run([DRGATE, "status", "--db", db, "--json"], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        plans = json.loads(r.stdout)["plans"]
        self.assertEqual(len(plans), 1)
        self.assertEqual(plans[0]["execution"]["state"], "succeeded")
        self.assertEqual([(s["step"], s["state"], s["mutating_calls"]) for s in plans[0]["steps"]],
                         [("1.1", "succeeded", 1), ("1.2", "succeeded", 1), ("2.1", "succeeded", 1),
                          ("3.1", "succeeded", 1)])
        r = subprocess.run([DRGATE, "status", "--db", db], capture_output=True, text=True, timeout=30)
        self.assertIn("4/4 steps done", r.stdout)
        # the same plan again: everything already holds, no mutating call
        self.simpost("/_sim/calls/reset", {})
        db2, ev2, rep2, _ = self.files()
        r = self.drive(os.path.join(RUNBOOKS, "aurora-switchover.json"), db2, ev2, rep2)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        with open(rep2) as f:
            report = json.load(f)
        sat = {s["step"]: s["already_satisfied"] for s in report["steps"]}
        self.assertEqual(sat, {"1.1": True, "1.2": True, "2.1": True, "3.1": False}, report)
        calls = self.simget("/_sim/calls")
        self.assertFalse(any(sum(v.values()) for v in calls.values()), calls)
        print("\n[overhead] switchover runbook: %.2f s wall, %.1f s simulated, overhead %.2f s"
              % (elapsed, D, elapsed - D), file=sys.stderr)

    def test_b_unplanned_during_outage(self):
        self.reset_world()
        self.simpost("/_sim/outage/start", {"region": EAST})
        try:
            self.simpost("/_sim/calls/reset", {})
            db, ev, rep, _ = self.files()
            t0 = time.monotonic()
            r = self.drive(os.path.join(RUNBOOKS, "aurora-failover.json"), db, ev, rep)
            elapsed = time.monotonic() - t0
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            log = self.simget("/_sim/calls/log")
            regions = {e["region"] for e in log["log"]}
            self.assertEqual(regions, {WEST}, log)
            self.assertFalse(any(log.get("dropped", {}).values()), log)
            calls = self.simget("/_sim/calls")
            fo = calls.get("FailoverGlobalCluster", {})
            self.assertEqual(sum(fo.values()), 1, calls)
            st = self.state()
            self.assertEqual(self.writer(st), self.variables["secondary_cluster_arn"])
            self.assertEqual(self.cache_primary(st), (WEST, "orders-cache-west"))
            print("\n[overhead] unplanned failover runbook (outage): %.2f s wall, %.1f s simulated, "
                  "overhead %.2f s" % (elapsed, D, elapsed - D), file=sys.stderr)
        finally:
            self.simpost("/_sim/outage/end", {"region": EAST})

    def manifest(self, name, payload):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump({"StatePayload": payload}, f)
        return path

    def test_c_import_manifest(self):
        self.reset_world()
        path = self.manifest("seed001.json", [
            {"layer": 1, "resources": [
                {"resourceType": "PlannedFailoverAurora", "resourceName": "Switchover (seed 001 TC1)",
                 "parameters": {"GlobalClusterIdentifier": "!Import dr-globaldb-cluster-global-identifier",
                                "DBClusterIdentifier": "!Import dr-globaldb-cluster-identifier"}},
                {"resourceType": "FailoverElastiCacheCluster", "resourceName": "cache",
                 "parameters": {"GlobalReplicationGroupId":
                                "!Import demo-redis-cluster-global-replication-group-id",
                                "TargetRegion": "!Import demo-redis-cluster-target-region",
                                "TargetReplicationGroupId":
                                "!Import demo-redis-cluster-target-replication-group-id"}}]},
            {"layer": 2, "resources": [
                {"resourceType": "UpdateRoute53Record", "resourceName": "dns",
                 "parameters": {"HostedZoneId": "resolve:ssm:/drgate/sandbox/dr-hosted-zone-id",
                                "RecordName": "!Import dr-writer-record-name",
                                "RecordValue": "!Import dr-secondary-writer-endpoint"}}]}])
        db, ev, rep, plan = self.files()
        r = self.drive(path, db, ev, rep, plan, resolve=True)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        with open(plan) as f:
            text = f.read()
        self.assertNotIn("!Import", text)
        self.assertNotIn("resolve:ssm:", text)
        body = json.loads(text)
        p = body["layers"][0]["steps"][0]["parameters"]
        self.assertEqual(p, {"GlobalClusterIdentifier": "orders-global",
                             "DBClusterIdentifier": self.variables["secondary_cluster_arn"]})
        self.assertEqual(body["layers"][1]["steps"][0]["parameters"]["HostedZoneId"],
                         self.variables["hosted_zone_id"])
        st = self.state()
        self.assertEqual(self.writer(st), self.variables["secondary_cluster_arn"])
        # a missing export is an error, never an empty value
        bad = self.manifest("bad.json", [{"layer": 1, "resources": [
            {"resourceType": "FailoverElastiCacheCluster",
             "parameters": {"GlobalReplicationGroupId": "!Import no-such-export",
                            "TargetRegion": WEST, "TargetReplicationGroupId": "orders-cache-west"}}]}])
        db, ev, rep, plan = self.files()
        r = self.drive(bad, db, ev, rep, plan, resolve=True)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("!Import no-such-export: no such export in us-west-2", r.stderr)
        self.assertFalse(os.path.exists(plan))

    def test_d_crash_and_resume(self):
        for point in ("after_intent", "after_call", "mid_wait"):
            with self.subTest(point=point):
                self.reset_world()
                db, ev, rep, _ = self.files()
                r = self.drive(os.path.join(RUNBOOKS, "aurora-switchover.json"), db, ev, rep,
                               crash=point, crash_step="1.1")
                self.assertLess(r.returncode, 0, "driver did not die: " + r.stderr[-2000:])
                self.assertIn("crashing at " + point, r.stderr)
                r = self.drive(None, db, ev, rep, resume=True)
                self.assertEqual(r.returncode, 0, r.stderr[-3000:])
                calls = self.simget("/_sim/calls")
                self.assertEqual(sum(calls.get("SwitchoverGlobalCluster", {}).values()), 1,
                                 "%s: %s" % (point, calls))
                self.assertEqual(sum(calls.get("FailoverGlobalReplicationGroup", {}).values()), 1,
                                 "%s: %s" % (point, calls))
                st = self.state()
                self.assertEqual(self.writer(st), self.variables["secondary_cluster_arn"])
                # nothing left to resume
                r = self.drive(None, db, ev, rep, resume=True)
                self.assertEqual(r.returncode, 3, r.stderr)
        # the ECS step: crash right after UpdateService, before its answer
        # was recorded; the resumed step finds its deployment by the
        # baseline and does not deploy again
        self.reset_world()
        db, ev, rep, _ = self.files()
        r = self.drive(os.path.join(RUNBOOKS, "ecs-redeploy.json"), db, ev, rep,
                       crash="after_call", crash_step="1.1")
        self.assertLess(r.returncode, 0, r.stderr[-2000:])
        dep = self.state()["ecs"][WEST]["deployments"][0]["id"]
        r = self.drive(None, db, ev, rep, resume=True)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertEqual(self.state()["ecs"][WEST]["deployments"][0]["id"], dep)

    def test_e_deadline(self):
        self.reset_world({"elasticache_failover": 8})
        path = self.manifest("slow.json", [{"layer": 1, "resources": [
            {"resourceType": "FailoverElastiCacheCluster", "timeout_seconds": 2,
             "parameters": {"GlobalReplicationGroupId": "ldgnf-orders-cache", "TargetRegion": WEST,
                            "TargetReplicationGroupId": "orders-cache-west"}}]},
            {"layer": 2, "resources": [
                {"resourceType": "RedeployEcsService", "region": WEST,
                 "parameters": {"Cluster": "orders-west", "Service": "orders-api"}}]}])
        db, ev, rep, _ = self.files()
        r = self.drive(path, db, ev, rep)
        self.assertEqual(r.returncode, 1, r.stderr[-3000:])
        with open(rep) as f:
            report = json.load(f)
        self.assertIn("deadline: FailoverElastiCacheCluster did not complete within 2 s", report["reason"])
        self.assertEqual(report["steps"][1]["state"], "not_started")
        evs = self.events(ev)
        self.assertFalse(any(e["type"] == "drgate.step.started" and e["data"]["step"] == "2.1" for e in evs))

    # --- the rest of the runbook library: every remaining RDS operation
    # drgate uses runs against the simulator through the real action types
    def members(self, st):
        return {m["DBClusterArn"]: m for m in st["global_database"]["GlobalClusterMembers"]}

    def test_f_detach_and_promote_during_outage(self):
        self.reset_world()
        self.simpost("/_sim/outage/start", {"region": EAST})
        try:
            self.simpost("/_sim/calls/reset", {})
            db, ev, rep, _ = self.files()
            r = self.drive(os.path.join(RUNBOOKS, "aurora-detach-promote.json"), db, ev, rep)
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            log = self.simget("/_sim/calls/log")
            self.assertEqual({e["region"] for e in log["log"]}, {WEST}, log)
            calls = self.simget("/_sim/calls")
            self.assertEqual(sum(calls.get("RemoveFromGlobalCluster", {}).values()), 1, calls)
            st = self.state()
            self.assertNotIn(self.variables["secondary_cluster_arn"], self.members(st))
            west = [c for c in st["db_clusters"][WEST] if c["DBClusterIdentifier"] == "orders-west"][0]
            self.assertEqual(west["Status"], "available")
            self.assertFalse(west.get("GlobalClusterIdentifier"), west)
        finally:
            self.simpost("/_sim/outage/end", {"region": EAST})

    def test_g_failback_creates_a_secondary(self):
        self.reset_world()
        self.simpost("/_sim/calls/reset", {})
        db, ev, rep, _ = self.files()
        r = self.drive(os.path.join(RUNBOOKS, "aurora-failback-create-secondary.json"), db, ev, rep,
                       timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        calls = self.simget("/_sim/calls")
        self.assertEqual(sum(calls.get("CreateDBCluster", {}).values()), 1, calls)
        self.assertEqual(sum(calls.get("CreateDBInstance", {}).values()), 1, calls)
        st = self.state()
        new = [c for c in st["db_clusters"][EAST]
               if c["DBClusterIdentifier"] == self.variables["failback_cluster_id"]]
        self.assertEqual(len(new), 1, st["db_clusters"][EAST])
        self.assertEqual(new[0]["Status"], "available")
        self.assertIn(new[0]["DBClusterArn"], self.members(st))
        # run again: already satisfied, no second create
        db2, ev2, rep2, _ = self.files()
        r = self.drive(os.path.join(RUNBOOKS, "aurora-failback-create-secondary.json"), db2, ev2, rep2)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        calls = self.simget("/_sim/calls")
        self.assertEqual(sum(calls.get("CreateDBCluster", {}).values()), 1, calls)

    def test_h_promote_read_replica(self):
        self.reset_world()
        self.simpost("/_sim/calls/reset", {})
        db, ev, rep, _ = self.files()
        r = self.drive(os.path.join(RUNBOOKS, "rds-replica-promotion.json"), db, ev, rep)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        calls = self.simget("/_sim/calls")
        self.assertEqual(sum(calls.get("PromoteReadReplica", {}).values()), 1, calls)

    def replica_cluster(self):
        """A cross-region read-replica DB cluster of orders-east in
        us-west-2 (with one instance), available; returns its ARN."""
        import boto3
        rds = boto3.client("rds", region_name=WEST, endpoint_url=self.env["AWS_ENDPOINT_URL_RDS"],
                           aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])
        east = [c for c in self.state()["db_clusters"][EAST] if c["DBClusterIdentifier"] == "orders-east"][0]
        c = rds.create_db_cluster(DBClusterIdentifier="orders-replica", Engine="aurora-postgresql",
                                  ReplicationSourceIdentifier=east["DBClusterArn"])["DBCluster"]
        rds.create_db_instance(DBInstanceIdentifier="orders-replica-1", DBClusterIdentifier="orders-replica",
                               DBInstanceClass="db.r6g.large", Engine="aurora-postgresql")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            got = rds.describe_db_clusters(DBClusterIdentifier="orders-replica")["DBClusters"][0]
            if got["Status"] == "available":
                self.assertEqual(got["ReplicationSourceIdentifier"], east["DBClusterArn"])
                return c["DBClusterArn"]
            time.sleep(0.1)
        self.fail("replica cluster never became available")

    def cluster_west(self, cid):
        return [c for c in self.state()["db_clusters"][WEST] if c["DBClusterIdentifier"] == cid][0]

    def test_i_promote_read_replica_cluster(self):
        # seed 001's PromoteRDSReadReplica with a read-replica DB cluster:
        # one PromoteReadReplicaDBCluster in the cluster's region, done when
        # the cluster is available and no longer a replica
        self.reset_world()
        arn = self.replica_cluster()
        path = self.manifest("replica-cluster.json", [{"layer": 1, "resources": [
            {"resourceType": "PromoteRDSReadReplica", "resourceName": "Promote the replica cluster",
             "parameters": {"DBClusterIdentifier": "orders-replica", "TargetClusterIdentifier": arn}}]}])
        self.simpost("/_sim/calls/reset", {})
        db, ev, rep, plan = self.files()
        r = self.drive(path, db, ev, rep, plan)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        calls = self.simget("/_sim/calls")
        self.assertEqual(calls.get("PromoteReadReplicaDBCluster"), {WEST + "/orders-replica": 1}, calls)
        self.assertNotIn("PromoteReadReplica", calls)
        mutating = [e["action"] for e in self.simget("/_sim/calls/log")["log"]
                    if e["action"].startswith(("Promote", "Create", "Failover", "Switchover", "Remove"))]
        self.assertEqual(mutating, ["PromoteReadReplicaDBCluster"])
        c = self.cluster_west("orders-replica")
        self.assertEqual(c["Status"], "available")
        self.assertNotIn("ReplicationSourceIdentifier", c)
        with open(rep) as f:
            report = json.load(f)
        self.assertEqual([(s["step"], s["state"], s["already_satisfied"]) for s in report["steps"]],
                         [("1.1", "succeeded", False)], report)
        evs = self.events(ev)
        done = evs[self.index(evs, "drgate.step.succeeded", "1.1")]["data"]
        self.assertIn("orders-replica was promoted", json.dumps(done))
        # TargetClusterIdentifier is kept in the plan (what was approved)
        with open(plan) as f:
            body = json.load(f)
        self.assertEqual(body["layers"][0]["steps"][0]["parameters"]["TargetClusterIdentifier"], arn)
        # the same step again: standalone before it sent anything is not
        # "already satisfied": precheck refuses, nothing is called
        self.simpost("/_sim/calls/reset", {})
        db2, ev2, rep2, _ = self.files()
        r = self.drive(path, db2, ev2, rep2)
        self.assertEqual(r.returncode, 1, r.stderr[-3000:])
        with open(rep2) as f:
            report = json.load(f)
        self.assertIn("orders-replica is not a read replica", json.dumps(report))
        calls = self.simget("/_sim/calls")
        self.assertFalse(calls.get("PromoteReadReplicaDBCluster"), calls)

    def test_j_promote_read_replica_cluster_crash(self):
        # crash right after the call; the resumed step recognises its own
        # promotion by the persisted baseline and does not call again
        self.reset_world()
        self.replica_cluster()
        path = self.manifest("replica-cluster-crash.json", [{"layer": 1, "resources": [
            {"resourceType": "PromoteRDSReadReplica",
             "parameters": {"DBClusterIdentifier": "orders-replica"}}]}])
        self.simpost("/_sim/calls/reset", {})
        db, ev, rep, _ = self.files()
        r = self.drive(path, db, ev, rep, crash="after_call", crash_step="1.1")
        self.assertLess(r.returncode, 0, "driver did not die: " + r.stderr[-2000:])
        # let the promotion finish while drgate is down
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            c = self.cluster_west("orders-replica")
            if c["Status"] == "available" and "ReplicationSourceIdentifier" not in c:
                break
            time.sleep(0.1)
        self.assertNotIn("ReplicationSourceIdentifier", c)
        self.assertEqual(c["Status"], "available")
        r = self.drive(None, db, ev, rep, resume=True)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        calls = self.simget("/_sim/calls")
        self.assertEqual(sum(calls.get("PromoteReadReplicaDBCluster", {}).values()), 1, calls)
        with open(rep) as f:
            report = json.load(f)
        self.assertEqual(report["steps"][0]["state"], "succeeded", report)


if __name__ == "__main__":
    unittest.main(verbosity=2)
