/*
 * test_svc_parsers.c - every AWS service reply parser on the bodies
 * captured from moto and the simulator (tests/data/aws/, capture.py), and
 * on malformed bodies: wrong types, missing fields, wrong document
 * element, oversized lists, MD5OfBody mismatches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cfn.h"
#include "ecs.h"
#include "elasticache.h"
#include "mem.h"
#include "rds.h"
#include "route53.h"
#include "sns.h"
#include "sqs.h"
#include "ssm.h"
#include "sts.h"
#include "testsupport.h"

static char *body;
static size_t len;
static struct dg_err err;

static void
load(const char *name)
{
    char rel[256];
    free(body);
    snprintf(rel, sizeof(rel), "aws/%s", name);
    body = ts_read_file(ts_data(rel), &len);
    ck_assert_msg(body != NULL, "missing %s", rel);
    dg_err_clear(&err);
}

static void
setup(void)
{
    dg_mem_init();
}

static void
teardown(void)
{
    free(body);
    body = NULL;
}

#define EAST "arn:aws:rds:us-east-1:123456789012:cluster:orders-east"
#define WEST "arn:aws:rds:us-west-2:123456789012:cluster:orders-west"

START_TEST(sqs_replies)
{
    struct sqs_receive_result r;
    struct sqs_batch_result br;
    struct sqs_send_result sr;
    struct svc_map m;
    load("sqs-receive-message.json");
    ck_assert_int_eq(sqs_parse_receive(body, len, &r, &err), DG_OK);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_str_eq(r.messages[0].body, "hello drgate");
    ck_assert_str_eq(r.messages[0].message_id,
                     "b404a8ef-dda4-409e-a737-12192c0fe83e");
    ck_assert_int_eq(r.messages[0].receive_count, 1);
    ck_assert(r.messages[0].sent_timestamp_ms == 1795390876528LL);
    ck_assert_uint_eq(strlen(r.messages[0].receipt_handle), 185);
    sqs_receive_result_cleanup(&r);
    load("sqs-receive-message-empty.json");
    ck_assert_int_eq(sqs_parse_receive(body, len, &r, &err), DG_OK);
    ck_assert_uint_eq(r.n, 0);
    load("sqs-delete-message-batch.json");
    ck_assert_int_eq(sqs_parse_batch(body, len, &br, &err), DG_OK);
    ck_assert_uint_eq(br.n, 2);
    ck_assert_uint_eq(br.failed, 1);
    ck_assert(br.entries[0].ok && strcmp(br.entries[0].id, "0") == 0);
    ck_assert(!br.entries[1].ok && br.entries[1].sender_fault);
    ck_assert_str_eq(br.entries[1].code, "ReceiptHandleIsInvalid");
    sqs_batch_result_cleanup(&br);
    load("sqs-change-message-visibility-batch.json");
    ck_assert_int_eq(sqs_parse_batch(body, len, &br, &err), DG_OK);
    ck_assert_uint_eq(br.failed, 1);
    sqs_batch_result_cleanup(&br);
    load("sqs-change-message-visibility.json");
    ck_assert_int_eq(sqs_parse_empty(body, len, &err), DG_OK);
    load("sqs-get-queue-attributes.json");
    ck_assert_int_eq(sqs_parse_get_queue_attributes(body, len, &m, &err),
                     DG_OK);
    ck_assert_str_eq(svc_map_get(&m, "QueueArn"),
                     "arn:aws:sqs:us-west-2:123456789012:drgate");
    svc_map_cleanup(&m);
    load("sqs-send-message.json");
    ck_assert_int_eq(sqs_parse_send(body, len, "hello drgate", &sr, &err),
                     DG_OK);
    ck_assert_ptr_nonnull(sr.message_id);
    sqs_send_result_cleanup(&sr);
    ck_assert_int_eq(sqs_parse_send(body, len, "hello drgatf", &sr, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "md5_mismatch");
}
END_TEST

/* Malformed SQS bodies: each must be refused with a reason. */
static const struct {
    const char *body;
    const char *code;
} bad_receive[] = {
    {"", "bad_response"},
    {"[]", "bad_response"},
    {"{\"Messages\": {}}", "bad_response"},
    {"{\"Messages\": [1]}", "bad_response"},
    {"{\"Messages\": [{\"MessageId\": \"m\", \"ReceiptHandle\": \"r\", "
     "\"Body\": 5, \"MD5OfBody\": \"x\"}]}",
     "bad_response"},
    {"{\"Messages\": [{\"MessageId\": \"m\", \"ReceiptHandle\": \"r\", "
     "\"Body\": \"hello drgate\"}]}",
     "bad_response"},
    /* MD5 of "hello drgate" is 62798d8f3f2106c796a2536627206a0c */
    {"{\"Messages\": [{\"MessageId\": \"m\", \"ReceiptHandle\": \"r\", "
     "\"Body\": \"hello drgatE\", \"MD5OfBody\": "
     "\"62798d8f3f2106c796a2536627206a0c\"}]}",
     "md5_mismatch"},
    {"{\"Messages\": [{\"MessageId\": \"m\", \"ReceiptHandle\": \"r\", "
     "\"Body\": \"hello drgate\", \"MD5OfBody\": "
     "\"62798d8f3f2106c796a2536627206a0c\", \"Attributes\": "
     "{\"ApproximateReceiveCount\": \"x1\"}}]}",
     "bad_response"},
    {"{\"Messages\": [{},{},{},{},{},{},{},{},{},{},{}]}", "bad_response"},
    {"{\"Messages\": []} trailing", "bad_response"},
};

