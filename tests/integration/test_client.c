/*
 * test_client.c - the AWS call pipeline against real stand-ins, with
 * signatures checked for real:
 *   moto (IAM key, INITIAL_NO_AUTH_ACTION_COUNT reset to 0 after setup):
 *     SQS (JSON 1.0), SNS (query), ECS and SSM (JSON 1.1), CloudFormation
 *     (query), STS GetCallerIdentity (query); wrong secrets.
 *   the simulator with --verify-signatures: RDS DescribeGlobalClusters.
 *   sigproxy (botocore's SigV4Auth) in front of a moto without auth:
 *     Route53 (REST-XML), GET and POST.
 * Endpoints come through the injected environment (AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_<SERVICE>), as in production.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <event2/event.h>

#include "aws_core_util.h"
#include "client.h"
#include "creds.h"
#include "http.h"
#include "mem.h"
#include "testsupport.h"

struct result {
    int calls;
    int in_call;
    int sync_completion;
    dg_rc rc;
    long status;
    int attempts;
    struct dg_err err;
    char body[16384];
    char request_id[128];
};

static void
on_done(const struct aws_response *resp, dg_rc rc, const struct dg_err *err,
        void *ctx)
{
    struct result *r = ctx;
    r->calls++;
    if (r->in_call)
        r->sync_completion = 1;
    r->rc = rc;
    if (err)
        r->err = *err;
    if (resp) {
        r->status = resp->status;
        r->attempts = resp->attempts;
        snprintf(r->body, sizeof(r->body), "%s", resp->body);
        snprintf(r->request_id, sizeof(r->request_id), "%s", resp->request_id);
    }
}

struct env_map {
    const char *aws;   /* AWS_ENDPOINT_URL */
    const char *rds;   /* AWS_ENDPOINT_URL_RDS */
    const char *route; /* AWS_ENDPOINT_URL_ROUTE_53 */
};

static const char *
fake_env(const char *name, void *ctx)
{
    const struct env_map *m = ctx;
    if (strcmp(name, "AWS_ENDPOINT_URL") == 0)
        return m->aws;
    if (strcmp(name, "AWS_ENDPOINT_URL_RDS") == 0)
        return m->rds;
    if (strcmp(name, "AWS_ENDPOINT_URL_ROUTE_53") == 0)
        return m->route;
    return NULL;
}

struct fixture {
    struct event_base *base;
    struct http_engine *http;
    struct aws_creds_provider *prov;
    struct aws_client *c;
    struct env_map env;
};

static struct fixture F;

static void
make_client(const char *secret)
{
    struct aws_creds *cr =
        aws_creds_new(acu_env("AWSCORE_AK"), secret, NULL, 0, "static");
    F.prov = aws_creds_static_new(F.base, cr);
    aws_creds_unref(cr);
    F.env.aws = acu_env("AWSCORE_MOTO_URL");
    F.env.rds = acu_env("AWSCORE_SIM_URL");
    F.env.route = acu_env("AWSCORE_SIGPROXY_URL");
    struct aws_client_opts o = {
        .region = "us-east-1",
        .max_attempts = 2,
        .env = fake_env,
        .hook_ctx = &F.env,
        .retry_base_ms = 50,
    };
    F.c = aws_client_new(F.base, F.http, F.prov, &o);
}

static void
setup(void)
{
    dg_mem_init();
    F.base = event_base_new();
    F.http = http_engine_new(F.base, NULL);
    make_client(acu_env("AWSCORE_SK"));
}

static void
teardown(void)
{
    aws_client_free(F.c);
    http_engine_free(F.http); /* completes orphaned HTTP calls */
    event_base_loop(F.base, EVLOOP_NONBLOCK);
    aws_creds_provider_free(F.prov);
    event_base_free(F.base);
}

static void
call(struct result *r, const struct aws_service *svc, const char *region,
     const char *op, const char *body)
{
    memset(r, 0, sizeof(*r));
    struct aws_request req = {
        .svc = svc,
        .region = region,
        .operation = op,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .idempotent = 1,
    };
    r->in_call = 1;
    aws_call(F.c, &req, on_done, r);
    r->in_call = 0;
    ck_assert_int_eq(r->calls, 0);
    ck_assert_msg(acu_run_until(F.base, &r->calls, 1, 20000), "no completion");
    ck_assert_int_eq(r->sync_completion, 0);
}

#define ASSERT_OK(r)                                                           \
    ck_assert_msg((r)->rc == DG_OK, "rc %s code %s: %s (HTTP %ld)",            \
                  dg_rc_name((r)->rc), (r)->err.code, (r)->err.msg,            \
                  (r)->err.http_status)

