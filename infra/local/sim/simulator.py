#!/usr/bin/env python3
"""drgate's Aurora global database / ElastiCache global datastore simulator.

One ThreadingHTTPServer speaks the RDS (2014-10-31) and ElastiCache
(2015-02-02) query protocols; the service and region come from the SigV4
credential scope of each request.  State transitions are asynchronous: every
mutating call schedules timestamped steps which are applied lazily (before
each request is answered), so nothing ever sleeps in a handler.

A JSON control API lives under /_sim/ on the same port (see README.md).  Per
region a TCP listener stands in for the writer endpoint; during a regional
outage it is closed (connections are refused) and every AWS call scoped to
that region is answered with a TCP reset.
"""

import argparse
import datetime
import heapq
import http.server
import itertools
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awsxml  # noqa: E402
import sigv4check  # noqa: E402

ACCOUNT = "123456789012"
DEFAULT_ACCESS_KEY = "AKIDSANDBOXEXAMPLE01"
DEFAULT_SECRET = "sandbox/secret/KEY/do-not-use-in-aws-0000"
DOMAIN_SUFFIX = "c0sandbox1234"

DURATION_KEYS = ("failover", "switchover", "detach", "create_cluster", "create_instance",
                 "promote", "elasticache_failover")

MUTATING = {
    "rds": {"FailoverGlobalCluster", "SwitchoverGlobalCluster", "RemoveFromGlobalCluster",
            "CreateDBCluster", "CreateDBInstance", "PromoteReadReplica",
            "PromoteReadReplicaDBCluster", "CreateGlobalCluster"},
    "elasticache": {"FailoverGlobalReplicationGroup"},
}


class AwsError(Exception):
    def __init__(self, code, message, status=None, sender=True):
        super().__init__(message)
        self.code, self.message, self.status, self.sender = code, message, status, sender


def _true(v):
    return str(v).lower() == "true"


def cluster_arn(region, cid):
    return "arn:aws:rds:%s:%s:cluster:%s" % (region, ACCOUNT, cid)


def instance_arn(region, iid):
    return "arn:aws:rds:%s:%s:db:%s" % (region, ACCOUNT, iid)


def now_iso():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def parse_rds_arn(value):
    """(region, kind, id) of an RDS ARN, or None if value is not an ARN."""
    if not value.startswith("arn:"):
        return None
    parts = value.split(":")
    if len(parts) < 7 or parts[2] != "rds":
        raise AwsError("InvalidParameterValue", "Invalid ARN: %s" % value)
    return parts[3], parts[5], ":".join(parts[6:])


# --------------------------------------------------------------------------- state