START_TEST(sqs_bad_receive)
{
    struct sqs_receive_result r;
    const char *b = bad_receive[_i].body;
    dg_err_clear(&err);
    ck_assert_int_eq(sqs_parse_receive(b, strlen(b), &r, &err), DG_EINVALID);
    ck_assert_str_eq(err.code, bad_receive[_i].code);
    ck_assert(err.msg[0] != '\0');
    ck_assert_uint_eq(r.n, 0);
    ck_assert_ptr_null(r.messages);
}
END_TEST

START_TEST(sqs_good_receive_extra_fields)
{
    static const char b[] =
        "{\"Messages\": [{\"MessageId\": \"m\", \"ReceiptHandle\": \"r\", "
        "\"Body\": \"hello drgate\", \"MD5OfBody\": "
        "\"62798d8f3f2106c796a2536627206a0c\", \"Unknown\": [1, {}]}], "
        "\"Extra\": true}";
    struct sqs_receive_result r;
    ck_assert_int_eq(sqs_parse_receive(b, strlen(b), &r, &err), DG_OK);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(r.messages[0].receive_count, 0);
    sqs_receive_result_cleanup(&r);
    ck_assert_int_eq(sqs_parse_batch("{\"Failed\": [{\"Id\": \"1\"}]}", 28,
                                     &(struct sqs_batch_result){0}, &err),
                     DG_EINVALID);
}
END_TEST

START_TEST(sns_replies)
{
    char *id;
    struct svc_map m;
    load("sns-publish.xml");
    ck_assert_int_eq(sns_parse_publish(body, len, &id, &err), DG_OK);
    ck_assert_str_eq(id, "854e0263-1266-4d7b-a2ba-298b51cebcdc");
    dg_free(id);
    load("sns-get-topic-attributes.xml");
    ck_assert_int_eq(sns_parse_get_topic_attributes(body, len, &m, &err),
                     DG_OK);
    ck_assert_str_eq(svc_map_get(&m, "TopicArn"),
                     "arn:aws:sns:us-west-2:123456789012:drgate-events");
    ck_assert_str_eq(svc_map_get(&m, "DisplayName"), "");
    ck_assert_ptr_nonnull(strstr(svc_map_get(&m, "Policy"), "\"Version\""));
    svc_map_cleanup(&m);
    /* an error body is not a reply */
    load("sns-error-not-found.xml");
    ck_assert_int_eq(sns_parse_get_topic_attributes(body, len, &m, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "bad_response");
    ck_assert_ptr_nonnull(strstr(err.msg, "ErrorResponse"));
    static const char no_id[] =
        "<PublishResponse><PublishResult/></PublishResponse>";
    ck_assert_int_eq(sns_parse_publish(no_id, strlen(no_id), &id, &err),
                     DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "MessageId"));
    ck_assert_int_eq(sns_parse_publish("<PublishResponse>", 17, &id, &err),
                     DG_EINVALID);
}
END_TEST

