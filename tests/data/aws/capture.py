#!/usr/bin/env python3
"""Captures the response bodies in tests/data/aws/ from a running sandbox
(infra/local/sandbox start --dir DIR; then `. DIR/env; python3 capture.py`).
Every file is the exact body the stand-in answered; botocore parsed it."""
import json
import os
import sys

import boto3

OUT = os.path.dirname(os.path.abspath(__file__))
MOTO = os.environ["SANDBOX_MOTO_URL"]
SIM = os.environ["SANDBOX_SIM_URL"]
last = {}


def hook(http_response, **kw):
    last["body"] = http_response.content


def client(svc, region="us-west-2", url=None):
    c = boto3.client(svc, region_name=region, endpoint_url=url or MOTO)
    c.meta.events.register("after-call", hook)
    c.meta.events.register("after-call-error", lambda **kw: None)
    return c


def save(name, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except Exception as e:  # errors are captured too
        print("  (error) %s: %s" % (name, e))
        # after-call runs for error responses as well
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(last["body"])
    print(name, len(last["body"]))


def main():
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(SIM + "/_sim/reset", method="POST", data=b"{}"))
    sqs = client("sqs")
    q = os.environ["DRGATE_QUEUE_URL"]
    save("sqs-send-message.json", sqs.send_message, QueueUrl=q, MessageBody="hello drgate",
         MessageAttributes={"type": {"DataType": "String", "StringValue": "t"}})
    save("sqs-receive-message.json", sqs.receive_message, QueueUrl=q, MaxNumberOfMessages=10,
         WaitTimeSeconds=1, VisibilityTimeout=30,
         MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
         MessageAttributeNames=["All"])
    msgs = json.loads(last["body"])["Messages"]
    rh = msgs[0]["ReceiptHandle"]
    save("sqs-change-message-visibility.json", sqs.change_message_visibility, QueueUrl=q,
         ReceiptHandle=rh, VisibilityTimeout=0)
    save("sqs-change-message-visibility-batch.json", sqs.change_message_visibility_batch, QueueUrl=q,
         Entries=[{"Id": "0", "ReceiptHandle": rh, "VisibilityTimeout": 0},
                  {"Id": "1", "ReceiptHandle": "bogus", "VisibilityTimeout": 0}])
    save("sqs-receive-message-empty.json", sqs.receive_message, QueueUrl=os.environ["DRGATE_DLQ_URL"],
         WaitTimeSeconds=0)
    save("sqs-delete-message-batch.json", sqs.delete_message_batch, QueueUrl=q,
         Entries=[{"Id": "0", "ReceiptHandle": rh}, {"Id": "1", "ReceiptHandle": "bogus"}])
    save("sqs-get-queue-attributes.json", sqs.get_queue_attributes, QueueUrl=q, AttributeNames=["All"])
    save("sqs-error-nonexistent-queue.json", sqs.get_queue_attributes, QueueUrl=q + "-missing",
         AttributeNames=["QueueArn"])

    sns = client("sns")
    t = os.environ["DRGATE_EVENTS_TOPIC_ARN"]
    save("sns-publish.xml", sns.publish, TopicArn=t, Message="m", Subject="s",
         MessageAttributes={"type": {"DataType": "String", "StringValue": "drgate.plan.proposed"}})
    save("sns-get-topic-attributes.xml", sns.get_topic_attributes, TopicArn=t)
    save("sns-error-not-found.xml", sns.get_topic_attributes, TopicArn=t + "-missing")

    r53 = client("route53", "us-east-1")
    zid = os.environ["SANDBOX_HOSTED_ZONE_ID"]
    rec = os.environ["SANDBOX_WRITER_RECORD_NAME"]
    save("route53-get-hosted-zone.xml", r53.get_hosted_zone, Id=zid)
    save("route53-list-resource-record-sets.xml", r53.list_resource_record_sets, HostedZoneId=zid,
         StartRecordName=rec, StartRecordType="CNAME", MaxItems="1")
    save("route53-change-resource-record-sets.xml", r53.change_resource_record_sets, HostedZoneId=zid,
         ChangeBatch={"Comment": "drgate", "Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
             "Name": rec, "Type": "CNAME", "TTL": 60,
             "ResourceRecords": [{"Value": "orders-east.cluster-c0sandbox1234.us-east-1.rds.amazonaws.com"}]}}]})
    cid = r53.meta  # noqa
    change = __import__("re").search(rb"<Id>([^<]*)</Id>", last["body"]).group(1).decode()
    save("route53-get-change.xml", r53.get_change, Id=change)
    save("route53-error-no-such-zone.xml", r53.get_hosted_zone, Id="ZNOSUCHZONE")

    ecs = client("ecs", "us-west-2")
    save("ecs-update-service.json", ecs.update_service, cluster="orders-west", service="orders-api",
         forceNewDeployment=True)
    save("ecs-describe-services.json", ecs.describe_services, cluster="orders-west",
         services=["orders-api", "missing-svc"])

    cfn = client("cloudformation", "us-west-2")
    save("cfn-list-exports.xml", cfn.list_exports)

    ssm = client("ssm", "us-west-2")
    save("ssm-get-parameter.json", ssm.get_parameter, Name="/drgate/sandbox/dr-globaldb-cluster-region")
    ssm.put_parameter(Name="/drgate/capture/secret", Value="s3cr3t", Type="SecureString", Overwrite=True)
    save("ssm-get-parameter-secure.json", ssm.get_parameter, Name="/drgate/capture/secret", WithDecryption=True)
    save("ssm-error-parameter-not-found.json", ssm.get_parameter, Name="/drgate/missing")

    sts = client("sts", "us-west-2")
    save("sts-get-caller-identity.xml", sts.get_caller_identity)

    east = client("rds", "us-east-1", SIM)
    west = client("rds", "us-west-2", SIM)
    save("rds-describe-global-clusters.xml", east.describe_global_clusters, GlobalClusterIdentifier="orders-global")
    save("rds-describe-db-clusters.xml", west.describe_db_clusters, DBClusterIdentifier="orders-west")
    save("rds-describe-db-instances.xml", west.describe_db_instances, DBInstanceIdentifier="orders-reporting-replica")
    save("rds-error-global-cluster-not-found.xml", east.describe_global_clusters, GlobalClusterIdentifier="nope")

    ec_e = client("elasticache", "us-east-1", SIM)
    ec_w = client("elasticache", "us-west-2", SIM)
    save("elasticache-describe-global-replication-groups.xml", ec_e.describe_global_replication_groups,
         GlobalReplicationGroupId="ldgnf-orders-cache", ShowMemberInfo=True)
    save("elasticache-describe-replication-groups.xml", ec_w.describe_replication_groups,
         ReplicationGroupId="orders-cache-west")
    save("elasticache-failover-global-replication-group.xml", ec_w.failover_global_replication_group,
         GlobalReplicationGroupId="ldgnf-orders-cache", PrimaryRegion="us-west-2",
         PrimaryReplicationGroupId="orders-cache-west")

    # Mutating RDS calls last; they change the sandbox (reset it after).
    import time
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(SIM + "/_sim/durations", method="POST",
                           data=json.dumps({k: 0.5 for k in ("failover", "switchover", "detach",
                                 "create_cluster", "create_instance", "promote")}).encode()))
    east_arn = os.environ["SANDBOX_PRIMARY_CLUSTER_ARN"]
    west_arn = os.environ["SANDBOX_SECONDARY_CLUSTER_ARN"]
    save("rds-switchover-global-cluster.xml", east.switchover_global_cluster,
         GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=west_arn)
    save("rds-describe-global-clusters-failover-state.xml", east.describe_global_clusters,
         GlobalClusterIdentifier="orders-global")
    save("rds-error-invalid-global-cluster-state.xml", west.failover_global_cluster,
         GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=west_arn, AllowDataLoss=True)
    save("rds-promote-read-replica.xml", west.promote_read_replica, DBInstanceIdentifier="orders-reporting-replica")
    time.sleep(2)
    save("rds-describe-global-clusters-after-switchover.xml", east.describe_global_clusters,
         GlobalClusterIdentifier="orders-global")
    save("rds-error-already-primary.xml", west.failover_global_cluster,
         GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=west_arn, AllowDataLoss=True)
    save("rds-create-db-cluster.xml", east.create_db_cluster, DBClusterIdentifier="capture-c1",
         Engine="aurora-postgresql", EngineVersion="15.4", GlobalClusterIdentifier="orders-global")
    save("rds-create-db-instance.xml", east.create_db_instance, DBInstanceIdentifier="capture-c1-i1",
         DBClusterIdentifier="capture-c1", Engine="aurora-postgresql", DBInstanceClass="db.r6g.large")
    save("rds-create-db-cluster-replica.xml", west.create_db_cluster, DBClusterIdentifier="capture-rep",
         Engine="aurora-postgresql", ReplicationSourceIdentifier=west_arn)
    time.sleep(2)
    save("rds-promote-read-replica-db-cluster.xml", west.promote_read_replica_db_cluster,
         DBClusterIdentifier="capture-rep")
    save("rds-error-promote-global-member.xml", west.promote_read_replica_db_cluster,
         DBClusterIdentifier="orders-west")
    save("rds-failover-global-cluster.xml", west.failover_global_cluster,
         GlobalClusterIdentifier="orders-global", TargetDbClusterIdentifier=east_arn, AllowDataLoss=True)
    time.sleep(2)
    save("rds-remove-from-global-cluster.xml", west.remove_from_global_cluster,
         GlobalClusterIdentifier="orders-global", DbClusterIdentifier="arn:aws:rds:us-east-1:123456789012:cluster:capture-c1")
    urllib.request.urlopen(urllib.request.Request(SIM + "/_sim/reset", method="POST", data=b"{}"))

if __name__ == "__main__":
    sys.exit(main())
