#!/usr/bin/env python3
"""Writes requests.tsv: what botocore serializes for the parameters the
unit tests give drgate's builders (NAME<TAB>PROTOCOL<TAB>BODY, bodies with
\\n escaped). Query bodies lose their Action/Version prefix; route53 lines
carry PATH?QUERY<TAB>BODY."""
import os

import botocore.serialize
import botocore.session

S = botocore.session.get_session()
rows = []


def ser(svc, op, params, name):
    m = S.get_service_model(svc)
    proto = m.metadata["protocol"]
    r = botocore.serialize.create_serializer(proto).serialize_to_request(params, m.operation_model(op))
    body = r["body"]
    if proto == "query":
        from botocore.utils import percent_encode_sequence
        body = percent_encode_sequence([(k, v) for k, v in body.items() if k not in ("Action", "Version")])
    elif isinstance(body, bytes):
        body = body.decode()
    if proto == "rest-xml":
        qs = "&".join("%s=%s" % (k, v) for k, v in r["query_string"].items())
        body = r["url_path"] + ("?" + qs if qs else "") + "\t" + body
    rows.append("%s\t%s\t%s" % (name, proto, body.replace("\n", "\\n")))


Q = "http://127.0.0.1:4566/123456789012/drgate"
ser("sqs", "ReceiveMessage", {"QueueUrl": Q, "MessageSystemAttributeNames": ["ApproximateReceiveCount", "SentTimestamp"],
    "MessageAttributeNames": ["All"], "MaxNumberOfMessages": 10, "VisibilityTimeout": 60, "WaitTimeSeconds": 20}, "sqs-receive")
ser("sqs", "DeleteMessageBatch", {"QueueUrl": Q, "Entries": [{"Id": "0", "ReceiptHandle": "rh-0"},
    {"Id": "1", "ReceiptHandle": "rh/1+=="}]}, "sqs-delete-batch")
ser("sqs", "ChangeMessageVisibility", {"QueueUrl": Q, "ReceiptHandle": "rh-0", "VisibilityTimeout": 0}, "sqs-change-visibility")
ser("sqs", "ChangeMessageVisibilityBatch", {"QueueUrl": Q, "Entries": [{"Id": "a", "ReceiptHandle": "rh-0",
    "VisibilityTimeout": 30}]}, "sqs-change-visibility-batch")
ser("sqs", "GetQueueAttributes", {"QueueUrl": Q, "AttributeNames": ["All"]}, "sqs-get-queue-attributes")
ser("sqs", "SendMessage", {"QueueUrl": Q, "MessageBody": "h\u00e9llo \"drgate\"\n"}, "sqs-send")
ser("sns", "Publish", {"TopicArn": "arn:aws:sns:us-west-2:123456789012:drgate-events", "Message": "{\"a\": 1} & ~x",
    "Subject": "drgate plan", "MessageStructure": "json",
    "MessageAttributes": {"type": {"DataType": "String", "StringValue": "drgate.plan.proposed"},
                          "severity": {"DataType": "String", "StringValue": "high"}}}, "sns-publish")
ser("sns", "GetTopicAttributes", {"TopicArn": "arn:aws:sns:us-west-2:123456789012:drgate-events"}, "sns-get-topic-attributes")
ser("rds", "DescribeGlobalClusters", {"GlobalClusterIdentifier": "orders-global"}, "rds-describe-global-clusters")
ser("rds", "DescribeDBClusters", {"DBClusterIdentifier": "arn:aws:rds:us-west-2:123456789012:cluster:orders-west",
    "Marker": "m1"}, "rds-describe-db-clusters")
ser("rds", "DescribeDBInstances", {"DBInstanceIdentifier": "orders-reporting-replica"}, "rds-describe-db-instances")
ser("rds", "FailoverGlobalCluster", {"GlobalClusterIdentifier": "orders-global",
    "TargetDbClusterIdentifier": "arn:aws:rds:us-west-2:123456789012:cluster:orders-west", "AllowDataLoss": True},
    "rds-failover-global-cluster")
ser("rds", "FailoverGlobalCluster", {"GlobalClusterIdentifier": "orders-global",
    "TargetDbClusterIdentifier": "orders-west", "Switchover": True}, "rds-failover-switchover")