class State:
    """All simulated resources plus the timeline of pending transition steps."""

    def __init__(self, durations):
        self.lock = threading.RLock()
        self.durations = dict(durations)
        self.outages = set()
        self._seq = itertools.count()
        self.reset()

    # -- bookkeeping
    def reset(self):
        with self.lock:
            self.clusters = {}       # (region, id) -> dict
            self.instances = {}      # (region, id) -> dict
            self.globals = {}        # id -> dict
            self.grgs = {}           # global replication group id -> dict
            self.rgs = {}            # (region, id) -> dict
            self.timeline = []       # heap of (when, seq, fn)
            self.calls = {}
            self.call_log = []
            self.dropped = {}

    def schedule(self, delay, fn):
        heapq.heappush(self.timeline, (time.monotonic() + max(0.0, delay), next(self._seq), fn))

    def advance(self):
        now = time.monotonic()
        while self.timeline and self.timeline[0][0] <= now:
            _, _, fn = heapq.heappop(self.timeline)
            fn()

    def pending_transitions(self):
        return len(self.timeline)

    def count(self, action, target, region, outcome):
        bucket = self.calls.setdefault(action, {})
        bucket[target] = bucket.get(target, 0) + 1
        self.call_log.append({"time": time.time(), "action": action, "target": target,
                              "region": region, "outcome": outcome})

    # -- seeding
    def add_cluster(self, region, cid, engine, version, status="available", global_id=None,
                    replication_source=None, master_username="postgres", port=None):
        key = (region, cid)
        port = port or (5432 if "postgres" in engine else 3306)
        c = {
            "id": cid, "region": region, "arn": cluster_arn(region, cid), "engine": engine,
            "engine_version": version, "status": status, "port": port,
            "global_id": global_id, "replication_source": replication_source,
            "read_replicas": [], "instances": [], "master_username": master_username,
            "resource_id": "cluster-" + uuid.uuid4().hex[:26].upper(),
            "created": now_iso(),
            "endpoint": "%s.cluster-%s.%s.rds.amazonaws.com" % (cid, DOMAIN_SUFFIX, region),
            "reader_endpoint": "%s.cluster-ro-%s.%s.rds.amazonaws.com" % (cid, DOMAIN_SUFFIX, region),
        }
        self.clusters[key] = c
        return c

    def add_instance(self, region, iid, engine, version, cluster_id=None, klass="db.r6g.large",
                     status="available", replica_source=None, port=None):
        port = port or (5432 if "postgres" in engine else 3306)
        i = {
            "id": iid, "region": region, "arn": instance_arn(region, iid), "engine": engine,
            "engine_version": version, "cluster_id": cluster_id, "class": klass,
            "status": status, "port": port, "replica_source": replica_source,
            "read_replicas": [], "created": now_iso(),
            "resource_id": "db-" + uuid.uuid4().hex[:26].upper(),
            "address": "%s.%s.%s.rds.amazonaws.com" % (iid, DOMAIN_SUFFIX, region),
            "az": region + "a",
        }
        self.instances[(region, iid)] = i
        if cluster_id:
            self.clusters[(region, cluster_id)]["instances"].append(iid)
        return i

    def add_global(self, gid, engine, version, writer):
        g = {
            "id": gid, "arn": "arn:aws:rds::%s:global-cluster:%s" % (ACCOUNT, gid),
            "resource_id": "cluster-" + uuid.uuid4().hex[:26].lower(),
            "engine": engine, "engine_version": version, "status": "available",
            "members": [writer["arn"]], "writer": writer["arn"], "failover": None,
            "endpoint": "%s.global-%s.global.rds.amazonaws.com" % (gid, DOMAIN_SUFFIX[:8]),
        }
        writer["global_id"] = gid
        self.globals[gid] = g
        return g

    def seed_default(self):
        """The two-region topology the sandbox and the tests start from."""
        with self.lock:
            engine, version = "aurora-postgresql", "15.4"
            east = self.add_cluster("us-east-1", "orders-east", engine, version)
            self.add_instance("us-east-1", "orders-east-instance-1", engine, version, "orders-east")
            g = self.add_global("orders-global", engine, version, east)
            west = self.add_cluster("us-west-2", "orders-west", engine, version,
                                    global_id="orders-global", master_username=None)
            self.add_instance("us-west-2", "orders-west-instance-1", engine, version, "orders-west")
            g["members"].append(west["arn"])
            # an RDS (non-Aurora) cross-region read replica, for PromoteReadReplica
            src = self.add_instance("us-east-1", "orders-reporting", "postgres", "15.4")
            rep = self.add_instance("us-west-2", "orders-reporting-replica", "postgres", "15.4",
                                    replica_source=src["arn"])
            src["read_replicas"].append(rep["arn"])
            # ElastiCache global datastore
            gid = "ldgnf-orders-cache"
            self.grgs[gid] = {
                "id": gid, "status": "available", "engine": "redis", "engine_version": "7.1",
                "node_type": "cache.r6g.large", "description": "orders cache global datastore",
                "members": [("us-east-1", "orders-cache-east"), ("us-west-2", "orders-cache-west")],
                "primary": ("us-east-1", "orders-cache-east"),
                "arn": "arn:aws:elasticache::%s:globalreplicationgroup:%s" % (ACCOUNT, gid),
            }
            for region, rid in self.grgs[gid]["members"]:
                self.rgs[(region, rid)] = {
                    "id": rid, "region": region, "status": "available", "global_id": gid,
                    "description": "orders cache (%s)" % region, "node_type": "cache.r6g.large",
                    "arn": "arn:aws:elasticache:%s:%s:replicationgroup:%s" % (region, ACCOUNT, rid),
                    "created": now_iso(),
                }

    # -- lookups
    def find_cluster(self, ident, region):
        parsed = parse_rds_arn(ident)
        if parsed:
            r, kind, cid = parsed
            if kind != "cluster":
                raise AwsError("InvalidParameterValue", "%s is not a DB cluster ARN" % ident)
            key = (r, cid)
        else:
            key = (region, ident)
        c = self.clusters.get(key)
        if c is None:
            raise AwsError("DBClusterNotFoundFault", "DBCluster %s not found." % ident)
        return c

    def cluster_by_arn(self, arn):
        r, _, cid = parse_rds_arn(arn)
        return self.clusters.get((r, cid))

    def find_instance(self, ident, region):
        parsed = parse_rds_arn(ident)
        key = (parsed[0], parsed[2]) if parsed else (region, ident)
        i = self.instances.get(key)
        if i is None:
            raise AwsError("DBInstanceNotFound", "DBInstance %s not found." % ident)
        return i

    def find_global(self, gid):
        if not gid:
            raise AwsError("MissingParameter",
                           "The request must contain the parameter GlobalClusterIdentifier")
        g = self.globals.get(gid)
        if g is None:
            raise AwsError("GlobalClusterNotFoundFault", "Global cluster %s not found." % gid)
        return g

    def writable(self, c):
        if c["global_id"]:
            g = self.globals.get(c["global_id"])
            return bool(g and g["writer"] == c["arn"])
        return not c["replication_source"]

    # -- rendering (dicts shaped by the botocore models)
    def render_global(self, g):
        members = []
        for arn in g["members"]:
            is_writer = arn == g["writer"]
            m = {"DBClusterArn": arn,
                 "Readers": [a for a in g["members"] if a != arn] if is_writer else [],
                 "IsWriter": is_writer}
            if not is_writer:
                m["GlobalWriteForwardingStatus"] = "disabled"
                m["SynchronizationStatus"] = "connected"
            members.append(m)
        out = {"GlobalClusterIdentifier": g["id"], "GlobalClusterResourceId": g["resource_id"],
               "GlobalClusterArn": g["arn"], "Status": g["status"], "Engine": g["engine"],
               "EngineVersion": g["engine_version"], "EngineLifecycleSupport": "open-source-rds-extended-support",
               "StorageEncrypted": True, "DeletionProtection": False,
               "GlobalClusterMembers": members, "Endpoint": g["endpoint"], "TagList": []}
        if g["failover"]:
            out["FailoverState"] = dict(g["failover"])
        return out

    def render_cluster(self, c):
        writable = self.writable(c)
        members = []
        for n, iid in enumerate(c["instances"]):
            members.append({"DBInstanceIdentifier": iid, "IsClusterWriter": writable and n == 0,
                            "DBClusterParameterGroupStatus": "in-sync", "PromotionTier": 1})
        out = {
            "AllocatedStorage": 1, "AvailabilityZones": [c["region"] + z for z in "abc"],
            "BackupRetentionPeriod": 7, "DBClusterIdentifier": c["id"],
            "DBClusterParameterGroup": "default.%s15" % c["engine"], "DBSubnetGroup": "orders-db-subnets",
            "Status": c["status"], "Endpoint": c["endpoint"], "ReaderEndpoint": c["reader_endpoint"],
            "MultiAZ": len(c["instances"]) > 1, "Engine": c["engine"],
            "EngineVersion": c["engine_version"], "Port": c["port"],
            "PreferredBackupWindow": "07:00-07:30", "PreferredMaintenanceWindow": "sun:08:00-sun:08:30",
            "ReadReplicaIdentifiers": list(c["read_replicas"]), "DBClusterMembers": members,
            "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}],
            "HostedZoneId": "Z2R2ITUGPM61AM", "StorageEncrypted": True,
            "KmsKeyId": "arn:aws:kms:%s:%s:key/00000000-0000-0000-0000-000000000000" % (c["region"], ACCOUNT),
            "DbClusterResourceId": c["resource_id"], "DBClusterArn": c["arn"],
            "IAMDatabaseAuthenticationEnabled": False, "ClusterCreateTime": c["created"],
            "EngineMode": "provisioned", "DeletionProtection": False, "HttpEndpointEnabled": False,
            "CopyTagsToSnapshot": False, "CrossAccountClone": False, "TagList": [],
            "AutoMinorVersionUpgrade": True, "NetworkType": "IPV4",
        }
        if c["master_username"]:
            out["MasterUsername"] = c["master_username"]
        if c["replication_source"]:
            out["ReplicationSourceIdentifier"] = c["replication_source"]
        if c["global_id"]:
            out["GlobalClusterIdentifier"] = c["global_id"]
            if not writable:
                out["GlobalWriteForwardingStatus"] = "disabled"
                out["GlobalWriteForwardingRequested"] = False
        return out

    def render_instance(self, i):
        out = {
            "DBInstanceIdentifier": i["id"], "DBInstanceClass": i["class"], "Engine": i["engine"],
            "DBInstanceStatus": i["status"],
            "Endpoint": {"Address": i["address"], "Port": i["port"], "HostedZoneId": "Z2R2ITUGPM61AM"},
            "AllocatedStorage": 1 if i["cluster_id"] else 100, "InstanceCreateTime": i["created"],
            "PreferredBackupWindow": "07:00-07:30", "BackupRetentionPeriod": 7,
            "DBSecurityGroups": [],
            "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}],
            "AvailabilityZone": i["az"], "PreferredMaintenanceWindow": "sun:08:00-sun:08:30",
            "MultiAZ": False, "EngineVersion": i["engine_version"], "AutoMinorVersionUpgrade": True,
            "ReadReplicaDBInstanceIdentifiers": list(i["read_replicas"]),
            "LicenseModel": "postgresql-license", "PubliclyAccessible": False,
            "StorageType": "aurora" if i["cluster_id"] else "gp3", "DbInstancePort": 0,
            "StorageEncrypted": True, "DbiResourceId": i["resource_id"],
            "CACertificateIdentifier": "rds-ca-rsa2048-g1", "CopyTagsToSnapshot": False,
            "MonitoringInterval": 0, "PromotionTier": 1, "DBInstanceArn": i["arn"],
            "IAMDatabaseAuthenticationEnabled": False, "PerformanceInsightsEnabled": False,
            "DeletionProtection": False, "TagList": [], "NetworkType": "IPV4",
        }
        if i["cluster_id"]:
            out["DBClusterIdentifier"] = i["cluster_id"]
        if i["replica_source"]:
            out["ReadReplicaSourceDBInstanceIdentifier"] = i["replica_source"]
        return out

    def render_grg(self, g, members=True):
        out = {"GlobalReplicationGroupId": g["id"],
               "GlobalReplicationGroupDescription": g["description"], "Status": g["status"],
               "CacheNodeType": g["node_type"], "Engine": g["engine"],
               "EngineVersion": g["engine_version"], "ClusterEnabled": False,
               "AuthTokenEnabled": False, "TransitEncryptionEnabled": True,
               "AtRestEncryptionEnabled": True, "ARN": g["arn"]}
        if members:
            out["Members"] = [{"ReplicationGroupId": rid, "ReplicationGroupRegion": region,
                               "Role": "PRIMARY" if (region, rid) == g["primary"] else "SECONDARY",
                               "AutomaticFailover": "enabled", "Status": "associated"}
                              for region, rid in g["members"]]
        return out

    def render_rg(self, rg):
        role = None
        if rg["global_id"]:
            g = self.grgs[rg["global_id"]]
            role = "PRIMARY" if g["primary"] == (rg["region"], rg["id"]) else "SECONDARY"
        host = "%s.%s.ng.0001.%s.cache.amazonaws.com"
        out = {
            "ReplicationGroupId": rg["id"], "Description": rg["description"], "Status": rg["status"],
            "PendingModifiedValues": {},
            "MemberClusters": [rg["id"] + "-001", rg["id"] + "-002"],
            "NodeGroups": [{
                "NodeGroupId": "0001", "Status": rg["status"],
                "PrimaryEndpoint": {"Address": "master." + host % (rg["id"], "abc123", rg["region"]), "Port": 6379},
                "ReaderEndpoint": {"Address": "replica." + host % (rg["id"], "abc123", rg["region"]), "Port": 6379},
                "NodeGroupMembers": [
                    {"CacheClusterId": rg["id"] + "-001", "CacheNodeId": "0001",
                     "PreferredAvailabilityZone": rg["region"] + "a",
                     "CurrentRole": "primary" if role != "SECONDARY" else "replica"},
                    {"CacheClusterId": rg["id"] + "-002", "CacheNodeId": "0001",
                     "PreferredAvailabilityZone": rg["region"] + "b", "CurrentRole": "replica"}],
            }],
            "AutomaticFailover": "enabled", "MultiAZ": "enabled", "SnapshotRetentionLimit": 1,
            "SnapshotWindow": "05:00-06:00", "ClusterEnabled": False, "CacheNodeType": rg["node_type"],
            "AuthTokenEnabled": False, "TransitEncryptionEnabled": True, "AtRestEncryptionEnabled": True,
            "ARN": rg["arn"], "ReplicationGroupCreateTime": rg["created"], "DataTiering": "disabled",
            "AutoMinorVersionUpgrade": True, "NetworkType": "ipv4", "IpDiscovery": "ipv4",
            "ClusterMode": "disabled", "Engine": "redis",
        }
        if role:
            out["GlobalReplicationGroupInfo"] = {"GlobalReplicationGroupId": rg["global_id"],
                                                 "GlobalReplicationGroupMemberRole": role}
        return out

    def snapshot(self):
        """JSON view of everything (control API)."""
        with self.lock:
            self.advance()
            return {
                "global_clusters": [self.render_global(g) for g in self.globals.values()],
                "db_clusters": {r: [self.render_cluster(c) for (cr, _), c in self.clusters.items() if cr == r]
                                for r in sorted({k[0] for k in self.clusters})},
                "db_instances": {r: [self.render_instance(i) for (ir, _), i in self.instances.items() if ir == r]
                                 for r in sorted({k[0] for k in self.instances})},
                "global_replication_groups": [self.render_grg(g) for g in self.grgs.values()],
                "replication_groups": {r: [self.render_rg(g) for (gr, _), g in self.rgs.items() if gr == r]
                                       for r in sorted({k[0] for k in self.rgs})},
                "outages": sorted(self.outages),
                "durations": dict(self.durations),
                "pending_transitions": self.pending_transitions(),
            }


