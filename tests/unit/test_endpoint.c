/*
 * test_endpoint.c - endpoint precedence (config > AWS_ENDPOINT_URL_<ID> >
 * AWS_ENDPOINT_URL > standard), partitions, global services, signing
 * regions, refused overrides, the service table, and http_url_allowed.
 */
#include <string.h>

#include <check.h>

#include "config.h"
#include "endpoint.h"
#include "http.h"
#include "testsupport.h"

/* "NAME=value" pairs, NULL-terminated. */
static const char *
table_env(const char *name, void *ctx)
{
    const char *const *kv = ctx;
    size_t n = strlen(name);
    for (; kv && *kv; kv++)
        if (strncmp(*kv, name, n) == 0 && (*kv)[n] == '=')
            return *kv + n + 1;
    return NULL;
}

struct ep_case {
    const struct aws_service *svc;
    const char *region;
    const char *cfg_sqs; /* config aws.endpoints.sqs, or NULL */
    const char *cfg_rds;
    const char *env[4];
    const char *want_url; /* NULL: expect DG_EINVALID */
    const char *want_signing;
};

static const struct ep_case ep_cases[] = {
    /* standard endpoints */
    {&aws_svc_sqs,
     "us-west-2",
     NULL,
     NULL,
     {NULL},
     "https://sqs.us-west-2.amazonaws.com",
     "us-west-2"},
    {&aws_svc_rds,
     "eu-central-1",
     NULL,
     NULL,
     {NULL},
     "https://rds.eu-central-1.amazonaws.com",
     "eu-central-1"},
    {&aws_svc_sts,
     "us-east-2",
     NULL,
     NULL,
     {NULL},
     "https://sts.us-east-2.amazonaws.com",
     "us-east-2"},
    {&aws_svc_sqs,
     "cn-north-1",
     NULL,
     NULL,
     {NULL},
     "https://sqs.cn-north-1.amazonaws.com.cn",
     "cn-north-1"},
    {&aws_svc_route53,
     "us-west-2",
     NULL,
     NULL,
     {NULL},
     "https://route53.amazonaws.com",
     "us-east-1"},
    {&aws_svc_route53,
     "cn-north-1",
     NULL,
     NULL,
     {NULL},
     "https://route53.amazonaws.com.cn",
     "cn-northwest-1"},
    {&aws_svc_events,
     "ap-southeast-2",
     NULL,
     NULL,
     {NULL},
     "https://events.ap-southeast-2.amazonaws.com",
     "ap-southeast-2"},
    /* AWS_ENDPOINT_URL */
    {&aws_svc_sqs,
     "us-west-2",
     NULL,
     NULL,
     {"AWS_ENDPOINT_URL=http://127.0.0.1:4566/", NULL},
     "http://127.0.0.1:4566",
     "us-west-2"},
    /* service-specific beats global; service id with a space */
    {&aws_svc_route53,
     "us-west-2",
     NULL,
     NULL,
     {"AWS_ENDPOINT_URL=http://127.0.0.1:1",
      "AWS_ENDPOINT_URL_ROUTE_53=http://localhost:2", NULL},
     "http://localhost:2",
     "us-east-1"},
    {&aws_svc_rds,
     "us-east-1",
     NULL,
     NULL,
     {"AWS_ENDPOINT_URL=http://127.0.0.1:1",
      "AWS_ENDPOINT_URL_RDS=http://127.0.0.1:2", NULL},
     "http://127.0.0.1:2",
     "us-east-1"},
    {&aws_svc_events,
     "us-east-1",
     NULL,
     NULL,
     {"AWS_ENDPOINT_URL_EVENTBRIDGE=https://eb.example", NULL},
     "https://eb.example",
     "us-east-1"},
    {&aws_svc_elasticache,
     "us-east-1",
     NULL,
     NULL,
     {"AWS_ENDPOINT_URL_ELASTICACHE=http://[::1]:9", NULL},
     "http://[::1]:9",
     "us-east-1"},
    /* another service's variable does not apply */
    {&aws_svc_sqs,
     "us-east-1",
     NULL,
     NULL,
     {"AWS_ENDPOINT_URL_RDS=http://127.0.0.1:2", NULL},
     "https://sqs.us-east-1.amazonaws.com",
     "us-east-1"},
    /* config beats everything */
    {&aws_svc_sqs,
     "us-east-1",
     "http://127.0.0.1:3//",
     NULL,
     {"AWS_ENDPOINT_URL=http://127.0.0.1:1",
      "AWS_ENDPOINT_URL_SQS=http://127.0.0.1:2", NULL},
     "http://127.0.0.1:3",
     "us-east-1"},
    {&aws_svc_rds,
     "us-east-1",
     "http://127.0.0.1:3",
     NULL,
     {"AWS_ENDPOINT_URL=http://127.0.0.1:1", NULL},
     "http://127.0.0.1:1",
     "us-east-1"},
    /* ignoring configured env endpoints (botocore) */
    {&aws_svc_sqs,
     "us-east-1",
     NULL,
     NULL,
     {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true",
      "AWS_ENDPOINT_URL=http://127.0.0.1:1", NULL},
     "https://sqs.us-east-1.amazonaws.com",
     "us-east-1"},
    /* empty variables are unset */
    {&aws_svc_sqs,
     "us-east-1",
     NULL,
     NULL,
     {"AWS_ENDPOINT_URL=", NULL},
     "https://sqs.us-east-1.amazonaws.com",
     "us-east-1"},
    /* refused overrides and regions */
    {&aws_svc_sqs,
     "us-east-1",
     NULL,
     NULL,
     {"AWS_ENDPOINT_URL=http://10.0.0.1:4566", NULL},
     NULL,
     NULL},
    {&aws_svc_sqs,
     "us-east-1",
     NULL,
     NULL,
     {"AWS_ENDPOINT_URL=ftp://127.0.0.1", NULL},
     NULL,
     NULL},
    {&aws_svc_rds,
     "us-east-1",
     NULL,
     "http://sim.internal:80",
     {NULL},
     NULL,
     NULL},
    {&aws_svc_sqs, "", NULL, NULL, {NULL}, NULL, NULL},
    {&aws_svc_sqs, "us-east-1.evil.com/", NULL, NULL, {NULL}, NULL, NULL},
    {&aws_svc_sqs, "US-EAST-1", NULL, NULL, {NULL}, NULL, NULL},
};

