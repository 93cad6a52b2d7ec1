/*
 * test_svc_builders.c - every AWS service request builder against what
 * botocore serializes for the same parameters (tests/data/aws/requests.tsv,
 * written by gen_requests.py): query and REST-XML bodies byte for byte,
 * JSON documents after canonicalization (botocore adds spaces). Plus the
 * refusals of bad requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "cfn.h"
#include "ecs.h"
#include "elasticache.h"
#include "json.h"
#include "mem.h"
#include "rds.h"
#include "route53.h"
#include "sns.h"
#include "sqs.h"
#include "ssm.h"
#include "testsupport.h"

#define Q "http://127.0.0.1:4566/123456789012/drgate"
#define WEST_ARN "arn:aws:rds:us-west-2:123456789012:cluster:orders-west"

struct expect {
    char name[128];
    char proto[16];
    char body[8192];
};

static struct expect expects[64];
static size_t nexpects;

static void
load_expects(void)
{
    char *text;
    size_t len;
    char *line, *save = NULL;
    if (nexpects)
        return;
    text = ts_read_file(ts_data("aws/requests.tsv"), &len);
    ck_assert_msg(text != NULL, "tests/data/aws/requests.tsv is missing");
    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        struct expect *e = &expects[nexpects++];
        char *t1 = strchr(line, '\t'), *t2;
        ck_assert_ptr_nonnull(t1);
        t2 = strchr(t1 + 1, '\t');
        ck_assert_ptr_nonnull(t2);
        snprintf(e->name, sizeof(e->name), "%.*s", (int)(t1 - line), line);
        snprintf(e->proto, sizeof(e->proto), "%.*s", (int)(t2 - t1 - 1),
                 t1 + 1);
        snprintf(e->body, sizeof(e->body), "%s", t2 + 1);
        /* \n escapes back to newlines (JSON bodies keep theirs escaped) */
    }
    free(text);
    ck_assert_uint_eq(nexpects, 32); /* a missing data set fails loudly */
}

static const struct expect *
find(const char *name)
{
    load_expects();
    for (size_t i = 0; i < nexpects; i++)
        if (strcmp(expects[i].name, name) == 0)
            return &expects[i];
    ck_abort_msg("no expectation %s", name);
    return NULL;
}

static char *
canonical(const char *s)
{
    struct dg_err err;
    cJSON *j = dg_json_parse(s, strlen(s), 1 << 20, 64, &err);
    char *c;
    ck_assert_msg(j != NULL, "not JSON: %s", s);
    c = dg_json_canonical_str(j, 1 << 20);
    cJSON_Delete(j);
    return c;
}

static void
same(const char *name, const struct dg_buf *b)
{
    const struct expect *e = find(name);
    if (strcmp(e->proto, "json") == 0) {
        char *want = canonical(e->body), *got = canonical(dg_buf_str(b));
        ck_assert_msg(strcmp(want, got) == 0, "%s:\n got  %s\n want %s", name,
                      got, want);
        dg_free(want);
        dg_free(got);
    } else {
        ck_assert_msg(strcmp(e->body, dg_buf_str(b)) == 0,
                      "%s:\n got  %s\n want %s", name, dg_buf_str(b), e->body);
    }
}

static void
same_http(const char *name, const struct route53_http *h,
          const struct dg_buf *body)
{
    const struct expect *e = find(name);
    char got[8192];
    snprintf(got, sizeof(got), "%s%s%s\t%s", h->path, h->query[0] ? "?" : "",
             h->query, body ? dg_buf_str(body) : "");
    ck_assert_msg(strcmp(e->body, got) == 0, "%s:\n got  %s\n want %s", name,
                  got, e->body);
}

static struct dg_buf b;
static struct dg_err err;

static void
setup(void)
{
    dg_mem_init();
    dg_buf_init(&b, 1 << 20);
    dg_err_clear(&err);
}

static void
teardown(void)
{
    dg_buf_cleanup(&b);
}