# --------------------------------------------------------------------------- operations

def _filters(params):
    """Filters.Filter.N.Name / Filters.Filter.N.Values.Value.M -> {name: [values]}"""
    out = {}
    n = 1
    while ("Filters.Filter.%d.Name" % n) in params:
        name = params["Filters.Filter.%d.Name" % n]
        vals, m = [], 1
        while ("Filters.Filter.%d.Values.Value.%d" % (n, m)) in params:
            vals.append(params["Filters.Filter.%d.Values.Value.%d" % (n, m)])
            m += 1
        out[name] = vals
        n += 1
    return out


class Rds:
    def __init__(self, st):
        self.st = st

    def _d(self, key):
        return float(self.st.durations[key])

    def DescribeGlobalClusters(self, p, region):
        st = self.st
        gid = p.get("GlobalClusterIdentifier")
        if gid:
            return {"GlobalClusters": [st.render_global(st.find_global(gid))]}
        return {"GlobalClusters": [st.render_global(g) for g in st.globals.values()]}

    def DescribeDBClusters(self, p, region):
        st = self.st
        ident = p.get("DBClusterIdentifier")
        if ident:
            c = st.find_cluster(ident, region)
            if c["region"] != region:
                raise AwsError("DBClusterNotFoundFault", "DBCluster %s not found." % ident)
            return {"DBClusters": [st.render_cluster(c)]}
        f = _filters(p)
        wanted = f.get("db-cluster-id")
        out = [st.render_cluster(c) for (r, cid), c in st.clusters.items()
               if r == region and (wanted is None or cid in wanted or c["arn"] in wanted)]
        return {"DBClusters": out}

    def DescribeDBInstances(self, p, region):
        st = self.st
        ident = p.get("DBInstanceIdentifier")
        if ident:
            i = st.find_instance(ident, region)
            if i["region"] != region:
                raise AwsError("DBInstanceNotFound", "DBInstance %s not found." % ident)
            return {"DBInstances": [st.render_instance(i)]}
        f = _filters(p)
        out = []
        for (r, iid), i in st.instances.items():
            if r != region:
                continue
            if "db-instance-id" in f and iid not in f["db-instance-id"] and i["arn"] not in f["db-instance-id"]:
                continue
            if "db-cluster-id" in f and i["cluster_id"] not in f["db-cluster-id"] and \
                    cluster_arn(r, i["cluster_id"] or "") not in f["db-cluster-id"]:
                continue
            out.append(st.render_instance(i))
        return {"DBInstances": out}

    # -- failover / switchover
    def _global_change(self, p, region, data_loss, switching):
        st = self.st
        g = st.find_global(p.get("GlobalClusterIdentifier"))
        target_id = p.get("TargetDbClusterIdentifier")
        if not target_id:
            raise AwsError("MissingParameter",
                           "The request must contain the parameter TargetDbClusterIdentifier")
        if g["failover"] or g["status"] != "available":
            raise AwsError("InvalidGlobalClusterStateFault",
                           "Global cluster %s is not in the available state (%s)."
                           % (g["id"], (g["failover"] or {}).get("Status", g["status"])))
        target = st.find_cluster(target_id, region)
        if target["arn"] not in g["members"]:
            raise AwsError("InvalidParameterValue", "The DB cluster %s is not a member of global cluster %s."
                           % (target_id, g["id"]))
        if target["arn"] == g["writer"]:
            raise AwsError("InvalidParameterValue", "The DB cluster %s is already the primary cluster of "
                           "global cluster %s." % (target_id, g["id"]))
        if target["status"] != "available":
            raise AwsError("InvalidDBClusterStateFault", "DB cluster %s is not in the available state (%s)."
                           % (target_id, target["status"]))
        if not target["instances"]:
            raise AwsError("InvalidDBClusterStateFault",
                           "DB cluster %s has no DB instances to promote." % target_id)
        source = st.cluster_by_arn(g["writer"])
        if not data_loss:
            for arn in g["members"]:
                c = st.cluster_by_arn(arn)
                if c["region"] in st.outages:
                    raise AwsError("InvalidGlobalClusterStateFault",
                                   "Global cluster %s can't be switched over: DB cluster %s is "
                                   "unavailable. Use AllowDataLoss to fail over." % (g["id"], arn))
                if c["status"] != "available":
                    raise AwsError("InvalidGlobalClusterStateFault",
                                   "Global cluster %s can't be switched over: DB cluster %s is %s."
                                   % (g["id"], arn, c["status"]))
        word = "failing-over" if data_loss else "switching-over"
        dur = self._d("failover" if data_loss else "switchover")
        g["status"] = word
        g["failover"] = {"Status": "pending", "FromDbClusterArn": g["writer"],
                         "ToDbClusterArn": target["arn"], "IsDataLossAllowed": bool(data_loss)}
        old_status = source["status"] if source else None

        def running():
            if g["failover"]:
                g["failover"]["Status"] = word
            target["status"] = "failing-over"
            if source and source["region"] not in st.outages:
                source["status"] = "modifying"

        def flip():
            g["writer"] = target["arn"]
            # the new writer is listed first, the way AWS lists members
            g["members"].remove(target["arn"])
            g["members"].insert(0, target["arn"])

        def done():
            g["failover"] = None
            g["status"] = "available"
            target["status"] = "available"
            if source and source["status"] == "modifying":
                source["status"] = old_status if old_status not in (None, "modifying") else "available"

        st.schedule(dur * 0.2, running)
        st.schedule(dur * 0.7, flip)
        st.schedule(dur, done)
        return {"GlobalCluster": st.render_global(g)}

    def FailoverGlobalCluster(self, p, region):
        has_loss, has_sw = "AllowDataLoss" in p, "Switchover" in p
        if has_loss and has_sw:
            raise AwsError("InvalidParameterCombination",
                           "AllowDataLoss and Switchover can't be specified together.")
        data_loss = has_loss and _true(p["AllowDataLoss"])
        return self._global_change(p, region, data_loss, switching=not data_loss)

    def SwitchoverGlobalCluster(self, p, region):
        return self._global_change(p, region, False, switching=True)

    def RemoveFromGlobalCluster(self, p, region):
        st = self.st
        g = st.find_global(p.get("GlobalClusterIdentifier"))
        ident = p.get("DbClusterIdentifier")
        if not ident:
            raise AwsError("MissingParameter", "The request must contain the parameter DbClusterIdentifier")
        c = st.find_cluster(ident, region)
        if c["arn"] not in g["members"]:
            raise AwsError("InvalidParameterValue", "The DB cluster %s is not a member of global cluster %s."
                           % (ident, g["id"]))
        if g["failover"]:
            raise AwsError("InvalidGlobalClusterStateFault", "Global cluster %s is %s."
                           % (g["id"], g["failover"]["Status"]))
        if c["arn"] == g["writer"] and len(g["members"]) > 1:
            raise AwsError("InvalidGlobalClusterStateFault",
                           "The primary DB cluster %s can't be removed while global cluster %s has "
                           "secondary clusters." % (ident, g["id"]))
        if c["status"] != "available":
            raise AwsError("InvalidDBClusterStateFault", "DB cluster %s is not in the available state (%s)."
                           % (ident, c["status"]))
        c["status"] = "promoting"
        result = {"GlobalCluster": st.render_global(g)}

        def detach():
            if c["arn"] in g["members"]:
                g["members"].remove(c["arn"])
            if g["writer"] == c["arn"]:
                g["writer"] = None
            c["global_id"] = None
            c["replication_source"] = None

        def done():
            c["status"] = "available"

        d = self._d("detach")
        st.schedule(d * 0.5, detach)
        st.schedule(d, done)
        return result

    def CreateGlobalCluster(self, p, region):
        st = self.st
        gid = p.get("GlobalClusterIdentifier")
        if not gid:
            raise AwsError("MissingParameter", "The request must contain the parameter GlobalClusterIdentifier")
        if gid in st.globals:
            raise AwsError("GlobalClusterAlreadyExistsFault", "Global cluster %s already exists." % gid)
        src = p.get("SourceDBClusterIdentifier")
        if not src:
            raise AwsError("InvalidParameterValue", "The simulator needs SourceDBClusterIdentifier.")
        c = st.find_cluster(src, region)
        if c["global_id"] or not st.writable(c):
            raise AwsError("InvalidDBClusterStateFault", "DB cluster %s can't be the source of a global cluster." % src)
        g = st.add_global(gid, c["engine"], c["engine_version"], c)
        return {"GlobalCluster": st.render_global(g)}

    def CreateDBCluster(self, p, region):
        st = self.st
        cid = p.get("DBClusterIdentifier")
        engine = p.get("Engine")
        if not cid:
            raise AwsError("MissingParameter", "The request must contain the parameter DBClusterIdentifier")
        if not engine:
            raise AwsError("MissingParameter", "The request must contain the parameter Engine")
        if (region, cid) in st.clusters:
            raise AwsError("DBClusterAlreadyExistsFault", "DB Cluster already exists")
        gid = p.get("GlobalClusterIdentifier")
        source = p.get("ReplicationSourceIdentifier")
        g = None
        if gid:
            g = st.find_global(gid)
            if g["status"] != "available" or g["failover"]:
                raise AwsError("InvalidGlobalClusterStateFault", "Global cluster %s is not available." % gid)
            if engine != g["engine"]:
                raise AwsError("InvalidParameterCombination",
                               "The engine %s doesn't match the global cluster's engine %s." % (engine, g["engine"]))
            version = p.get("EngineVersion") or g["engine_version"]
            if version != g["engine_version"]:
                raise AwsError("InvalidParameterCombination",
                               "The engine version %s doesn't match the global cluster's version %s."
                               % (version, g["engine_version"]))
        else:
            version = p.get("EngineVersion") or "15.4"
        src = None
        if source:
            src = st.find_cluster(source, region)
        if not g and not src and not p.get("MasterUsername"):
            raise AwsError("InvalidParameterValue",
                           "The parameter MasterUsername must be provided and must not be blank.")
        port = int(p["Port"]) if p.get("Port") else None
        c = st.add_cluster(region, cid, engine, version, status="creating",
                           replication_source=src["arn"] if src else None,
                           master_username=p.get("MasterUsername") or (None if g else "postgres"), port=port)
        if g:
            c["global_id"] = g["id"]
            g["members"].append(c["arn"])
        if src:
            src["read_replicas"].append(c["arn"])

        def done():
            if c["status"] == "creating":
                c["status"] = "available"

        st.schedule(self._d("create_cluster"), done)
        return {"DBCluster": st.render_cluster(c)}

    def CreateDBInstance(self, p, region):
        st = self.st
        iid = p.get("DBInstanceIdentifier")
        for k in ("DBInstanceIdentifier", "DBInstanceClass", "Engine"):
            if not p.get(k):
                raise AwsError("MissingParameter", "The request must contain the parameter %s" % k)
        if (region, iid) in st.instances:
            raise AwsError("DBInstanceAlreadyExists", "DB instance already exists")
        cid = p.get("DBClusterIdentifier")
        version = p.get("EngineVersion") or "15.4"
        if cid:
            c = st.find_cluster(cid, region)
            if c["region"] != region:
                raise AwsError("DBClusterNotFoundFault", "DBCluster %s not found." % cid)
            if c["engine"] != p["Engine"]:
                raise AwsError("InvalidParameterCombination",
                               "The engine %s doesn't match the DB cluster's engine %s." % (p["Engine"], c["engine"]))
            if c["status"] not in ("available", "creating"):
                raise AwsError("InvalidDBClusterStateFault", "DB cluster %s is %s." % (cid, c["status"]))
            cid, version = c["id"], c["engine_version"]
        i = st.add_instance(region, iid, p["Engine"], version, cluster_id=cid,
                            klass=p["DBInstanceClass"], status="creating",
                            port=int(p["Port"]) if p.get("Port") else None)

        def done():
            if i["status"] == "creating":
                i["status"] = "available"

        st.schedule(self._d("create_instance"), done)
        return {"DBInstance": st.render_instance(i)}

    def PromoteReadReplica(self, p, region):
        st = self.st
        ident = p.get("DBInstanceIdentifier")
        if not ident:
            raise AwsError("MissingParameter", "The request must contain the parameter DBInstanceIdentifier")
        i = st.find_instance(ident, region)
        if not i["replica_source"]:
            raise AwsError("InvalidDBInstanceState", "DB Instance %s is not a read replica." % ident)
        if i["status"] != "available":
            raise AwsError("InvalidDBInstanceState", "DB Instance %s is not in the available state (%s)."
                           % (ident, i["status"]))
        i["status"] = "modifying"
        result = {"DBInstance": st.render_instance(i)}

        def promote():
            src = None
            try:
                src = st.find_instance(i["replica_source"], region)
            except AwsError:
                pass
            if src and i["arn"] in src["read_replicas"]:
                src["read_replicas"].remove(i["arn"])
            i["replica_source"] = None

        def done():
            i["status"] = "available"

        d = self._d("promote")
        st.schedule(d * 0.5, promote)
        st.schedule(d, done)
        return result

    def PromoteReadReplicaDBCluster(self, p, region):
        st = self.st
        ident = p.get("DBClusterIdentifier")
        if not ident:
            raise AwsError("MissingParameter", "The request must contain the parameter DBClusterIdentifier")
        c = st.find_cluster(ident, region)
        if c["global_id"]:
            raise AwsError("InvalidDBClusterStateFault",
                           "DB cluster %s is a member of global cluster %s; use RemoveFromGlobalCluster."
                           % (ident, c["global_id"]))
        if not c["replication_source"]:
            raise AwsError("InvalidDBClusterStateFault", "DB cluster %s is not a read replica." % ident)
        if c["status"] != "available":
            raise AwsError("InvalidDBClusterStateFault", "DB cluster %s is not in the available state (%s)."
                           % (ident, c["status"]))
        c["status"] = "promoting"
        result = {"DBCluster": st.render_cluster(c)}

        def promote():
            src = st.cluster_by_arn(c["replication_source"]) if c["replication_source"] else None
            if src and c["arn"] in src["read_replicas"]:
                src["read_replicas"].remove(c["arn"])
            c["replication_source"] = None

        def done():
            c["status"] = "available"

        d = self._d("promote")
        st.schedule(d * 0.5, promote)
        st.schedule(d, done)
        return result