START_TEST(precedence)
{
    const struct ep_case *c = &ep_cases[_i];
    struct cfg_kv kv[2];
    size_t nkv = 0;
    if (c->cfg_sqs)
        kv[nkv++] = (struct cfg_kv){(char *)"sqs", (char *)c->cfg_sqs};
    if (c->cfg_rds)
        kv[nkv++] = (struct cfg_kv){(char *)"rds", (char *)c->cfg_rds};
    char url[256], sreg[32];
    struct dg_err err;
    dg_err_clear(&err);
    dg_rc rc =
        endpoint_resolve(c->svc, c->region, kv, nkv, table_env, (void *)c->env,
                         url, sizeof(url), sreg, sizeof(sreg), &err);
    if (!c->want_url) {
        ck_assert_msg(rc == DG_EINVALID, "case %d resolved to %s", _i, url);
        ck_assert(strcmp(err.code, "bad_endpoint") == 0 ||
                  strcmp(err.code, "bad_region") == 0);
        return;
    }
    ck_assert_msg(rc == DG_OK, "case %d: %s", _i, err.msg);
    ck_assert_str_eq(url, c->want_url);
    ck_assert_str_eq(sreg, c->want_signing);
}
END_TEST

START_TEST(no_env_fn_and_small_buffer)
{
    char url[256], sreg[32];
    ck_assert_int_eq(endpoint_resolve(&aws_svc_ssm, "eu-west-1", NULL, 0, NULL,
                                      NULL, url, sizeof(url), sreg,
                                      sizeof(sreg), NULL),
                     DG_OK);
    ck_assert_str_eq(url, "https://ssm.eu-west-1.amazonaws.com");
    char tiny[8];
    ck_assert_int_eq(endpoint_resolve(&aws_svc_ssm, "eu-west-1", NULL, 0, NULL,
                                      NULL, tiny, sizeof(tiny), sreg,
                                      sizeof(sreg), NULL),
                     DG_EINVALID);
}
END_TEST