START_TEST(sqs_requests)
{
    struct sqs_receive_params rp = {Q, 10, 20, 60};
    struct sqs_entry del[] = {{"0", "rh-0", 0}, {"1", "rh/1+==", 0}};
    struct sqs_entry vis[] = {{"a", "rh-0", 30}};
    ck_assert_int_eq(sqs_build_receive(&rp, &b, &err), DG_OK);
    same("sqs-receive", &b);
    ck_assert_int_eq(sqs_build_delete_batch(Q, del, 2, &b, &err), DG_OK);
    same("sqs-delete-batch", &b);
    ck_assert_int_eq(sqs_build_change_visibility(Q, "rh-0", 0, &b, &err),
                     DG_OK);
    same("sqs-change-visibility", &b);
    ck_assert_int_eq(sqs_build_change_visibility_batch(Q, vis, 1, &b, &err),
                     DG_OK);
    same("sqs-change-visibility-batch", &b);
    ck_assert_int_eq(sqs_build_get_queue_attributes(Q, NULL, 0, &b, &err),
                     DG_OK);
    same("sqs-get-queue-attributes", &b);
    ck_assert_int_eq(sqs_build_send(Q, "h\xc3\xa9llo \"drgate\"\n", &b, &err),
                     DG_OK);
    same("sqs-send", &b);
}
END_TEST

START_TEST(sqs_refusals)
{
    struct sqs_receive_params rp = {Q, 11, 20, -1};
    struct sqs_entry e[11];
    ck_assert_int_eq(sqs_build_receive(&rp, &b, &err), DG_EINVALID);
    ck_assert_str_eq(err.code, "bad_request");
    rp.max_messages = 1;
    rp.wait_seconds = 21;
    ck_assert_int_eq(sqs_build_receive(&rp, &b, &err), DG_EINVALID);
    rp.wait_seconds = 0;
    rp.queue_url = NULL;
    ck_assert_int_eq(sqs_build_receive(&rp, &b, &err), DG_EINVALID);
    for (int i = 0; i < 11; i++)
        e[i] = (struct sqs_entry){"x", "rh", 0};
    ck_assert_int_eq(sqs_build_delete_batch(Q, e, 11, &b, &err), DG_EINVALID);
    ck_assert_int_eq(sqs_build_delete_batch(Q, e, 0, &b, &err), DG_EINVALID);
    /* duplicate ids */
    ck_assert_int_eq(sqs_build_delete_batch(Q, e, 2, &b, &err), DG_EINVALID);
    ck_assert_int_eq(sqs_build_change_visibility(Q, "rh", 43201, &b, &err),
                     DG_EINVALID);
    ck_assert_int_eq(sqs_build_send(Q, "", &b, &err), DG_EINVALID);
}
END_TEST

START_TEST(sns_requests)
{
    struct sns_attr attrs[] = {{"type", "String", "drgate.plan.proposed"},
                               {"severity", "String", "high"}};
    struct sns_publish_params p = {
        "arn:aws:sns:us-west-2:123456789012:drgate-events",
        "{\"a\": 1} & ~x",
        "drgate plan",
        1,
        attrs,
        2};
    ck_assert_int_eq(sns_build_publish(&p, &b, &err), DG_OK);
    same("sns-publish", &b);
    ck_assert_int_eq(
        sns_build_get_topic_attributes(
            "arn:aws:sns:us-west-2:123456789012:drgate-events", &b, &err),
        DG_OK);
    same("sns-get-topic-attributes", &b);
    p.nattrs = 11;
    ck_assert_int_eq(sns_build_publish(&p, &b, &err), DG_EINVALID);
    p.nattrs = 0;
    p.subject = "";
    ck_assert_int_eq(sns_build_publish(&p, &b, &err), DG_EINVALID);
    p.subject = NULL;
    p.message = NULL;
    ck_assert_int_eq(sns_build_publish(&p, &b, &err), DG_EINVALID);
}
END_TEST