START_TEST(rds_global_clusters)
{
    struct rds_global_clusters l;
    const struct rds_global_cluster *g;
    load("rds-describe-global-clusters.xml");
    ck_assert_int_eq(rds_parse_describe_global_clusters(body, len, &l, &err),
                     DG_OK);
    ck_assert_uint_eq(l.n, 1);
    g = &l.v[0];
    ck_assert_str_eq(g->id, "orders-global");
    ck_assert_str_eq(g->status, "available");
    ck_assert_str_eq(g->engine, "aurora-postgresql");
    ck_assert_str_eq(g->engine_version, "15.4");
    ck_assert_uint_eq(g->nmembers, 2);
    ck_assert(!g->failover.present);
    ck_assert_str_eq(rds_global_cluster_writer(g)->cluster_arn, EAST);
    ck_assert_uint_eq(rds_global_cluster_writer(g)->readers.n, 1);
    ck_assert_str_eq(rds_global_cluster_writer(g)->readers.v[0], WEST);
    ck_assert(!rds_global_cluster_member(g, WEST)->is_writer);
    ck_assert_str_eq(rds_global_cluster_member(g, WEST)->sync_status,
                     "connected");
    ck_assert_ptr_null(l.marker);
    rds_global_clusters_cleanup(&l);

    load("rds-describe-global-clusters-failover-state.xml");
    ck_assert_int_eq(rds_parse_describe_global_clusters(body, len, &l, &err),
                     DG_OK);
    g = &l.v[0];
    ck_assert(g->failover.present);
    ck_assert_str_eq(g->failover.status, "pending");
    ck_assert_str_eq(g->failover.from_arn, EAST);
    ck_assert_str_eq(g->failover.to_arn, WEST);
    ck_assert(!g->failover.data_loss_allowed);
    ck_assert_str_eq(g->status, "switching-over");
    rds_global_clusters_cleanup(&l);

    load("rds-describe-global-clusters-after-switchover.xml");
    ck_assert_int_eq(rds_parse_describe_global_clusters(body, len, &l, &err),
                     DG_OK);
    ck_assert_str_eq(rds_global_cluster_writer(&l.v[0])->cluster_arn, WEST);
    rds_global_clusters_cleanup(&l);
}
END_TEST