class ElastiCache:
    def __init__(self, st):
        self.st = st

    def _grg(self, gid):
        if not gid:
            raise AwsError("MissingParameter", "The request must contain the parameter GlobalReplicationGroupId")
        g = self.st.grgs.get(gid)
        if g is None:
            raise AwsError("GlobalReplicationGroupNotFoundFault", "Global replication group %s not found." % gid)
        return g

    def DescribeGlobalReplicationGroups(self, p, region):
        st = self.st
        show = _true(p.get("ShowMemberInfo", "false"))
        gid = p.get("GlobalReplicationGroupId")
        groups = [self._grg(gid)] if gid else list(st.grgs.values())
        return {"GlobalReplicationGroups": [st.render_grg(g, members=show) for g in groups]}

    def DescribeReplicationGroups(self, p, region):
        st = self.st
        rid = p.get("ReplicationGroupId")
        if rid:
            rg = st.rgs.get((region, rid))
            if rg is None:
                raise AwsError("ReplicationGroupNotFoundFault", "ReplicationGroup %s not found." % rid)
            return {"ReplicationGroups": [st.render_rg(rg)]}
        return {"ReplicationGroups": [st.render_rg(rg) for (r, _), rg in st.rgs.items() if r == region]}

    def FailoverGlobalReplicationGroup(self, p, region):
        st = self.st
        g = self._grg(p.get("GlobalReplicationGroupId"))
        pr, prid = p.get("PrimaryRegion"), p.get("PrimaryReplicationGroupId")
        if not pr or not prid:
            raise AwsError("MissingParameter", "The request must contain the parameters PrimaryRegion "
                           "and PrimaryReplicationGroupId")
        target = (pr, prid)
        if target not in g["members"]:
            raise AwsError("InvalidParameterValue", "Replication group %s in %s is not a member of global "
                           "replication group %s." % (prid, pr, g["id"]))
        if g["status"] != "available":
            raise AwsError("InvalidGlobalReplicationGroupState",
                           "Global replication group %s is not in the available state (%s)." % (g["id"], g["status"]))
        if g["primary"] == target:
            raise AwsError("InvalidParameterValue", "Replication group %s is already the primary member of "
                           "global replication group %s." % (prid, g["id"]))
        g["status"] = "modifying"
        members = [st.rgs[m] for m in g["members"]]
        for rg in members:
            rg["status"] = "modifying"
        result = {"GlobalReplicationGroup": st.render_grg(g)}

        def flip():
            g["primary"] = target

        def done():
            g["status"] = "available"
            for rg in members:
                rg["status"] = "available"

        d = float(st.durations["elasticache_failover"])
        st.schedule(d * 0.5, flip)
        st.schedule(d, done)
        return result