START_TEST(rds_requests)
{
    static const char *const sgs[] = {"sg-1", "sg-2"};
    struct rds_create_cluster_params cp = {.cluster_id = "orders-east-2",
                                           .engine = "aurora-postgresql",
                                           .engine_version = "15.4",
                                           .global_cluster_id = "orders-global",
                                           .db_subnet_group =
                                               "orders-db-subnets",
                                           .vpc_security_group_ids = sgs,
                                           .nvpc_security_group_ids = 2,
                                           .kms_key_id = "alias/aws/rds",
                                           .port = 5432,
                                           .backup_retention = 7,
                                           .storage_encrypted = 1,
                                           .deletion_protection = 0,
                                           .iam_auth = -1,
                                           .copy_tags_to_snapshot = -1};
    struct rds_create_instance_params ip = {
        "orders-east-2-instance-1",
        "orders-east-2",
        "db.r6g.large",
        "aurora-postgresql",
        60,
        "arn:aws:iam::123456789012:role/rds-monitoring-role",
        -1};
    ck_assert_int_eq(
        rds_build_describe_global_clusters("orders-global", NULL, &b, &err),
        DG_OK);
    same("rds-describe-global-clusters", &b);
    ck_assert_int_eq(rds_build_describe_db_clusters(WEST_ARN, "m1", &b, &err),
                     DG_OK);
    same("rds-describe-db-clusters", &b);
    ck_assert_int_eq(rds_build_describe_db_instances("orders-reporting-replica",
                                                     NULL, &b, &err),
                     DG_OK);
    same("rds-describe-db-instances", &b);
    ck_assert_int_eq(rds_build_failover_global_cluster(
                         "orders-global", WEST_ARN, 1, -1, &b, &err),
                     DG_OK);
    same("rds-failover-global-cluster", &b);
    ck_assert_int_eq(rds_build_failover_global_cluster(
                         "orders-global", "orders-west", -1, 1, &b, &err),
                     DG_OK);
    same("rds-failover-switchover", &b);
    ck_assert_int_eq(rds_build_switchover_global_cluster("orders-global",
                                                         WEST_ARN, &b, &err),
                     DG_OK);
    same("rds-switchover-global-cluster", &b);
    ck_assert_int_eq(rds_build_remove_from_global_cluster("orders-global",
                                                          WEST_ARN, &b, &err),
                     DG_OK);
    same("rds-remove-from-global-cluster", &b);
    ck_assert_int_eq(rds_build_create_db_cluster(&cp, &b, &err), DG_OK);
    same("rds-create-db-cluster", &b);
    ck_assert_int_eq(rds_build_create_db_instance(&ip, &b, &err), DG_OK);
    same("rds-create-db-instance", &b);
    ck_assert_int_eq(
        rds_build_promote_read_replica("orders-reporting-replica", 7, &b, &err),
        DG_OK);
    same("rds-promote-read-replica", &b);
    ck_assert_int_eq(
        rds_build_promote_read_replica_db_cluster("orders-west", &b, &err),
        DG_OK);
    same("rds-promote-read-replica-db-cluster", &b);
    /* refusals */
    ck_assert_int_eq(
        rds_build_failover_global_cluster("g", "t", 1, 1, &b, &err),
        DG_EINVALID);
    ck_assert_int_eq(rds_build_switchover_global_cluster("g", "", &b, &err),
                     DG_EINVALID);
    cp.engine = NULL;
    ck_assert_int_eq(rds_build_create_db_cluster(&cp, &b, &err), DG_EINVALID);
    ck_assert_int_eq(rds_build_describe_global_clusters("", NULL, &b, &err),
                     DG_EINVALID);
}
END_TEST

START_TEST(elasticache_requests)
{
    ck_assert_int_eq(elasticache_build_describe_global_replication_groups(
                         "ldgnf-orders-cache", NULL, &b, &err),
                     DG_OK);
    same("elasticache-describe-global-replication-groups", &b);
    ck_assert_int_eq(
        elasticache_build_failover_global_replication_group(
            "ldgnf-orders-cache", "us-west-2", "orders-cache-west", &b, &err),
        DG_OK);
    same("elasticache-failover-global-replication-group", &b);
    ck_assert_int_eq(elasticache_build_describe_replication_groups(
                         "orders-cache-west", NULL, &b, &err),
                     DG_OK);
    same("elasticache-describe-replication-groups", &b);
    ck_assert_int_eq(elasticache_build_failover_global_replication_group(
                         "g", NULL, "x", &b, &err),
                     DG_EINVALID);
}
END_TEST