START_TEST(rds_single_replies)
{
    struct rds_global_cluster g;
    struct rds_cluster c;
    struct rds_clusters cl;
    struct rds_instances il;
    struct rds_instance in;
    char region[32];
    load("rds-switchover-global-cluster.xml");
    ck_assert_int_eq(rds_parse_global_cluster_reply("SwitchoverGlobalCluster",
                                                    body, len, &g, &err),
                     DG_OK);
    ck_assert_str_eq(g.id, "orders-global");
    rds_global_cluster_cleanup(&g);
    /* the wrong operation's reply is refused */
    ck_assert_int_eq(rds_parse_global_cluster_reply("FailoverGlobalCluster",
                                                    body, len, &g, &err),
                     DG_EINVALID);
    load("rds-failover-global-cluster.xml");
    ck_assert_int_eq(rds_parse_global_cluster_reply("FailoverGlobalCluster",
                                                    body, len, &g, &err),
                     DG_OK);
    ck_assert(g.failover.present && g.failover.data_loss_allowed);
    rds_global_cluster_cleanup(&g);
    load("rds-remove-from-global-cluster.xml");
    ck_assert_int_eq(rds_parse_global_cluster_reply("RemoveFromGlobalCluster",
                                                    body, len, &g, &err),
                     DG_OK);
    rds_global_cluster_cleanup(&g);

    load("rds-describe-db-clusters.xml");
    ck_assert_int_eq(rds_parse_describe_db_clusters(body, len, &cl, &err),
                     DG_OK);
    ck_assert_uint_eq(cl.n, 1);
    ck_assert_str_eq(cl.v[0].id, "orders-west");
    ck_assert_str_eq(cl.v[0].arn, WEST);
    ck_assert_str_eq(cl.v[0].global_cluster_id, "orders-global");
    ck_assert_str_eq(cl.v[0].endpoint,
                     "orders-west.cluster-c0sandbox1234.us-west-2.rds."
                     "amazonaws.com");
    ck_assert_uint_eq(cl.v[0].nmembers, 1);
    ck_assert(!cl.v[0].members[0].is_writer);
    ck_assert_ptr_null(cl.v[0].replication_source);
    rds_clusters_cleanup(&cl);

    load("rds-create-db-cluster.xml");
    ck_assert_int_eq(
        rds_parse_cluster_reply("CreateDBCluster", body, len, &c, &err), DG_OK);
    ck_assert_str_eq(c.id, "capture-c1");
    ck_assert_str_eq(c.status, "creating");
    rds_cluster_cleanup(&c);
    load("rds-create-db-cluster-replica.xml");
    ck_assert_int_eq(
        rds_parse_cluster_reply("CreateDBCluster", body, len, &c, &err), DG_OK);
    ck_assert_str_eq(c.replication_source, WEST);
    rds_cluster_cleanup(&c);
    load("rds-promote-read-replica-db-cluster.xml");
    ck_assert_int_eq(rds_parse_cluster_reply("PromoteReadReplicaDBCluster",
                                             body, len, &c, &err),
                     DG_OK);
    rds_cluster_cleanup(&c);

    load("rds-describe-db-instances.xml");
    ck_assert_int_eq(rds_parse_describe_db_instances(body, len, &il, &err),
                     DG_OK);
    ck_assert_str_eq(il.v[0].read_replica_source,
                     "arn:aws:rds:us-east-1:123456789012:db:orders-reporting");
    ck_assert_str_eq(il.v[0].status, "available");
    rds_instances_cleanup(&il);
    load("rds-promote-read-replica.xml");
    ck_assert_int_eq(
        rds_parse_instance_reply("PromoteReadReplica", body, len, &in, &err),
        DG_OK);
    rds_instance_cleanup(&in);
    load("rds-create-db-instance.xml");
    ck_assert_int_eq(
        rds_parse_instance_reply("CreateDBInstance", body, len, &in, &err),
        DG_OK);
    ck_assert_str_eq(in.cluster_id, "capture-c1");
    rds_instance_cleanup(&in);

    ck_assert(rds_arn_region(WEST, region, sizeof(region)));
    ck_assert_str_eq(region, "us-west-2");
    ck_assert(!rds_arn_region("orders-west", region, sizeof(region)));
    ck_assert(!rds_arn_region("arn:aws:rds::1:global-cluster:g", region,
                              sizeof(region)));
}
END_TEST

static const char *const bad_rds[] = {
    "",
    "not xml",
    "<DescribeGlobalClustersResponse/>",
    "<Other><DescribeGlobalClustersResult/></Other>",
    /* member without DBClusterArn */
    "<DescribeGlobalClustersResponse><DescribeGlobalClustersResult>"
    "<GlobalClusters><GlobalClusterMember><GlobalClusterIdentifier>g"
    "</GlobalClusterIdentifier><Status>available</Status>"
    "<GlobalClusterMembers><GlobalClusterMember><IsWriter>true</IsWriter>"
    "</GlobalClusterMember></GlobalClusterMembers></GlobalClusterMember>"
    "</GlobalClusters></DescribeGlobalClustersResult>"
    "</DescribeGlobalClustersResponse>",
    /* IsWriter not a boolean */
    "<DescribeGlobalClustersResponse><DescribeGlobalClustersResult>"
    "<GlobalClusters><GlobalClusterMember><GlobalClusterIdentifier>g"
    "</GlobalClusterIdentifier><Status>available</Status>"
    "<GlobalClusterMembers><GlobalClusterMember><DBClusterArn>a"
    "</DBClusterArn><IsWriter>yes</IsWriter></GlobalClusterMember>"
    "</GlobalClusterMembers></GlobalClusterMember></GlobalClusters>"
    "</DescribeGlobalClustersResult></DescribeGlobalClustersResponse>",
    /* no Status */
    "<DescribeGlobalClustersResponse><DescribeGlobalClustersResult>"
    "<GlobalClusters><GlobalClusterMember><GlobalClusterIdentifier>g"
    "</GlobalClusterIdentifier></GlobalClusterMember></GlobalClusters>"
    "</DescribeGlobalClustersResult></DescribeGlobalClustersResponse>",
    /* a DOCTYPE is refused */
    "<!DOCTYPE x [<!ENTITY a \"b\">]><DescribeGlobalClustersResponse>"
    "<DescribeGlobalClustersResult/></DescribeGlobalClustersResponse>",
};

