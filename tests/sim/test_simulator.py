#!/usr/bin/env python3
"""boto3 walk-throughs of the Aurora/ElastiCache global simulator."""

import http.client
import os
import socket
import sys
import time
import unittest

import botocore.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simutil import (ACCOUNT, EAST, EAST_ARN, WEST, WEST_ARN, SimProcess, error_code,  # noqa: E402
                     is_unreachable, wait_until)

D = 1.0  # transition duration used by these tests (seconds)
ClientError = botocore.exceptions.ClientError


_shared = None


def setUpModule():
    global _shared
    _shared = SimProcess("--transition-seconds", str(D))


def tearDownModule():
    if _shared:
        _shared.stop()


class SimTestCase(unittest.TestCase):
    """Tests share one simulator (reset before each test); extra_args gets its own."""
    sim = None
    own = None
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        if cls.extra_args:
            cls.own = cls.sim = SimProcess("--transition-seconds", str(D), *cls.extra_args)
        else:
            cls.sim = _shared

    @classmethod
    def tearDownClass(cls):
        if cls.own:
            cls.own.stop()

    def setUp(self):
        self.sim.ctl("/_sim/reset", {})
        self.sim.ctl("/_sim/durations", {k: D for k in (
            "failover", "switchover", "detach", "create_cluster", "create_instance", "promote",
            "elasticache_failover")})
        self.rds_e = self.sim.client("rds", EAST)
        self.rds_w = self.sim.client("rds", WEST)
        self.ec_e = self.sim.client("elasticache", EAST)
        self.ec_w = self.sim.client("elasticache", WEST)

    def tearDown(self):
        # never leave an outage behind for the next test
        self.sim.ctl("/_sim/reset", {})

    # helpers
    def gdb(self, client=None):
        return (client or self.rds_w).describe_global_clusters(
            GlobalClusterIdentifier="orders-global")["GlobalClusters"][0]

    def writer(self, g):
        return [m["DBClusterArn"] for m in g["GlobalClusterMembers"] if m["IsWriter"]]

    def cluster(self, client, cid):
        return client.describe_db_clusters(DBClusterIdentifier=cid)["DBClusters"][0]

    def assertAwsError(self, code, status, fn, *args, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kw)
        self.assertEqual(error_code(cm.exception), (code, status), cm.exception.response)
        return cm.exception

    def watch_global(self, until, client=None, timeout=10):
        """Poll the global cluster until `until(g)`; return every distinct observation."""
        seen = []

        def probe():
            g = self.gdb(client)
            fs = g.get("FailoverState")
            obs = (g["Status"], fs and fs["Status"], tuple(self.writer(g)))
            if not seen or seen[-1] != obs:
                seen.append(obs)
            return until(g)
        wait_until(probe, timeout, 0.02, "global cluster transition")
        return seen

    def port_open(self, port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False


class TopologyTest(SimTestCase):
    def test_seeded_topology(self):
        g = self.gdb()
        self.assertEqual(g["GlobalClusterArn"], "arn:aws:rds::%s:global-cluster:orders-global" % ACCOUNT)
        self.assertEqual(g["Status"], "available")
        self.assertNotIn("FailoverState", g)
        self.assertEqual(g["Engine"], "aurora-postgresql")
        members = {m["DBClusterArn"]: m for m in g["GlobalClusterMembers"]}
        self.assertEqual(set(members), {EAST_ARN, WEST_ARN})
        self.assertTrue(members[EAST_ARN]["IsWriter"])
        self.assertEqual(members[EAST_ARN]["Readers"], [WEST_ARN])
        self.assertFalse(members[WEST_ARN]["IsWriter"])
        # the same view from the primary region
        self.assertEqual(self.writer(self.gdb(self.rds_e)), [EAST_ARN])
        east = self.cluster(self.rds_e, "orders-east")
        west = self.cluster(self.rds_w, "orders-west")
        self.assertEqual(east["EngineVersion"], west["EngineVersion"])
        self.assertEqual(east["GlobalClusterIdentifier"], "orders-global")
        self.assertTrue(east["DBClusterMembers"][0]["IsClusterWriter"])
        self.assertFalse(west["DBClusterMembers"][0]["IsClusterWriter"])
        self.assertIn(".us-west-2.rds.amazonaws.com", west["Endpoint"])
        inst = self.rds_w.describe_db_instances(DBInstanceIdentifier="orders-west-instance-1")["DBInstances"][0]
        self.assertEqual(inst["DBClusterIdentifier"], "orders-west")
        self.assertEqual(inst["DBInstanceStatus"], "available")
        # filters
        got = self.rds_w.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": ["orders-west"]}])
        self.assertEqual([i["DBInstanceIdentifier"] for i in got["DBInstances"]], ["orders-west-instance-1"])
        # regional isolation
        self.assertAwsError("DBClusterNotFoundFault", 404, self.rds_w.describe_db_clusters,
                            DBClusterIdentifier="orders-east")
        # datastore
        grg = self.ec_w.describe_global_replication_groups(GlobalReplicationGroupId="ldgnf-orders-cache",
                                                           ShowMemberInfo=True)["GlobalReplicationGroups"][0]
        roles = {(m["ReplicationGroupRegion"], m["ReplicationGroupId"]): m["Role"] for m in grg["Members"]}
        self.assertEqual(roles, {(EAST, "orders-cache-east"): "PRIMARY", (WEST, "orders-cache-west"): "SECONDARY"})
        no_members = self.ec_w.describe_global_replication_groups(
            GlobalReplicationGroupId="ldgnf-orders-cache")["GlobalReplicationGroups"][0]
        self.assertNotIn("Members", no_members)
        # the writer stand-ins answer
        for port in self.sim.writer_ports.values():
            self.assertTrue(self.port_open(port))


class SwitchoverTest(SimTestCase):
    def test_switchover_and_back(self):
        r = self.rds_e.switchover_global_cluster(GlobalClusterIdentifier="orders-global",
                                                 TargetDbClusterIdentifier=WEST_ARN)
        fs = r["GlobalCluster"]["FailoverState"]
        self.assertEqual(fs, {"Status": "pending", "FromDbClusterArn": EAST_ARN, "ToDbClusterArn": WEST_ARN,
                              "IsDataLossAllowed": False})
        mid = {}

        def done(g):
            fs = g.get("FailoverState")
            if fs and fs["Status"] == "switching-over" and "cluster" not in mid:
                mid["cluster"] = self.cluster(self.rds_w, "orders-west")["Status"]
            return "FailoverState" not in g
        seen = self.watch_global(done)
        fo_states = [s[1] for s in seen]
        self.assertIn("switching-over", fo_states)
        self.assertEqual(fo_states[-1], None)
        self.assertEqual(seen[-1], ("available", None, (WEST_ARN,)))
        self.assertEqual(mid.get("cluster"), "failing-over")
        # the writer flipped strictly before FailoverState disappeared
        flip = next(i for i, s in enumerate(seen) if s[2] == (WEST_ARN,))
        self.assertLess(flip, len(seen) - 1)
        g = self.gdb()
        members = {m["DBClusterArn"]: m for m in g["GlobalClusterMembers"]}
        self.assertEqual(members[WEST_ARN]["Readers"], [EAST_ARN])
        self.assertEqual(members[EAST_ARN]["Readers"], [])
        west = self.cluster(self.rds_w, "orders-west")
        self.assertEqual(west["Status"], "available")
        self.assertTrue(west["DBClusterMembers"][0]["IsClusterWriter"])
        self.assertEqual(self.cluster(self.rds_e, "orders-east")["Status"], "available")
        # FailoverGlobalCluster without AllowDataLoss is a switchover too
        r = self.rds_w.failover_global_cluster(GlobalClusterIdentifier="orders-global",
                                               TargetDbClusterIdentifier=EAST_ARN)
        self.assertFalse(r["GlobalCluster"]["FailoverState"]["IsDataLossAllowed"])
        seen = self.watch_global(lambda g: "FailoverState" not in g)
        self.assertIn("switching-over", [s[1] for s in seen])
        self.assertEqual(self.writer(self.gdb()), [EAST_ARN])
        # explicit Switchover=true
        self.rds_e.failover_global_cluster(GlobalClusterIdentifier="orders-global",
                                           TargetDbClusterIdentifier=WEST_ARN, Switchover=True)
        self.watch_global(lambda g: "FailoverState" not in g)
        self.assertEqual(self.writer(self.gdb()), [WEST_ARN])


class OutageTest(SimTestCase):
    def test_managed_failover_during_primary_outage_then_failback(self):
        east_port = self.sim.writer_ports[EAST]
        self.assertTrue(self.port_open(east_port))
        self.sim.ctl("/_sim/outage/start", {"region": EAST})
        self.assertEqual(self.sim.ctl("/_sim/outage")["outages"], [EAST])
        # calls scoped to us-east-1 fail like an unreachable endpoint
        for fn in (lambda: self.gdb(self.rds_e),
                   lambda: self.ec_e.describe_replication_groups()):
            with self.assertRaises(Exception) as cm:
                fn()
            self.assertTrue(is_unreachable(cm.exception), repr(cm.exception))
        # the writer stand-in stops answering, the other region's keeps going
        self.assertFalse(self.port_open(east_port))
        self.assertTrue(self.port_open(self.sim.writer_ports[WEST]))
        # us-west-2 still answers; a switchover is refused while the primary is down
        self.assertEqual(self.writer(self.gdb()), [EAST_ARN])
        self.assertAwsError("InvalidGlobalClusterStateFault", 400, self.rds_w.switchover_global_cluster,
                            GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=WEST_ARN)
        self.assertAwsError("InvalidGlobalClusterStateFault", 400, self.rds_w.failover_global_cluster,
                            GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=WEST_ARN)
        # managed failover with data loss
        r = self.rds_w.failover_global_cluster(GlobalClusterIdentifier="orders-global",
                                               TargetDbClusterIdentifier=WEST_ARN, AllowDataLoss=True)
        self.assertEqual(r["GlobalCluster"]["FailoverState"]["Status"], "pending")
        self.assertTrue(r["GlobalCluster"]["FailoverState"]["IsDataLossAllowed"])
        # a second request while one runs is refused
        self.assertAwsError("InvalidGlobalClusterStateFault", 400, self.rds_w.failover_global_cluster,
                            GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=WEST_ARN,
                            AllowDataLoss=True)
        seen = self.watch_global(lambda g: "FailoverState" not in g)
        self.assertIn("failing-over", [s[1] for s in seen])
        self.assertIn(("failing-over", "failing-over", (EAST_ARN,)), seen)
        self.assertEqual(seen[-1], ("available", None, (WEST_ARN,)))
        self.assertEqual(self.cluster(self.rds_w, "orders-west")["Status"], "available")
        # the outage ends: us-east-1 answers again, the old primary is a reader
        self.sim.ctl("/_sim/outage/end", {"region": EAST})
        self.assertTrue(wait_until(lambda: self.port_open(east_port), 5, what="writer stand-in"))
        g = self.gdb(self.rds_e)
        self.assertEqual(self.writer(g), [WEST_ARN])
        # failback: a new secondary in us-east-1 joins the global database
        r = self.rds_e.create_db_cluster(DBClusterIdentifier="orders-east-2", Engine="aurora-postgresql",
                                         EngineVersion="15.4", GlobalClusterIdentifier="orders-global",
                                         DBSubnetGroupName="orders-db-subnets", Port=5432,
                                         VpcSecurityGroupIds=["sg-0123456789abcdef0"])
        new_arn = r["DBCluster"]["DBClusterArn"]
        self.assertEqual(new_arn, "arn:aws:rds:us-east-1:%s:cluster:orders-east-2" % ACCOUNT)
        self.assertEqual(r["DBCluster"]["Status"], "creating")
        self.assertAwsError("DBClusterAlreadyExistsFault", 400, self.rds_e.create_db_cluster,
                            DBClusterIdentifier="orders-east-2", Engine="aurora-postgresql",
                            GlobalClusterIdentifier="orders-global")
        r = self.rds_e.create_db_instance(DBInstanceIdentifier="orders-east-2-instance-1",
                                          DBClusterIdentifier="orders-east-2", DBInstanceClass="db.r6g.large",
                                          Engine="aurora-postgresql")
        self.assertEqual(r["DBInstance"]["DBInstanceStatus"], "creating")
        members = {m["DBClusterArn"]: m for m in self.gdb(self.rds_e)["GlobalClusterMembers"]}
        self.assertFalse(members[new_arn]["IsWriter"])
        self.assertIn(new_arn, members[WEST_ARN]["Readers"])
        statuses = set()

        def available():
            c = self.cluster(self.rds_e, "orders-east-2")
            i = self.rds_e.describe_db_instances(DBInstanceIdentifier="orders-east-2-instance-1")["DBInstances"][0]
            statuses.add((c["Status"], i["DBInstanceStatus"]))
            return c["Status"] == "available" and i["DBInstanceStatus"] == "available"
        wait_until(available, 10, 0.02, "the new secondary")
        self.assertIn(("creating", "creating"), statuses)
        # and the switchover back to us-east-1
        self.rds_e.switchover_global_cluster(GlobalClusterIdentifier="orders-global",
                                             TargetDbClusterIdentifier=new_arn)
        self.watch_global(lambda g: "FailoverState" not in g)
        self.assertEqual(self.writer(self.gdb()), [new_arn])


class DetachPromoteTest(SimTestCase):
    def test_detach_and_promote(self):
        self.sim.ctl("/_sim/outage/start", {"region": EAST})
        r = self.rds_w.remove_from_global_cluster(GlobalClusterIdentifier="orders-global",
                                                  DbClusterIdentifier=WEST_ARN)
        self.assertIn(WEST_ARN, [m["DBClusterArn"] for m in r["GlobalCluster"]["GlobalClusterMembers"]])
        seen = []

        def standalone():
            c = self.cluster(self.rds_w, "orders-west")
            obs = (c["Status"], c.get("GlobalClusterIdentifier"), c["DBClusterMembers"][0]["IsClusterWriter"])
            if not seen or seen[-1] != obs:
                seen.append(obs)
            return c["Status"] == "available" and "GlobalClusterIdentifier" not in c
        wait_until(standalone, 10, 0.02, "the detached cluster")
        self.assertEqual(seen[0], ("promoting", "orders-global", False))
        self.assertEqual(seen[-1], ("available", None, True))
        g = self.gdb()
        self.assertEqual([m["DBClusterArn"] for m in g["GlobalClusterMembers"]], [EAST_ARN])
        # doing it again: the cluster is no longer a member
        self.assertAwsError("InvalidParameterValue", 400, self.rds_w.remove_from_global_cluster,
                            GlobalClusterIdentifier="orders-global", DbClusterIdentifier=WEST_ARN)
        # and it is not a read replica either
        self.assertAwsError("InvalidDBClusterStateFault", 400, self.rds_w.promote_read_replica_db_cluster,
                            DBClusterIdentifier="orders-west")

    def test_promote_read_replicas(self):
        # RDS instance read replica (seeded)
        r = self.rds_w.promote_read_replica(DBInstanceIdentifier="orders-reporting-replica")
        self.assertEqual(r["DBInstance"]["DBInstanceStatus"], "modifying")
        self.assertIn("ReadReplicaSourceDBInstanceIdentifier", r["DBInstance"])

        def promoted():
            i = self.rds_w.describe_db_instances(DBInstanceIdentifier="orders-reporting-replica")["DBInstances"][0]
            return i["DBInstanceStatus"] == "available" and "ReadReplicaSourceDBInstanceIdentifier" not in i
        wait_until(promoted, 10, what="promoted instance")
        src = self.rds_e.describe_db_instances(DBInstanceIdentifier="orders-reporting")["DBInstances"][0]
        self.assertEqual(src["ReadReplicaDBInstanceIdentifiers"], [])
        self.assertAwsError("InvalidDBInstanceState", 400, self.rds_w.promote_read_replica,
                            DBInstanceIdentifier="orders-reporting-replica")
        self.assertAwsError("DBInstanceNotFound", 404, self.rds_w.promote_read_replica,
                            DBInstanceIdentifier="nope")
        # Aurora cross-region replica cluster
        r = self.rds_w.create_db_cluster(DBClusterIdentifier="orders-replica", Engine="aurora-postgresql",
                                         ReplicationSourceIdentifier=EAST_ARN)
        self.assertEqual(r["DBCluster"]["ReplicationSourceIdentifier"], EAST_ARN)
        wait_until(lambda: self.cluster(self.rds_w, "orders-replica")["Status"] == "available", 10)
        self.assertIn("arn:aws:rds:us-west-2:%s:cluster:orders-replica" % ACCOUNT,
                      self.cluster(self.rds_e, "orders-east")["ReadReplicaIdentifiers"])
        self.rds_w.create_db_instance(DBInstanceIdentifier="orders-replica-1", DBClusterIdentifier="orders-replica",
                                      DBInstanceClass="db.r6g.large", Engine="aurora-postgresql")
        r = self.rds_w.promote_read_replica_db_cluster(DBClusterIdentifier="orders-replica")
        self.assertEqual(r["DBCluster"]["Status"], "promoting")

        def cluster_promoted():
            c = self.cluster(self.rds_w, "orders-replica")
            return c["Status"] == "available" and "ReplicationSourceIdentifier" not in c and c
        c = wait_until(cluster_promoted, 10, what="promoted cluster")
        self.assertTrue(c["DBClusterMembers"][0]["IsClusterWriter"])


class ElastiCacheTest(SimTestCase):
    def test_global_datastore_failover(self):
        r = self.ec_w.failover_global_replication_group(GlobalReplicationGroupId="ldgnf-orders-cache",
                                                        PrimaryRegion=WEST,
                                                        PrimaryReplicationGroupId="orders-cache-west")
        self.assertEqual(r["GlobalReplicationGroup"]["Status"], "modifying")
        self.assertAwsError("InvalidGlobalReplicationGroupState", 400, self.ec_w.failover_global_replication_group,
                            GlobalReplicationGroupId="ldgnf-orders-cache", PrimaryRegion=WEST,
                            PrimaryReplicationGroupId="orders-cache-west")
        seen = []

        def done():
            g = self.ec_w.describe_global_replication_groups(GlobalReplicationGroupId="ldgnf-orders-cache",
                                                             ShowMemberInfo=True)["GlobalReplicationGroups"][0]
            prim = [m["ReplicationGroupId"] for m in g["Members"] if m["Role"] == "PRIMARY"]
            obs = (g["Status"], tuple(prim))
            if not seen or seen[-1] != obs:
                seen.append(obs)
            return g["Status"] == "available"
        wait_until(done, 10, 0.02, "datastore failover")
        self.assertEqual(seen[0], ("modifying", ("orders-cache-east",)))
        self.assertIn(("modifying", ("orders-cache-west",)), seen)
        self.assertEqual(seen[-1], ("available", ("orders-cache-west",)))
        rg = self.ec_w.describe_replication_groups(ReplicationGroupId="orders-cache-west")["ReplicationGroups"][0]
        self.assertEqual(rg["GlobalReplicationGroupInfo"]["GlobalReplicationGroupMemberRole"], "PRIMARY")
        self.assertEqual(rg["Status"], "available")
        self.assertAwsError("InvalidParameterValue", 400, self.ec_w.failover_global_replication_group,
                            GlobalReplicationGroupId="ldgnf-orders-cache", PrimaryRegion=WEST,
                            PrimaryReplicationGroupId="orders-cache-west")
        self.assertAwsError("GlobalReplicationGroupNotFoundFault", 404, self.ec_w.failover_global_replication_group,
                            GlobalReplicationGroupId="nope", PrimaryRegion=WEST,
                            PrimaryReplicationGroupId="orders-cache-west")
        self.assertAwsError("ReplicationGroupNotFoundFault", 404, self.ec_w.describe_replication_groups,
                            ReplicationGroupId="orders-cache-east")
        self.assertAwsError("GlobalReplicationGroupNotFoundFault", 404,
                            self.ec_w.describe_global_replication_groups, GlobalReplicationGroupId="nope")


class ErrorsTest(SimTestCase):
    def test_error_codes(self):
        e = self.assertAwsError("GlobalClusterNotFoundFault", 404, self.rds_w.describe_global_clusters,
                                GlobalClusterIdentifier="nope")
        self.assertEqual(e.response["Error"]["Type"], "Sender")
        self.assertTrue(e.response["ResponseMetadata"]["RequestId"])
        self.assertAwsError("GlobalClusterNotFoundFault", 404, self.rds_w.failover_global_cluster,
                            GlobalClusterIdentifier="nope", TargetDbClusterIdentifier=WEST_ARN)
        self.assertAwsError("DBClusterNotFoundFault", 404, self.rds_w.describe_db_clusters,
                            DBClusterIdentifier="nope")
        self.assertAwsError("DBInstanceNotFound", 404, self.rds_w.describe_db_instances,
                            DBInstanceIdentifier="nope")
        self.assertAwsError("DBClusterNotFoundFault", 404, self.rds_w.failover_global_cluster,
                            GlobalClusterIdentifier="orders-global",
                            TargetDbClusterIdentifier="arn:aws:rds:us-west-2:%s:cluster:nope" % ACCOUNT)
        self.assertAwsError("InvalidParameterValue", 400, self.rds_e.switchover_global_cluster,
                            GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=EAST_ARN)
        self.assertAwsError("InvalidParameterCombination", 400, self.rds_w.failover_global_cluster,
                            GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=WEST_ARN,
                            AllowDataLoss=True, Switchover=True)
        self.assertAwsError("InvalidGlobalClusterStateFault", 400, self.rds_e.remove_from_global_cluster,
                            GlobalClusterIdentifier="orders-global", DbClusterIdentifier=EAST_ARN)
        self.assertAwsError("DBClusterNotFoundFault", 404, self.rds_w.create_db_instance,
                            DBInstanceIdentifier="x", DBClusterIdentifier="nope", DBInstanceClass="db.r6g.large",
                            Engine="aurora-postgresql")
        self.assertAwsError("DBInstanceAlreadyExists", 400, self.rds_w.create_db_instance,
                            DBInstanceIdentifier="orders-west-instance-1", DBClusterIdentifier="orders-west",
                            DBInstanceClass="db.r6g.large", Engine="aurora-postgresql")
        self.assertAwsError("GlobalClusterNotFoundFault", 404, self.rds_e.create_db_cluster,
                            DBClusterIdentifier="x", Engine="aurora-postgresql", GlobalClusterIdentifier="nope")
        self.assertAwsError("DBClusterAlreadyExistsFault", 400, self.rds_w.create_db_cluster,
                            DBClusterIdentifier="orders-west", Engine="aurora-postgresql",
                            GlobalClusterIdentifier="orders-global")
        self.assertAwsError("InvalidParameterValue", 400, self.rds_w.create_db_cluster,
                            DBClusterIdentifier="standalone", Engine="aurora-postgresql")
        self.assertAwsError("InvalidDBClusterStateFault", 400, self.rds_w.promote_read_replica_db_cluster,
                            DBClusterIdentifier="orders-west")
        self.assertAwsError("InvalidDBInstanceState", 400, self.rds_e.promote_read_replica,
                            DBInstanceIdentifier="orders-reporting")
        # removing a secondary while it is busy
        self.rds_w.switchover_global_cluster(GlobalClusterIdentifier="orders-global",
                                             TargetDbClusterIdentifier=WEST_ARN)
        self.assertAwsError("InvalidGlobalClusterStateFault", 400, self.rds_w.remove_from_global_cluster,
                            GlobalClusterIdentifier="orders-global", DbClusterIdentifier=WEST_ARN)
        self.watch_global(lambda g: "FailoverState" not in g)
        # a cluster that is still being created can't become the primary
        self.rds_e.create_db_cluster(DBClusterIdentifier="orders-east-2", Engine="aurora-postgresql",
                                     GlobalClusterIdentifier="orders-global")
        self.assertAwsError("InvalidDBClusterStateFault", 400, self.rds_w.switchover_global_cluster,
                            GlobalClusterIdentifier="orders-global",
                            TargetDbClusterIdentifier="arn:aws:rds:us-east-1:%s:cluster:orders-east-2" % ACCOUNT)

    def raw(self, body, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.sim.port, timeout=5)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            conn.close()

    def test_raw_error_documents(self):
        auth = ("AWS4-HMAC-SHA256 Credential=AKIDSANDBOXEXAMPLE01/20260101/us-west-2/rds/aws4_request, "
                "SignedHeaders=host;x-amz-date, Signature=00")
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": auth,
                "X-Amz-Date": "20260101T000000Z"}
        status, body = self.raw("Action=DescribeGlobalClusters&Version=2014-10-31&GlobalClusterIdentifier=zz", hdrs)
        self.assertEqual(status, 404)
        self.assertRegex(body, r"^<ErrorResponse[^>]*><Error><Type>Sender</Type><Code>GlobalClusterNotFoundFault"
                               r"</Code><Message>[^<]+</Message></Error><RequestId>[-0-9a-f]+</RequestId>"
                               r"</ErrorResponse>$")
        status, body = self.raw("Action=NoSuchThing&Version=2014-10-31", hdrs)
        self.assertEqual(status, 400)
        self.assertIn("<Code>InvalidAction</Code>", body)
        status, body = self.raw("Action=DescribeGlobalClusters&Version=2014-10-31",
                                {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 403)
        self.assertIn("<Code>MissingAuthenticationToken</Code>", body)
        status, body = self.raw("Action=DescribeGlobalClusters&Version=2014-10-31", hdrs)
        self.assertEqual(status, 200)
        self.assertIn("<DescribeGlobalClustersResult><GlobalClusters><GlobalClusterMember>", body)
        # control API refuses unknown durations
        with self.assertRaises(Exception) as cm:
            self.sim.ctl("/_sim/durations", {"warp": 1})
        self.assertEqual(getattr(cm.exception, "code", None), 400)


class CallCountTest(SimTestCase):
    def test_mutating_calls_are_counted(self):
        self.assertEqual(self.sim.ctl("/_sim/calls"), {})
        self.rds_w.describe_global_clusters()  # not mutating
        self.rds_e.create_db_instance(DBInstanceIdentifier="i-2", DBClusterIdentifier="orders-east",
                                      DBInstanceClass="db.r6g.large", Engine="aurora-postgresql")
        self.rds_w.failover_global_cluster(GlobalClusterIdentifier="orders-global",
                                           TargetDbClusterIdentifier=WEST_ARN, AllowDataLoss=True)
        with self.assertRaises(ClientError):  # refused, still counted
            self.rds_w.failover_global_cluster(GlobalClusterIdentifier="orders-global",
                                               TargetDbClusterIdentifier=WEST_ARN, AllowDataLoss=True)
        with self.assertRaises(ClientError):  # by name, from its region: same target
            self.rds_w.failover_global_cluster(GlobalClusterIdentifier="orders-global",
                                               TargetDbClusterIdentifier="orders-west", AllowDataLoss=True)
        self.ec_w.failover_global_replication_group(GlobalReplicationGroupId="ldgnf-orders-cache",
                                                    PrimaryRegion=WEST, PrimaryReplicationGroupId="orders-cache-west")
        self.sim.ctl("/_sim/outage/start", {"region": EAST})
        with self.assertRaises(Exception):  # never reached the service: not counted
            self.rds_e.create_db_instance(DBInstanceIdentifier="i-3", DBClusterIdentifier="orders-east",
                                          DBInstanceClass="db.r6g.large", Engine="aurora-postgresql")
        calls = self.sim.ctl("/_sim/calls")
        self.assertEqual(calls, {
            "FailoverGlobalCluster": {"orders-global->" + WEST_ARN: 3},
            "FailoverGlobalReplicationGroup": {"ldgnf-orders-cache->us-west-2/orders-cache-west": 1},
            "CreateDBInstance": {"us-east-1/i-2": 1},
        })
        log = self.sim.ctl("/_sim/calls/log")
        self.assertEqual([e["outcome"] for e in log["log"]],
                         ["ok", "ok", "InvalidGlobalClusterStateFault", "InvalidGlobalClusterStateFault", "ok"])
        self.assertGreaterEqual(log["dropped"].get(EAST, 0), 1)
        self.sim.ctl("/_sim/calls/reset", {})
        self.assertEqual(self.sim.ctl("/_sim/calls"), {})
        state = self.sim.ctl("/_sim/state")
        self.assertEqual(state["outages"], [EAST])
        self.assertIn("us-east-1", state["db_clusters"])


class SignatureTest(SimTestCase):
    extra_args = ("--verify-signatures",)

    def test_signatures_are_verified(self):
        self.assertEqual(self.writer(self.gdb()), [EAST_ARN])
        ec = self.sim.client("elasticache", WEST)
        ec.describe_replication_groups()
        for svc in ("rds", "elasticache"):
            bad = self.sim.client(svc, WEST, secret="wrong-secret")
            fn = bad.describe_global_clusters if svc == "rds" else bad.describe_replication_groups
            self.assertAwsError("SignatureDoesNotMatch", 403, fn)
        unknown = self.sim.client("rds", WEST, key="AKIDUNKNOWN")
        self.assertAwsError("InvalidClientTokenId", 403, unknown.describe_db_clusters)
        # a rejected mutating call changes nothing
        bad = self.sim.client("rds", WEST, secret="wrong-secret")
        self.assertAwsError("SignatureDoesNotMatch", 403, bad.failover_global_cluster,
                            GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=WEST_ARN,
                            AllowDataLoss=True)
        self.assertNotIn("FailoverState", self.gdb())
        self.assertEqual(self.sim.ctl("/_sim/calls"), {})


if __name__ == "__main__":
    unittest.main(verbosity=2)