START_TEST(route53_requests)
{
    static const char *const values[] = {
        "orders-west.cluster-x.us-west-2.rds.amazonaws.com"};
    struct route53_record r = {"db.orders.example.internal.", "CNAME", 60,
                               values, 1};
    struct route53_http h;
    ck_assert_int_eq(route53_build_upsert("/hostedzone/Z0123ABC", &r,
                                          "drgate <plan> & co", &h, &b, &err),
                     DG_OK);
    ck_assert_str_eq(h.method, "POST");
    same_http("route53-upsert", &h, &b);
    ck_assert_int_eq(
        route53_build_get_change("/change/C2682N5HXP0BZ4", &h, &err), DG_OK);
    same_http("route53-get-change", &h, NULL);
    ck_assert_int_eq(route53_build_get_change("C2682N5HXP0BZ4", &h, &err),
                     DG_OK);
    same_http("route53-get-change", &h, NULL);
    ck_assert_int_eq(route53_build_list_rrsets("Z0123ABC",
                                               "db.orders.example.internal.",
                                               "CNAME", 1, &h, &err),
                     DG_OK);
    ck_assert_str_eq(h.method, "GET");
    same_http("route53-list-rrsets", &h, NULL);
    ck_assert_int_eq(route53_build_get_hosted_zone("Z0123ABC", &h, &err),
                     DG_OK);
    same_http("route53-get-hosted-zone", &h, NULL);
    /* refusals: ids that would escape the path, bad values */
    ck_assert_int_eq(route53_build_get_hosted_zone("../x", &h, &err),
                     DG_EINVALID);
    ck_assert_int_eq(route53_build_get_change("", &h, &err), DG_EINVALID);
    r.ttl = -1;
    ck_assert_int_eq(route53_build_upsert("Z1", &r, NULL, &h, &b, &err),
                     DG_EINVALID);
    r.ttl = 60;
    r.nvalues = 0;
    ck_assert_int_eq(route53_build_upsert("Z1", &r, NULL, &h, &b, &err),
                     DG_EINVALID);
    r.nvalues = 1;
    ck_assert_int_eq(route53_build_upsert("Z1", &r, "a\001b", &h, &b, &err),
                     DG_EINVALID);
    ck_assert_str_eq(route53_strip_id("/hostedzone/Z9"), "Z9");
    ck_assert_str_eq(route53_strip_id("/change/C9"), "C9");
    ck_assert_str_eq(route53_strip_id("C9"), "C9");
}
END_TEST

START_TEST(other_requests)
{
    static const char *const svcs[] = {"orders-api", "other"};
    ck_assert_int_eq(
        ecs_build_update_service("orders-west", "orders-api", 1, &b, &err),
        DG_OK);
    same("ecs-update-service", &b);
    ck_assert_int_eq(
        ecs_build_describe_services("orders-west", svcs, 2, &b, &err), DG_OK);
    same("ecs-describe-services", &b);
    ck_assert_int_eq(
        ecs_build_describe_services("orders-west", svcs, 0, &b, &err),
        DG_EINVALID);
    ck_assert_int_eq(cfn_build_list_exports(NULL, &b, &err), DG_OK);
    same("cfn-list-exports", &b);
    ck_assert_int_eq(cfn_build_list_exports("tok/en+1", &b, &err), DG_OK);
    same("cfn-list-exports-next", &b);
    ck_assert_int_eq(ssm_build_get_parameter("/drgate/sandbox/x", 1, &b, &err),
                     DG_OK);
    same("ssm-get-parameter", &b);
    ck_assert_int_eq(ssm_build_get_parameter("", 1, &b, &err), DG_EINVALID);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("svc_builders");
    TCase *tc = tcase_create("builders");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sqs_requests);
    tcase_add_test(tc, sqs_refusals);
    tcase_add_test(tc, sns_requests);
    tcase_add_test(tc, rds_requests);
    tcase_add_test(tc, elasticache_requests);
    tcase_add_test(tc, route53_requests);
    tcase_add_test(tc, other_requests);
    suite_add_tcase(s, tc);
    return ts_run(s);
}