START_TEST(rds_bad)
{
    struct rds_global_clusters l;
    dg_err_clear(&err);
    ck_assert_int_eq(rds_parse_describe_global_clusters(
                         bad_rds[_i], strlen(bad_rds[_i]), &l, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "bad_response");
    ck_assert_ptr_nonnull(strstr(err.msg, "DescribeGlobalClusters"));
    ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(rds_bounds)
{
    struct dg_buf b;
    struct rds_global_clusters l;
    dg_buf_init(&b, 1 << 22);
    dg_buf_addstr(&b, "<DescribeGlobalClustersResponse>"
                      "<DescribeGlobalClustersResult><GlobalClusters>");
    for (int i = 0; i < 1001; i++)
        dg_buf_addstr(&b, "<GlobalClusterMember><GlobalClusterIdentifier>g"
                          "</GlobalClusterIdentifier><Status>s</Status>"
                          "</GlobalClusterMember>");
    dg_buf_addstr(&b, "</GlobalClusters></DescribeGlobalClustersResult>"
                      "</DescribeGlobalClustersResponse>");
    ck_assert_int_eq(
        rds_parse_describe_global_clusters(b.data, b.len, &l, &err),
        DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "more than 1000"));
    /* an over-long identifier */
    dg_buf_reset(&b);
    dg_buf_addstr(&b, "<DescribeGlobalClustersResponse>"
                      "<DescribeGlobalClustersResult><GlobalClusters>"
                      "<GlobalClusterMember><GlobalClusterIdentifier>");
    for (int i = 0; i < 3000; i++)
        dg_buf_addc(&b, 'x');
    dg_buf_addstr(&b, "</GlobalClusterIdentifier></GlobalClusterMember>"
                      "</GlobalClusters></DescribeGlobalClustersResult>"
                      "</DescribeGlobalClustersResponse>");
    ck_assert_int_eq(
        rds_parse_describe_global_clusters(b.data, b.len, &l, &err),
        DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "longer than"));
    dg_buf_cleanup(&b);
}
END_TEST

START_TEST(elasticache_replies)
{
    struct elasticache_global_groups l;
    struct elasticache_global_group g;
    struct elasticache_replication_groups rg;
    load("elasticache-describe-global-replication-groups.xml");
    ck_assert_int_eq(elasticache_parse_describe_global_replication_groups(
                         body, len, &l, &err),
                     DG_OK);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.v[0].id, "ldgnf-orders-cache");
    ck_assert_uint_eq(l.v[0].nmembers, 2);
    ck_assert_str_eq(elasticache_global_group_primary(&l.v[0])->region,
                     "us-east-1");
    ck_assert_str_eq(
        elasticache_global_group_primary(&l.v[0])->replication_group_id,
        "orders-cache-east");
    elasticache_global_groups_cleanup(&l);
    load("elasticache-failover-global-replication-group.xml");
    ck_assert_int_eq(elasticache_parse_failover_global_replication_group(
                         body, len, &g, &err),
                     DG_OK);
    ck_assert_str_eq(g.id, "ldgnf-orders-cache");
    elasticache_global_group_cleanup(&g);
    load("elasticache-describe-replication-groups.xml");
    ck_assert_int_eq(
        elasticache_parse_describe_replication_groups(body, len, &rg, &err),
        DG_OK);
    ck_assert_str_eq(rg.v[0].id, "orders-cache-west");
    ck_assert_str_eq(rg.v[0].global_id, "ldgnf-orders-cache");
    ck_assert_str_eq(rg.v[0].global_role, "SECONDARY");
    elasticache_replication_groups_cleanup(&rg);
    /* a member without Role */
    static const char bad[] =
        "<DescribeGlobalReplicationGroupsResponse>"
        "<DescribeGlobalReplicationGroupsResult><GlobalReplicationGroups>"
        "<GlobalReplicationGroup><GlobalReplicationGroupId>x"
        "</GlobalReplicationGroupId><Status>available</Status><Members>"
        "<GlobalReplicationGroupMember><ReplicationGroupId>a"
        "</ReplicationGroupId><ReplicationGroupRegion>r"
        "</ReplicationGroupRegion></GlobalReplicationGroupMember></Members>"
        "</GlobalReplicationGroup></GlobalReplicationGroups>"
        "</DescribeGlobalReplicationGroupsResult>"
        "</DescribeGlobalReplicationGroupsResponse>";
    ck_assert_int_eq(elasticache_parse_describe_global_replication_groups(
                         bad, strlen(bad), &l, &err),
                     DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "Role"));
}
END_TEST