def call_target(st, action, p, region):
    def arn(ident):
        try:
            return st.find_cluster(ident, region)["arn"] if ident else ""
        except AwsError:
            return ident
    if action in ("FailoverGlobalCluster", "SwitchoverGlobalCluster"):
        return "%s->%s" % (p.get("GlobalClusterIdentifier", ""), arn(p.get("TargetDbClusterIdentifier", "")))
    if action == "RemoveFromGlobalCluster":
        return "%s->%s" % (p.get("GlobalClusterIdentifier", ""), arn(p.get("DbClusterIdentifier", "")))
    if action == "FailoverGlobalReplicationGroup":
        return "%s->%s/%s" % (p.get("GlobalReplicationGroupId", ""), p.get("PrimaryRegion", ""),
                              p.get("PrimaryReplicationGroupId", ""))
    if action == "CreateGlobalCluster":
        return p.get("GlobalClusterIdentifier", "")
    if action in ("CreateDBCluster", "PromoteReadReplicaDBCluster"):
        return "%s/%s" % (region, p.get("DBClusterIdentifier", ""))
    if action in ("CreateDBInstance", "PromoteReadReplica"):
        return "%s/%s" % (region, p.get("DBInstanceIdentifier", ""))
    return region


# --------------------------------------------------------------------------- writer stand-ins