ser("rds", "SwitchoverGlobalCluster", {"GlobalClusterIdentifier": "orders-global",
    "TargetDbClusterIdentifier": "arn:aws:rds:us-west-2:123456789012:cluster:orders-west"}, "rds-switchover-global-cluster")
ser("rds", "RemoveFromGlobalCluster", {"GlobalClusterIdentifier": "orders-global",
    "DbClusterIdentifier": "arn:aws:rds:us-west-2:123456789012:cluster:orders-west"}, "rds-remove-from-global-cluster")
ser("rds", "CreateDBCluster", {"DBClusterIdentifier": "orders-east-2", "Engine": "aurora-postgresql",
    "EngineVersion": "15.4", "GlobalClusterIdentifier": "orders-global", "DBSubnetGroupName": "orders-db-subnets",
    "VpcSecurityGroupIds": ["sg-1", "sg-2"], "KmsKeyId": "alias/aws/rds", "Port": 5432, "BackupRetentionPeriod": 7,
    "StorageEncrypted": True, "DeletionProtection": False}, "rds-create-db-cluster")
ser("rds", "CreateDBInstance", {"DBInstanceIdentifier": "orders-east-2-instance-1", "DBInstanceClass": "db.r6g.large",
    "Engine": "aurora-postgresql", "DBClusterIdentifier": "orders-east-2", "MonitoringInterval": 60,
    "MonitoringRoleArn": "arn:aws:iam::123456789012:role/rds-monitoring-role"}, "rds-create-db-instance")
ser("rds", "PromoteReadReplica", {"DBInstanceIdentifier": "orders-reporting-replica", "BackupRetentionPeriod": 7},
    "rds-promote-read-replica")
ser("rds", "PromoteReadReplicaDBCluster", {"DBClusterIdentifier": "orders-west"}, "rds-promote-read-replica-db-cluster")
ser("elasticache", "DescribeGlobalReplicationGroups", {"GlobalReplicationGroupId": "ldgnf-orders-cache",
    "ShowMemberInfo": True}, "elasticache-describe-global-replication-groups")
ser("elasticache", "FailoverGlobalReplicationGroup", {"GlobalReplicationGroupId": "ldgnf-orders-cache",
    "PrimaryRegion": "us-west-2", "PrimaryReplicationGroupId": "orders-cache-west"},
    "elasticache-failover-global-replication-group")
ser("elasticache", "DescribeReplicationGroups", {"ReplicationGroupId": "orders-cache-west"},
    "elasticache-describe-replication-groups")
ser("route53", "ChangeResourceRecordSets", {"HostedZoneId": "Z0123ABC", "ChangeBatch": {"Comment": "drgate <plan> & co",
    "Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": "db.orders.example.internal.", "Type": "CNAME",
    "TTL": 60, "ResourceRecords": [{"Value": "orders-west.cluster-x.us-west-2.rds.amazonaws.com"}]}}]}},
    "route53-upsert")
ser("route53", "GetChange", {"Id": "C2682N5HXP0BZ4"}, "route53-get-change")
ser("route53", "ListResourceRecordSets", {"HostedZoneId": "Z0123ABC", "StartRecordName": "db.orders.example.internal.",
    "StartRecordType": "CNAME", "MaxItems": "1"}, "route53-list-rrsets")
ser("route53", "GetHostedZone", {"Id": "Z0123ABC"}, "route53-get-hosted-zone")
ser("ecs", "UpdateService", {"cluster": "orders-west", "service": "orders-api", "forceNewDeployment": True},
    "ecs-update-service")
ser("ecs", "DescribeServices", {"cluster": "orders-west", "services": ["orders-api", "other"]}, "ecs-describe-services")
ser("cloudformation", "ListExports", {}, "cfn-list-exports")
ser("cloudformation", "ListExports", {"NextToken": "tok/en+1"}, "cfn-list-exports-next")
ser("ssm", "GetParameter", {"Name": "/drgate/sandbox/x", "WithDecryption": True}, "ssm-get-parameter")
ser("sts", "GetCallerIdentity", {}, "sts-get-caller-identity")

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "requests.tsv"), "w") as f:
    f.write("\n".join(rows) + "\n")
print(len(rows), "requests")