START_TEST(route53_replies)
{
    struct route53_change c;
    struct route53_rrsets l;
    struct route53_zone z;
    load("route53-change-resource-record-sets.xml");
    ck_assert_int_eq(
        route53_parse_change("ChangeResourceRecordSets", body, len, &c, &err),
        DG_OK);
    ck_assert_str_eq(c.id, "C2682N5HXP0BZ4"); /* "/change/" stripped */
    ck_assert_str_eq(c.status, "INSYNC");
    route53_change_cleanup(&c);
    load("route53-get-change.xml"); /* moto: no "/change/" */
    ck_assert_int_eq(route53_parse_change("GetChange", body, len, &c, &err),
                     DG_OK);
    ck_assert_str_eq(c.id, "C2682N5HXP0BZ4");
    route53_change_cleanup(&c);
    load("route53-list-resource-record-sets.xml");
    ck_assert_int_eq(route53_parse_list_rrsets(body, len, &l, &err), DG_OK);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_int_eq(l.v[0].ttl, 60);
    ck_assert_uint_eq(l.v[0].values.n, 1);
    ck_assert_str_eq(l.v[0].values.v[0],
                     "orders-east.cluster-c0sandbox1234.us-east-1.rds."
                     "amazonaws.com");
    ck_assert(!l.truncated);
    ck_assert_ptr_nonnull(
        route53_rrsets_find(&l, "DB.orders.example.internal", "CNAME"));
    ck_assert_ptr_null(
        route53_rrsets_find(&l, "db.orders.example.internal.", "A"));
    route53_rrsets_cleanup(&l);
    load("route53-get-hosted-zone.xml");
    ck_assert_int_eq(route53_parse_get_hosted_zone(body, len, &z, &err), DG_OK);
    ck_assert_str_eq(z.id, "0Y9DKZCWY6IEDB1JWFDMUX");
    ck_assert_str_eq(z.name, "orders.example.internal.");
    ck_assert_int_eq(z.record_count, 3);
    ck_assert(!z.private_zone);
    route53_zone_cleanup(&z);
    load("route53-error-no-such-zone.xml");
    ck_assert_int_eq(route53_parse_get_hosted_zone(body, len, &z, &err),
                     DG_EINVALID);
    static const char odd[] = "<GetChangeResponse><ChangeInfo><Id>C1</Id>"
                              "<Status>DONE</Status></ChangeInfo>"
                              "</GetChangeResponse>";
    ck_assert_int_eq(
        route53_parse_change("GetChange", odd, strlen(odd), &c, &err),
        DG_EINVALID);
}
END_TEST

START_TEST(ecs_replies)
{
    struct ecs_services s;
    const struct ecs_deployment *d;
    load("ecs-describe-services.json");
    ck_assert_int_eq(ecs_parse_describe_services(body, len, &s, &err), DG_OK);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_str_eq(s.v[0].name, "orders-api");
    ck_assert_str_eq(s.v[0].status, "ACTIVE");
    ck_assert_int_eq(s.v[0].desired, 2);
    d = ecs_service_primary(&s.v[0]);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->rollout_state, "IN_PROGRESS");
    ck_assert(d->created_at_ms == 1795390876711LL);
    ck_assert_uint_eq(s.nfailures, 1);
    ck_assert_str_eq(s.failures[0].reason, "MISSING");
    ecs_services_cleanup(&s);
    load("ecs-update-service.json");
    ck_assert_int_eq(ecs_parse_update_service(body, len, &s, &err), DG_OK);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_uint_eq(s.v[0].ndeployments, 1);
    ck_assert_str_eq(ecs_service_primary(&s.v[0])->status, "PRIMARY");
    ecs_services_cleanup(&s);
    static const char bad[] =
        "{\"services\": [{\"serviceName\": \"a\", \"status\": \"ACTIVE\", "
        "\"deployments\": [{\"id\": \"d\", \"status\": \"PRIMARY\", "
        "\"createdAt\": \"yesterday\"}]}]}";
    ck_assert_int_eq(ecs_parse_describe_services(bad, strlen(bad), &s, &err),
                     DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "createdAt"));
    ck_assert_int_eq(ecs_parse_update_service("{}", 2, &s, &err), DG_EINVALID);
}
END_TEST