class WriterStandIns:
    """One TCP listener per region; closed while the region is in outage."""

    def __init__(self, regions, host="127.0.0.1"):
        self.host = host
        self.lock = threading.Lock()
        self.ports = {}
        self.socks = {}
        for r in regions:
            s = self._listen(0)
            self.ports[r] = s.getsockname()[1]
            self.socks[r] = s
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _listen(self, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, port))
        s.listen(64)
        s.setblocking(False)
        return s

    def set_outage(self, region, down):
        with self.lock:
            if region not in self.ports:
                return
            if down and region in self.socks:
                s = self.socks.pop(region)
                try:
                    # leaves the LISTEN state at once, even while select() holds the file
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            elif not down and region not in self.socks:
                deadline = time.monotonic() + 5
                while True:
                    try:
                        self.socks[region] = self._listen(self.ports[region])
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.05)
        if down:
            # do not return before the port refuses connections
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                try:
                    socket.create_connection((self.host, self.ports[region]), timeout=0.2).close()
                except OSError:
                    break
                time.sleep(0.02)

    def _loop(self):
        while not self.stopping:
            with self.lock:
                socks = dict(self.socks)
            if not socks:
                time.sleep(0.05)
                continue
            try:
                ready, _, _ = select.select(list(socks.values()), [], [], 0.1)
            except (OSError, ValueError):
                continue
            for s in ready:
                region = next((r for r, x in socks.items() if x is s), "?")
                try:
                    conn, _ = s.accept()
                except OSError:
                    continue
                try:
                    conn.sendall(("drgate-sim writer %s\n" % region).encode())
                except OSError:
                    pass
                conn.close()

    def close(self):
        self.stopping = True
        with self.lock:
            for s in self.socks.values():
                s.close()
            self.socks.clear()