START_TEST(sqs_json)
{
    struct result r;
    call(&r, &aws_svc_sqs, NULL, "CreateQueue",
         "{\"QueueName\":\"awscore-q\"}");
    ASSERT_OK(&r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "awscore-q"));
    /* A modeled error through the query-compatible header. */
    call(&r, &aws_svc_sqs, NULL, "GetQueueUrl",
         "{\"QueueName\":\"no-such-queue\"}");
    ck_assert_int_eq(r.rc, DG_EREMOTE);
    ck_assert_str_eq(r.err.code, "AWS.SimpleQueueService.NonExistentQueue");
    ck_assert_int_eq(r.err.http_status, 400);
    ck_assert_int_eq(r.attempts, 1);
}
END_TEST

START_TEST(sns_query)
{
    struct result r;
    struct dg_buf b;
    dg_buf_init(&b, 1024);
    ck_assert_int_eq(aws_query_add(&b, "Name", "awscore-topic"), DG_OK);
    call(&r, &aws_svc_sns, "us-west-2", "CreateTopic", dg_buf_str(&b));
    dg_buf_cleanup(&b);
    ASSERT_OK(&r);
    ck_assert_ptr_nonnull(
        strstr(r.body, "arn:aws:sns:us-west-2:123456789012:awscore-topic"));
    call(&r, &aws_svc_sns, "us-west-2", "ListTopics", NULL);
    ASSERT_OK(&r);
    ck_assert_ptr_nonnull(strstr(r.body, "awscore-topic"));
}
END_TEST

START_TEST(ecs_ssm_json11)
{
    struct result r;
    call(&r, &aws_svc_ecs, NULL, "CreateCluster",
         "{\"clusterName\":\"awscore-c\"}");
    ASSERT_OK(&r);
    ck_assert_ptr_nonnull(strstr(r.body, "awscore-c"));
    call(&r, &aws_svc_ssm, NULL, "PutParameter",
         "{\"Name\":\"/drgatetest/p\",\"Value\":\"v1\",\"Type\":\"String\"}");
    ASSERT_OK(&r);
    call(&r, &aws_svc_ssm, NULL, "GetParameter",
         "{\"Name\":\"/drgatetest/p\"}");
    ASSERT_OK(&r);
    ck_assert_ptr_nonnull(strstr(r.body, "\"v1\""));
    call(&r, &aws_svc_ssm, NULL, "GetParameter",
         "{\"Name\":\"/drgatetest/nope\"}");
    ck_assert_int_eq(r.rc, DG_EREMOTE);
    ck_assert_str_eq(r.err.code, "ParameterNotFound");
}
END_TEST

START_TEST(cloudformation_query)
{
    struct result r;
    call(&r, &aws_svc_cloudformation, NULL, "ListExports", NULL);
    ASSERT_OK(&r);
    ck_assert_ptr_nonnull(strstr(r.body, "ListExportsResult"));
    struct dg_buf b;
    dg_buf_init(&b, 1024);
    aws_query_add(&b, "StackName", "no-such-stack");
    call(&r, &aws_svc_cloudformation, NULL, "DescribeStacks", dg_buf_str(&b));
    dg_buf_cleanup(&b);
    ck_assert_int_eq(r.rc, DG_EREMOTE);
    ck_assert_str_eq(r.err.code, "ValidationError");
}
END_TEST

START_TEST(sts_caller_identity)
{
    struct result r;
    call(&r, &aws_svc_sts, NULL, "GetCallerIdentity", NULL);
    ASSERT_OK(&r);
    ck_assert_ptr_nonnull(strstr(r.body, "user/drgate-test"));
}
END_TEST

START_TEST(wrong_secret)
{
    aws_client_free(F.c);
    aws_creds_provider_free(F.prov);
    make_client("not-the-secret");
    struct result r;
    call(&r, &aws_svc_sns, NULL, "ListTopics", NULL);
    ck_assert_int_eq(r.rc, DG_EREMOTE);
    ck_assert_str_eq(r.err.code, "SignatureDoesNotMatch");
    ck_assert_int_eq(r.err.http_status, 403);
    ck_assert_int_eq(r.attempts, 1); /* the clock is right: not retried */
    call(&r, &aws_svc_sqs, NULL, "ListQueues", NULL);
    ck_assert_int_eq(r.rc, DG_EREMOTE);
    ck_assert_str_eq(r.err.code, "SignatureDoesNotMatch");
    call(&r, &aws_svc_rds, NULL, "DescribeGlobalClusters", NULL);
    ck_assert_int_eq(r.rc, DG_EREMOTE);
    ck_assert_str_eq(r.err.code, "SignatureDoesNotMatch");
    call(&r, &aws_svc_route53, NULL, "ListHostedZones", NULL);
    ck_assert_int_eq(r.rc, DG_EREMOTE);
    ck_assert_str_eq(r.err.code, "SignatureDoesNotMatch");
}
END_TEST