START_TEST(cfn_ssm_sts_replies)
{
    struct cfn_exports e = {0};
    struct ssm_parameter p;
    struct sts_identity id;
    load("cfn-list-exports.xml");
    ck_assert_int_eq(cfn_parse_list_exports(body, len, &e, &err), DG_OK);
    ck_assert_str_eq(
        svc_map_get(&e.exports, "dr-globaldb-cluster-global-identifier"),
        "orders-global");
    ck_assert_ptr_null(e.next_token);
    size_t n = e.exports.n;
    ck_assert_uint_gt(n, 20);
    /* a second page appends */
    static const char page[] =
        "<ListExportsResponse><ListExportsResult><Exports><member>"
        "<Name>p2</Name><Value>v2</Value></member></Exports>"
        "<NextToken>t3</NextToken></ListExportsResult></ListExportsResponse>";
    ck_assert_int_eq(cfn_parse_list_exports(page, strlen(page), &e, &err),
                     DG_OK);
    ck_assert_uint_eq(e.exports.n, n + 1);
    ck_assert_str_eq(e.next_token, "t3");
    cfn_exports_cleanup(&e);
    static const char nameless[] =
        "<ListExportsResponse><ListExportsResult><Exports><member>"
        "<Value>v2</Value></member></Exports></ListExportsResult>"
        "</ListExportsResponse>";
    ck_assert_int_eq(
        cfn_parse_list_exports(nameless, strlen(nameless), &e, &err),
        DG_EINVALID);
    cfn_exports_cleanup(&e);

    load("ssm-get-parameter.json");
    ck_assert_int_eq(ssm_parse_get_parameter(body, len, &p, &err), DG_OK);
    ck_assert_str_eq(p.value, "us-west-2");
    ck_assert(!p.secure);
    ssm_parameter_cleanup(&p);
    load("ssm-get-parameter-secure.json");
    ck_assert_int_eq(ssm_parse_get_parameter(body, len, &p, &err), DG_OK);
    ck_assert(p.secure);
    ck_assert_str_eq(p.value, "s3cr3t");
    ssm_parameter_cleanup(&p);
    ck_assert_int_eq(ssm_parse_get_parameter("{\"Parameter\": {\"Name\": "
                                             "\"n\", \"Type\": \"String\", "
                                             "\"Value\": 1}}",
                                             61, &p, &err),
                     DG_EINVALID);
    ck_assert_ptr_null(strstr(err.msg, "1}")); /* never quotes values */

    load("sts-get-caller-identity.xml");
    ck_assert_int_eq(sts_parse_get_caller_identity(body, len, &id, &err),
                     DG_OK);
    ck_assert_str_eq(id.account, "123456789012");
    ck_assert_str_eq(id.arn, "arn:aws:sts::123456789012:user/moto");
    sts_identity_cleanup(&id);
    ck_assert_int_eq(sts_parse_get_caller_identity(
                         "<GetCallerIdentityResponse><GetCallerIdentityResult>"
                         "</GetCallerIdentityResult>"
                         "</GetCallerIdentityResponse>",
                         100, &id, &err),
                     DG_EINVALID);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("svc_parsers");
    TCase *tc = tcase_create("parsers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sqs_replies);
    tcase_add_loop_test(tc, sqs_bad_receive, 0,
                        sizeof(bad_receive) / sizeof(bad_receive[0]));
    tcase_add_test(tc, sqs_good_receive_extra_fields);
    tcase_add_test(tc, sns_replies);
    tcase_add_test(tc, rds_global_clusters);
    tcase_add_test(tc, rds_single_replies);
    tcase_add_loop_test(tc, rds_bad, 0, sizeof(bad_rds) / sizeof(bad_rds[0]));
    tcase_add_test(tc, rds_bounds);
    tcase_add_test(tc, elasticache_replies);
    tcase_add_test(tc, route53_replies);
    tcase_add_test(tc, ecs_replies);
    tcase_add_test(tc, cfn_ssm_sts_replies);
    suite_add_tcase(s, tc);
    return ts_run(s);
}