# --------------------------------------------------------------------------- HTTP

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "drgate-sim/1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    # -- helpers
    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body, ctype="text/xml", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", (extra or {}).get("request_id", str(uuid.uuid4())))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status, obj):
        self._send(status, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode(), "application/json")

    def _reset_connection(self):
        """Answer like an unreachable endpoint: TCP RST, no HTTP response."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def _aws_error(self, service, err, request_id):
        status = err.status or awsxml.error_status(service, err.code) or \
            (403 if err.code in ("SignatureDoesNotMatch", "InvalidClientTokenId",
                                 "MissingAuthenticationToken") else 400)
        ns = awsxml.service_model(service).metadata["xmlNamespace"] if service in ("rds", "elasticache") else None
        self._send(status, awsxml.error_document(err.code, err.message, err.sender, request_id, ns))

    # -- verbs
    def do_GET(self):
        if self.path.startswith("/_sim/"):
            return self._control("GET")
        self._aws("GET")

    def do_POST(self):
        if self.path.startswith("/_sim/"):
            return self._control("POST")
        self._aws("POST")

    def _aws(self, method):
        sim = self.server.sim
        st = sim.state
        body = self._body()
        request_id = str(uuid.uuid4())
        scope = sigv4check.parse_scope(self.headers.get("Authorization"))
        if scope is None:
            return self._aws_error("rds", AwsError("MissingAuthenticationToken",
                                                   "Request is missing Authentication Token", 403), request_id)
        _, _, region, service = scope
        if region in st.outages:
            with st.lock:
                st.dropped[region] = st.dropped.get(region, 0) + 1
            return self._reset_connection()
        if service not in ("rds", "elasticache"):
            return self._aws_error("rds", AwsError("UnknownService", "The simulator serves rds and "
                                                   "elasticache, not %s" % service, 400), request_id)
        if sim.secrets is not None:
            bad = sigv4check.verify(method, self.path, self.headers.items(), body, sim.secrets)
            if bad:
                return self._aws_error(service, AwsError(bad[1], bad[2], bad[0]), request_id)
        qs = urllib.parse.urlsplit(self.path).query
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(qs, keep_blank_values=True).items()}
        params.update({k: v[-1] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"),
                                                                  keep_blank_values=True).items()})
        action = params.pop("Action", None)
        params.pop("Version", None)
        api = sim.rds if service == "rds" else sim.elasticache
        fn = getattr(api, action, None) if action and action[0].isupper() else None
        if fn is None:
            return self._aws_error(service, AwsError("InvalidAction", "The action %s is not valid for this "
                                                     "web service." % action, 400), request_id)
        with st.lock:
            st.advance()
            mutating = action in MUTATING[service]
            try:
                result = fn(params, region)
                reply = awsxml.response(service, action, result, request_id)
                outcome = "ok"
            except AwsError as e:
                outcome = e.code
                reply = None
                err = e
            if mutating:
                st.count(action, call_target(st, action, params, region), region, outcome)
        if reply is None:
            return self._aws_error(service, err, request_id)
        self._send(200, reply, extra={"request_id": request_id})

    def _control(self, method):
        sim = self.server.sim
        st = sim.state
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        body = self._body()
        try:
            req = json.loads(body) if body.strip() else {}
        except ValueError:
            return self._json(400, {"error": "body is not JSON"})
        if method == "GET" and path == "/_sim/health":
            return self._json(200, {"ok": True})
        if method == "GET" and path == "/_sim/state":
            return self._json(200, st.snapshot())
        if method == "GET" and path == "/_sim/calls":
            with st.lock:
                return self._json(200, st.calls)
        if method == "GET" and path == "/_sim/calls/log":
            with st.lock:
                return self._json(200, {"log": st.call_log, "dropped": st.dropped})
        if method == "POST" and path == "/_sim/calls/reset":
            with st.lock:
                st.calls, st.call_log, st.dropped = {}, [], {}
            return self._json(200, {"ok": True})
        if method == "GET" and path == "/_sim/writers":
            return self._json(200, {r: {"host": "127.0.0.1", "port": p, "up": r not in st.outages}
                                    for r, p in sim.writers.ports.items()})
        if path == "/_sim/durations":
            if method == "POST":
                bad = [k for k in req if k not in DURATION_KEYS]
                if bad:
                    return self._json(400, {"error": "unknown duration keys", "keys": bad,
                                            "valid": list(DURATION_KEYS)})
                with st.lock:
                    for k, v in req.items():
                        st.durations[k] = float(v)
            with st.lock:
                return self._json(200, dict(st.durations))
        if path == "/_sim/outage" and method == "GET":
            return self._json(200, {"outages": sorted(st.outages)})
        if path in ("/_sim/outage/start", "/_sim/outage/end") and method == "POST":
            region = req.get("region")
            if not region:
                return self._json(400, {"error": "region is required"})
            down = path.endswith("start")
            with st.lock:
                (st.outages.add if down else st.outages.discard)(region)
            sim.writers.set_outage(region, down)
            return self._json(200, {"outages": sorted(st.outages)})
        if path == "/_sim/lag":
            if sim.lag is None:
                return self._json(404, {"error": "no --metrics-url: the lag is not published"})
            if method == "POST":
                ms = req.get("ms")
                if ms is not None and (not isinstance(ms, (int, float)) or ms < 0):
                    return self._json(400, {"error": "ms must be a number >= 0 or null"})
                sim.lag.set(ms)
            return self._json(200, sim.lag.view())
        if method == "POST" and path == "/_sim/reset":
            for r in list(st.outages):
                sim.writers.set_outage(r, False)
            with st.lock:
                st.outages.clear()
                st.reset()
                if req.get("seed", True):
                    st.seed_default()
            return self._json(200, {"ok": True})
        return self._json(404, {"error": "unknown control path %s %s" % (method, path)})


class LagPublisher:
    """Puts AWS/RDS AuroraGlobalDBReplicationLag (milliseconds, dimension
    DBClusterIdentifier) for every secondary member of every global database
    into a CloudWatch endpoint (moto) every `interval` seconds, in the
    secondary's region, as Aurora does.  The value is a plausible 20-80 ms
    until set through POST /_sim/lag {"ms": N}, which also publishes at once."""

    METRIC = "AuroraGlobalDBReplicationLag"

    def __init__(self, state, url, interval, access_key, secret_key):
        self.state, self.url, self.interval = state, url, interval
        self.keys = (access_key, secret_key)
        self.fixed_ms = None
        self.last = {}           # "region/cluster" -> {"ms", "time"}
        self.errors = 0
        self.wake = threading.Event()
        self.stopped = False
        self.clients = {}
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def client(self, region):
        if region not in self.clients:
            import boto3
            from botocore.config import Config
            self.clients[region] = boto3.client(
                "cloudwatch", region_name=region, endpoint_url=self.url,
                aws_access_key_id=self.keys[0], aws_secret_access_key=self.keys[1],
                config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5))
        return self.clients[region]

    def secondaries(self):
        with self.state.lock:
            self.state.advance()
            out = []
            for g in self.state.globals.values():
                for arn in g["members"]:
                    parts = arn.split(":")
                    if arn != g["writer"] and len(parts) >= 7:
                        out.append((parts[3], parts[6]))
            return out

    def value(self):
        if self.fixed_ms is not None:
            return self.fixed_ms
        import random
        return float(random.randint(20, 80))

    def publish(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        for region, cluster in self.secondaries():
            v = self.value()
            try:
                self.client(region).put_metric_data(Namespace="AWS/RDS", MetricData=[{
                    "MetricName": self.METRIC, "Timestamp": now, "Value": v, "Unit": "Milliseconds",
                    "Dimensions": [{"Name": "DBClusterIdentifier", "Value": cluster}]}])
                self.last["%s/%s" % (region, cluster)] = {"ms": v, "time": now.isoformat()}
            except Exception as e:  # the metric is best effort: log and go on
                self.errors += 1
                print("lag publish failed: %s" % e, file=sys.stderr, flush=True)

    def set(self, ms):
        self.fixed_ms = None if ms is None else float(ms)
        self.publish()

    def run(self):
        while not self.stopped:
            self.publish()
            self.wake.wait(self.interval)
            self.wake.clear()

    def view(self):
        return {"metric": self.METRIC, "fixed_ms": self.fixed_ms, "interval_seconds": self.interval,
                "last": dict(self.last), "errors": self.errors}


class Simulator:
    def __init__(self, host="127.0.0.1", port=0, durations=None, regions=("us-east-1", "us-west-2"),
                 secrets=None, seed=True, verbose=False):
        d = {k: 3.0 for k in DURATION_KEYS}
        d.update({"create_cluster": 5.0, "create_instance": 5.0})
        d.update(durations or {})
        self.state = State(d)
        if seed:
            self.state.seed_default()
        self.rds = Rds(self.state)
        self.elasticache = ElastiCache(self.state)
        self.secrets = secrets
        self.writers = WriterStandIns(regions, host)
        self.httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.sim = self
        self.httpd.verbose = verbose
        self.port = self.httpd.server_address[1]
        self.thread = None
        self.lag = None

    def publish_lag(self, url, interval, access_key, secret_key):
        self.lag = LagPublisher(self.state, url, interval, access_key, secret_key)

    def start_background(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.writers.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write {pid, port, writer_ports} as JSON here once listening")
    ap.add_argument("--regions", default="us-east-1,us-west-2", help="regions with a writer stand-in")
    ap.add_argument("--transition-seconds", type=float, help="one duration for every transition")
    for k in DURATION_KEYS:
        ap.add_argument("--%s-seconds" % k.replace("_", "-"), type=float, dest=k)
    ap.add_argument("--verify-signatures", action="store_true")
    ap.add_argument("--access-key", default=os.environ.get("SANDBOX_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY))
    ap.add_argument("--secret-key", default=os.environ.get("SANDBOX_SECRET_ACCESS_KEY", DEFAULT_SECRET))
    ap.add_argument("--no-seed", action="store_true")
    ap.add_argument("--metrics-url", help="CloudWatch endpoint (moto) for AuroraGlobalDBReplicationLag")
    ap.add_argument("--metrics-interval", type=float, default=10.0)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    durations = {}
    if a.transition_seconds is not None:
        durations = {k: a.transition_seconds for k in DURATION_KEYS}
    for k in DURATION_KEYS:
        if getattr(a, k) is not None:
            durations[k] = getattr(a, k)
    secrets = {a.access_key: a.secret_key} if a.verify_signatures else None
    sim = Simulator(a.host, a.port, durations, [r for r in a.regions.split(",") if r],
                    secrets, seed=not a.no_seed, verbose=a.verbose)
    if a.metrics_url:
        sim.publish_lag(a.metrics_url, a.metrics_interval, a.access_key, a.secret_key)
    info = {"pid": os.getpid(), "port": sim.port, "writer_ports": sim.writers.ports}
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(info, f)
        os.replace(tmp, a.port_file)
    print("SIM_READY " + json.dumps(info), flush=True)

    def stop(signum, frame):
        threading.Thread(target=sim.httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        sim.httpd.serve_forever()
    finally:
        sim.httpd.server_close()
        sim.writers.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