START_TEST(rds_simulator)
{
    struct result r;
    call(&r, &aws_svc_rds, "us-east-1", "DescribeGlobalClusters", NULL);
    ASSERT_OK(&r);
    ck_assert_ptr_nonnull(strstr(r.body, "orders-global"));
    struct dg_buf b;
    dg_buf_init(&b, 1024);
    aws_query_add(&b, "GlobalClusterIdentifier", "orders-global");
    aws_query_add(&b, "TargetDbClusterIdentifier", "not-a-member");
    memset(&r, 0, sizeof(r));
    struct aws_request req = {.svc = &aws_svc_rds,
                              .region = "us-east-1",
                              .operation = "SwitchoverGlobalCluster",
                              .body = dg_buf_str(&b),
                              .body_len = b.len};
    aws_call(F.c, &req, on_done, &r);
    ck_assert(acu_run_until(F.base, &r.calls, 1, 20000));
    dg_buf_cleanup(&b);
    ck_assert_int_eq(r.rc, DG_EREMOTE);
    ck_assert_str_eq(r.err.code, "DBClusterNotFoundFault");
    ck_assert_str_ne(r.err.request_id, "");
}
END_TEST

START_TEST(route53_rest_xml)
{
    struct result r;
    memset(&r, 0, sizeof(r));
    const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                      "<CreateHostedZoneRequest "
                      "xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
                      "<Name>awscore.example.internal.</Name>"
                      "<CallerReference>awscore-1</CallerReference>"
                      "</CreateHostedZoneRequest>";
    struct aws_request req = {.svc = &aws_svc_route53,
                              .operation = "CreateHostedZone",
                              .method = "POST",
                              .path = "/2013-04-01/hostedzone",
                              .body = xml,
                              .body_len = strlen(xml)};
    aws_call(F.c, &req, on_done, &r);
    ck_assert(acu_run_until(F.base, &r.calls, 1, 20000));
    ASSERT_OK(&r);
    ck_assert_int_eq(r.status, 201);
    memset(&r, 0, sizeof(r));
    struct aws_request list = {.svc = &aws_svc_route53,
                               .operation = "ListHostedZonesByName",
                               .method = "GET",
                               .path = "/2013-04-01/hostedzonesbyname",
                               .query = "dnsname=awscore.example.internal.",
                               .idempotent = 1};
    aws_call(F.c, &list, on_done, &r);
    ck_assert(acu_run_until(F.base, &r.calls, 1, 20000));
    ASSERT_OK(&r);
    ck_assert_ptr_nonnull(strstr(r.body, "awscore.example.internal."));
}
END_TEST

START_TEST(free_cancels)
{
    struct result r[3];
    memset(r, 0, sizeof(r));
    struct aws_request req = {
        .svc = &aws_svc_sts, .operation = "GetCallerIdentity", .idempotent = 1};
    aws_call(F.c, &req, on_done, &r[0]); /* waiting: timer */
    aws_call(F.c, &req, on_done, &r[1]);
    event_base_loop(F.base, EVLOOP_ONCE | EVLOOP_NONBLOCK); /* creds */
    aws_call(F.c, &req, on_done, &r[2]);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(r[i].calls, 0);
    aws_client_free(F.c);
    F.c = NULL;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(r[i].calls, 1);
        ck_assert_int_eq(r[i].rc, DG_ECANCELLED);
    }
    int never = 0;
    acu_run_until(F.base, &never, 1, 300); /* orphans drain, no callbacks */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(r[i].calls, 1);
}
END_TEST

START_TEST(stats)
{
    struct result r;
    call(&r, &aws_svc_sts, NULL, "GetCallerIdentity", NULL);
    ASSERT_OK(&r);
    call(&r, &aws_svc_ssm, NULL, "GetParameter", "{\"Name\":\"/none\"}");
    const struct aws_call_stats *s = aws_client_stats(F.c);
    ck_assert_uint_eq(s->calls, 2);
    ck_assert_uint_eq(s->ok, 1);
    ck_assert_uint_eq(s->remote_errors, 1);
    ck_assert_uint_eq(s->retries, 0);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("moto");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, sqs_json);
    tcase_add_test(tc, sns_query);
    tcase_add_test(tc, ecs_ssm_json11);
    tcase_add_test(tc, cloudformation_query);
    tcase_add_test(tc, sts_caller_identity);
    tcase_add_test(tc, wrong_secret);
    tcase_add_test(tc, rds_simulator);
    tcase_add_test(tc, route53_rest_xml);
    tcase_add_test(tc, free_cancels);
    tcase_add_test(tc, stats);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