START_TEST(service_table)
{
    /* botocore 1.43 service-2.json metadata */
    ck_assert_int_eq(aws_svc_sqs.protocol, AWS_JSON_1_0);
    ck_assert_str_eq(aws_svc_sqs.target_prefix, "AmazonSQS");
    ck_assert_int_eq(aws_svc_sqs.query_compatible, 1);
    ck_assert_int_eq(aws_svc_dynamodb.protocol, AWS_JSON_1_0);
    ck_assert_str_eq(aws_svc_dynamodb.target_prefix, "DynamoDB_20120810");
    ck_assert_int_eq(aws_svc_ecs.protocol, AWS_JSON_1_1);
    ck_assert_str_eq(aws_svc_ecs.target_prefix,
                     "AmazonEC2ContainerServiceV20141113");
    ck_assert_str_eq(aws_svc_ssm.target_prefix, "AmazonSSM");
    ck_assert_str_eq(aws_svc_events.target_prefix, "AWSEvents");
    ck_assert_str_eq(aws_svc_sns.api_version, "2010-03-31");
    ck_assert_str_eq(aws_svc_rds.api_version, "2014-10-31");
    ck_assert_str_eq(aws_svc_elasticache.api_version, "2015-02-02");
    ck_assert_str_eq(aws_svc_cloudformation.api_version, "2010-05-15");
    ck_assert_str_eq(aws_svc_sts.api_version, "2011-06-15");
    ck_assert_int_eq(aws_svc_route53.protocol, AWS_REST_XML);
    ck_assert_int_eq(aws_svc_route53.global, 1);
    ck_assert_str_eq(aws_svc_route53.service_id, "Route 53");
}
END_TEST

struct url_case {
    const char *url;
    int want;
};

static const struct url_case url_cases[] = {
    {"https://sqs.us-east-1.amazonaws.com", 1},
    {"https://10.0.0.1/", 1},
    {"HTTPS://example.com:8443/x", 1},
    {"http://127.0.0.1:4566", 1},
    {"http://127.1.2.3/", 1},
    {"http://localhost:5000/", 1},
    {"http://LOCALHOST/", 1},
    {"http://[::1]:80/", 1},
    {"http://10.0.0.1/", 0},
    {"http://128.0.0.1/", 0},
    {"http://[::2]/", 0},
    {"http://127.0.0.1.nip.io/", 0},
    {"http://localhost.example.com/", 0},
    {"http://user@10.0.0.1/", 0},
    {"ftp://127.0.0.1/", 0},
    {"file:///etc/passwd", 0},
    {"127.0.0.1:80", 0},
    {"", 0},
    {NULL, 0},
};

START_TEST(url_allowed)
{
    const struct url_case *c = &url_cases[_i];
    ck_assert_msg(http_url_allowed(c->url) == c->want, "%s",
                  c->url ? c->url : "(null)");
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("endpoint");
    TCase *tc = tcase_create("resolve");
    tcase_add_loop_test(tc, precedence, 0,
                        (int)(sizeof(ep_cases) / sizeof(ep_cases[0])));
    tcase_add_test(tc, no_env_fn_and_small_buffer);
    tcase_add_test(tc, service_table);
    tcase_add_loop_test(tc, url_allowed, 0,
                        (int)(sizeof(url_cases) / sizeof(url_cases[0])));
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
