#!/usr/bin/env python3
"""Writes the replay scenario files (deterministic; committed output).

Each line is a real-shaped message: EventBridge "CloudWatch Alarm State
Change" events as AWS delivers them to SQS, SNS envelopes around them, and
drgate probe results. Run from anywhere: python3 make_scenarios.py
"""
import json
import os
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = datetime(2026, 1, 1, 0, 0, 0, tzinfo=timezone.utc)
ACCOUNT = "123456789012"


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+0000" % (t.microsecond // 1000)


def alarm(name, state, at, prev="OK", region="us-east-1", n=[0]):
    n[0] += 1
    arn = "arn:aws:cloudwatch:%s:%s:alarm:%s" % (region, ACCOUNT, name)
    return {
        "version": "0",
        "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a%02x" % (n[0] % 256) + "%04d" % n[0],
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": ACCOUNT,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [arn],
        "detail": {
            "alarmName": name,
            "state": {"value": state, "reason": "Threshold Crossed: test",
                      "timestamp": ts(at)},
            "previousState": {"value": prev, "reason": "previous",
                              "timestamp": ts(at - timedelta(seconds=1))},
            "configuration": {"description": "drgate scenario",
                              "metrics": [{"id": "m1", "metricStat": {
                                  "metric": {"namespace": "AWS/RDS",
                                             "name": "EngineUptime",
                                             "dimensions": {"DBClusterIdentifier": "orders-east"}},
                                  "period": 10, "stat": "Minimum"},
                                  "returnData": True}]},
        },
    }


def sns(inner, n=[0]):
    n[0] += 1
    return {
        "Type": "Notification",
        "MessageId": "5b1f2c3d-0000-4000-8000-%012d" % n[0],
        "TopicArn": "arn:aws:sns:us-west-2:%s:drgate-alarms" % ACCOUNT,
        "Message": json.dumps(inner),
        "Timestamp": "2026-01-01T00:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-example.pem",
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe",
    }


def probe(ok, at):
    return {"type": "drgate.probe", "probe": "primary-writer",
            "region": "us-east-1", "ok": ok,
            "time": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "detail": "connected" if ok else "connect timed out after 2000 ms"}


def write(name, msgs):
    with open(os.path.join(HERE, name), "w") as f:
        for m in msgs:
            f.write((m if isinstance(m, str) else json.dumps(m, sort_keys=True)) + "\n")


def at(s):
    return T0 + timedelta(seconds=s)


# 1. Two alarms 5 s apart, both stay in ALARM for 40 s, then recover.
two = [alarm("orders-writer-health", "ALARM", at(0)),
       alarm("orders-api-latency", "ALARM", at(5)),
       alarm("orders-writer-health", "OK", at(40), prev="ALARM"),
       alarm("orders-api-latency", "OK", at(45), prev="ALARM")]
write("two-alarms.jsonl", two)

# 2. The same with the second alarm flapping at 1 Hz.
flap = [alarm("orders-writer-health", "ALARM", at(0))]
for i in range(5, 45):
    flap.append(alarm("orders-api-latency", "ALARM" if i % 2 else "OK", at(i),
                      prev="OK" if i % 2 else "ALARM"))
flap.append(alarm("orders-writer-health", "OK", at(45), prev="ALARM"))
write("two-alarms-flapping.jsonl", flap)

# 3. Scenario 1 with every message delivered twice, once raw and once in an
#    SNS envelope (same EventBridge id: a duplicate), plus an exact repeat.
dups = []
for m in two:
    dups += [m, sns(m), m]
write("two-alarms-duplicates.jsonl", dups)

# 4. Unplanned: the writer alarm and the canary probe (unreachable) fail.
unplanned = [alarm("orders-writer-health", "ALARM", at(0)),
             probe(False, at(2))]
for i in range(12, 60, 10):
    unplanned.append(probe(False, at(i)))
write("unplanned.jsonl", unplanned)

# 5. Garbage and wrongly shaped input among good lines.
mixed = [alarm("orders-writer-health", "ALARM", at(0)),
         "this is not json",
         '{"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "id": "x1", "detail": {}}',
         '{"Action": "explode", "GlobalClusterIdentifier": "g", "TargetDbClusterIdentifier": "t"}',
         alarm("orders-api-latency", "ALARM", at(5)),
         alarm("orders-writer-health", "OK", at(50), prev="ALARM")]
write("mixed-garbage.jsonl", mixed)

# 6. A seed 000 failover command and a seed 001 manifest.
commands = [
    {"Action": "failover", "GlobalClusterIdentifier": "orders-global",
     "TargetDbClusterIdentifier": "arn:aws:rds:us-west-2:%s:cluster:orders-west" % ACCOUNT},
    {"StatePayload": [{"layer": 1, "resources": [
        {"resourceType": "PromoteRDSReadReplica",
         "resourceName": "Promote RDS for MySQL Read Replica",
         "parameters": {"RDSInstanceIdentifier": "!Import rds-mysql-instance-identifier",
                        "TargetClusterIdentifier": "!Import rds-mysql-instance-global-arn"}},
        {"resourceType": "FailoverElastiCacheCluster",
         "resourceName": "Failover ElastiCache Cluster",
         "parameters": {"GlobalReplicationGroupId": "!Import demo-redis-cluster-global-replication-group-id",
                        "TargetRegion": "!Import demo-redis-cluster-target-region",
                        "TargetReplicationGroupId": "!Import demo-redis-cluster-target-replication-group-id"}}]}]},
    {"StatePayload": [{"layer": 1, "resources": [
        {"resourceType": "DropDatabase", "resourceName": "nope", "parameters": {}}]}]},
]
write("commands.jsonl", commands)
