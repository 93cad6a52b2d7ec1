/*
 * test_client_faults.c - retries through tests/support/faultproxy.py in
 * front of moto (signature checking on): throttling (query and JSON) and
 * 503 succeed within the attempt budget; a 400 is not retried; a reset is
 * retried for an idempotent call and not for a non-idempotent one
 * ("unknown_outcome"); a timeout is retried; the backoff stays under its
 * bound and is jittered; a skewed clock is corrected from the server's Date.
 * The proxy's control API is driven with drgate's own HTTP engine.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>
#include <event2/event.h>

#include "aws_core_util.h"
#include "client.h"
#include "clock.h"
#include "creds.h"
#include "http.h"
#include "json.h"
#include "mem.h"
#include "testsupport.h"

struct result {
    int calls;
    dg_rc rc;
    long status;
    int attempts;
    struct dg_err err;
};

static void
on_done(const struct aws_response *resp, dg_rc rc, const struct dg_err *err,
        void *ctx)
{
    struct result *r = ctx;
    r->calls++;
    r->rc = rc;
    if (err)
        r->err = *err;
    if (resp) {
        r->status = resp->status;
        r->attempts = resp->attempts;
    }
}

#define MAX_RETRIES 16

struct hooks {
    const char *aws;
    int64_t skew_ms; /* added to the real clock */
    int nretries;
    int64_t delays[MAX_RETRIES];
    int64_t bound[MAX_RETRIES];
    /* on_complete: how many, and the last one's figures */
    int ncomplete;
    char service[32], operation[64];
    dg_rc rc;
    int attempts;
    int64_t latency_ms;
};

static int64_t base_ms = 100, max_ms = 400;

static const char *
fake_env(const char *name, void *ctx)
{
    const struct hooks *h = ctx;
    return strcmp(name, "AWS_ENDPOINT_URL") == 0 ? h->aws : NULL;
}

static int64_t
skewed_now(void *ctx)
{
    const struct hooks *h = ctx;
    return dg_clock_wall_ms() + h->skew_ms;
}

static void
on_retry(const char *op, int attempt, int64_t delay, const struct dg_err *why,
         void *ctx)
{
    struct hooks *h = ctx;
    int64_t cap = base_ms;
    for (int i = 1; i < attempt; i++)
        cap = cap * 2 > max_ms ? max_ms : cap * 2;
    printf("  retry %s after attempt %d (%s): delay %lld ms (bound %lld)\n", op,
           attempt, why->code, (long long)delay, (long long)cap);
    if (h->nretries < MAX_RETRIES) {
        h->delays[h->nretries] = delay;
        h->bound[h->nretries] = cap;
        h->nretries++;
    }
}

static void
on_complete(const char *service, const char *operation, dg_rc rc, int attempts,
            int64_t latency_ms, void *ctx)
{
    struct hooks *h = ctx;
    h->ncomplete++;
    snprintf(h->service, sizeof(h->service), "%s", service);
    snprintf(h->operation, sizeof(h->operation), "%s", operation);
    h->rc = rc;
    h->attempts = attempts;
    h->latency_ms = latency_ms;
}

struct fixture {
    struct event_base *base;
    struct http_engine *http;
    struct aws_creds_provider *prov;
    struct aws_client *c;
    struct hooks h;
};

static struct fixture F;

static void
make_client(int max_attempts)
{
    aws_client_free(F.c);
    struct aws_client_opts o = {
        .region = "us-east-1",
        .max_attempts = max_attempts,
        .env = fake_env,
        .now_ms = skewed_now,
        .on_retry = on_retry,
        .on_complete = on_complete,
        .hook_ctx = &F.h,
        .retry_base_ms = base_ms,
        .retry_max_ms = max_ms,
    };
    F.c = aws_client_new(F.base, F.http, F.prov, &o);
}

/* ---- the proxy's control API, through our own engine ------------------ */

struct ctl {
    int calls;
    long status;
    char body[65536];
};

static void
ctl_done(const struct http_response *resp, dg_rc rc, const struct dg_err *err,
         void *ctx)
{
    (void)err;
    struct ctl *c = ctx;
    c->calls++;
    c->status = rc == DG_OK ? resp->status : 0;
    if (rc == DG_OK)
        snprintf(c->body, sizeof(c->body), "%s", resp->body);
}

static void
proxy(const char *method, const char *path, const char *body, struct ctl *out)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", acu_env("AWSCORE_FAULT_URL"), path);
    struct http_header h = {"Content-Type", "application/json"};
    struct http_request req = {.method = method,
                               .url = url,
                               .headers = &h,
                               .nheaders = 1,
                               .body = body,
                               .body_len = body ? strlen(body) : 0};
    memset(out, 0, sizeof(*out));
    http_start(F.http, &req, ctl_done, out);
    ck_assert(acu_run_until(F.base, &out->calls, 1, 10000));
    ck_assert_int_eq(out->status, 200);
}

static void
script(const char *rules_json)
{
    struct ctl c;
    proxy("POST", "/_fault/script", rules_json, &c);
}

/* Requests the proxy saw since the last script, and their actions joined
 * with ',' into acts. Prints the gaps between them. */
static int
proxy_log(char *acts, size_t actslen)
{
    struct ctl c;
    proxy("GET", "/_fault/log", NULL, &c);
    cJSON *doc =
        dg_json_parse(c.body, strlen(c.body), sizeof(c.body), 16, NULL);
    ck_assert_ptr_nonnull(doc);
    long long n = 0;
    ck_assert(dg_json_int(doc, "requests", &n));
    acts[0] = '\0';
    double prev = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, dg_json_arr(doc, "log"))
    {
        const char *a = dg_json_str(e, "action");
        const cJSON *mono = cJSON_GetObjectItemCaseSensitive(e, "mono");
        double t = cJSON_IsNumber(mono) ? mono->valuedouble : 0;
        if (prev)
            printf("  proxy: %s, %.0f ms after the previous request\n",
                   a ? a : "?", (t - prev) * 1000);
        else
            printf("  proxy: %s\n", a ? a : "?");
        prev = t;
        size_t l = strlen(acts);
        snprintf(acts + l, actslen - l, "%s%s", l ? "," : "", a ? a : "?");
    }
    cJSON_Delete(doc);
    return (int)n;
}

static void
setup(void)
{
    dg_mem_init();
    memset(&F, 0, sizeof(F));
    F.base = event_base_new();
    F.http = http_engine_new(F.base, NULL);
    F.h.aws = acu_env("AWSCORE_FAULT_URL");
    struct aws_creds *cr = aws_creds_new(
        acu_env("AWSCORE_AK"), acu_env("AWSCORE_SK"), NULL, 0, "static");
    F.prov = aws_creds_static_new(F.base, cr);
    aws_creds_unref(cr);
    make_client(3);
}

static void
teardown(void)
{
    aws_client_free(F.c);
    http_engine_free(F.http);
    event_base_loop(F.base, EVLOOP_NONBLOCK);
    aws_creds_provider_free(F.prov);
    event_base_free(F.base);
}

static void
call(struct result *r, const struct aws_service *svc, const char *op,
     const char *body, int idempotent, long timeout_ms)
{
    memset(r, 0, sizeof(*r));
    struct aws_request req = {.svc = svc,
                              .operation = op,
                              .body = body,
                              .body_len = body ? strlen(body) : 0,
                              .idempotent = idempotent,
                              .timeout_ms = timeout_ms};
    aws_call(F.c, &req, on_done, r);
    ck_assert(acu_run_until(F.base, &r->calls, 1, 25000));
}

#define ASSERT_OK(r)                                                           \
    ck_assert_msg((r)->rc == DG_OK, "rc %s code %s: %s (HTTP %ld)",            \
                  dg_rc_name((r)->rc), (r)->err.code, (r)->err.msg,            \
                  (r)->err.http_status)

START_TEST(throttled_query_then_ok)
{
    script("{\"rules\":[{\"action\":\"throttle\",\"mode\":{\"first\":2}}]}");
    struct result r;
    call(&r, &aws_svc_sns, "ListTopics", NULL, 1, 0);
    ASSERT_OK(&r);
    ck_assert_int_eq(r.attempts, 3);
    char acts[512];
    ck_assert_int_eq(proxy_log(acts, sizeof(acts)), 3);
    ck_assert_str_eq(acts, "throttle,throttle,forward");
    ck_assert_uint_eq(aws_client_stats(F.c)->throttled, 2);
    ck_assert_uint_eq(aws_client_stats(F.c)->retries, 2);
    /* the observer: once, after the retries, with their count */
    ck_assert_int_eq(F.h.ncomplete, 1);
    ck_assert_str_eq(F.h.service, "sns");
    ck_assert_str_eq(F.h.operation, "ListTopics");
    ck_assert_int_eq(F.h.rc, DG_OK);
    ck_assert_int_eq(F.h.attempts, 3);
    ck_assert_int_ge(F.h.latency_ms, 0);
}
END_TEST

START_TEST(throttled_json_then_ok)
{
    script("{\"rules\":[{\"action\":\"throttle\",\"mode\":{\"first\":1},"
           "\"match\":{\"op\":\"AmazonSSM.DescribeParameters\"}}]}");
    struct result r;
    call(&r, &aws_svc_ssm, "DescribeParameters", "{}", 1, 0);
    ASSERT_OK(&r);
    ck_assert_int_eq(r.attempts, 2);
    ck_assert_int_eq(F.h.nretries, 1);
    char acts[512];
    ck_assert_int_eq(proxy_log(acts, sizeof(acts)), 2);
}
END_TEST

START_TEST(unavailable_then_ok)
{
    /* 503 ServiceUnavailable with an AWS error code: retried even for a
     * call that is not idempotent (the service said it did not act). */
    script("{\"rules\":[{\"action\":\"unavailable\",\"mode\":{\"first\":2}}]}");
    struct result r;
    call(&r, &aws_svc_sqs, "CreateQueue", "{\"QueueName\":\"faults-q\"}", 0, 0);
    ASSERT_OK(&r);
    ck_assert_int_eq(r.attempts, 3);
    char acts[512];
    ck_assert_int_eq(proxy_log(acts, sizeof(acts)), 3);
    ck_assert_str_eq(acts, "unavailable,unavailable,forward");
}
END_TEST

START_TEST(validation_not_retried)
{
    script("{\"rules\":[{\"action\":\"error\",\"status\":400,"
           "\"code\":\"ValidationError\",\"mode\":{\"all\":true}}]}");
    struct result r;
    call(&r, &aws_svc_cloudformation, "ListExports", NULL, 1, 0);
    ck_assert_int_eq(r.rc, DG_EREMOTE);
    ck_assert_str_eq(r.err.code, "ValidationError");
    ck_assert_int_eq(r.err.http_status, 400);
    ck_assert_str_ne(r.err.request_id, "");
    ck_assert_int_eq(F.h.ncomplete, 1);
    ck_assert_str_eq(F.h.service, "cloudformation");
    ck_assert_int_eq(F.h.rc, DG_EREMOTE);
    ck_assert_int_eq(F.h.attempts, 1);
    char acts[512];
    ck_assert_int_eq(proxy_log(acts, sizeof(acts)), 1);
}
END_TEST

START_TEST(reset_idempotent_retried)
{
    script("{\"rules\":[{\"action\":\"reset\",\"mode\":{\"first\":1}}]}");
    struct result r;
    call(&r, &aws_svc_sts, "GetCallerIdentity", NULL, 1, 0);
    ASSERT_OK(&r);
    ck_assert_int_eq(r.attempts, 2);
    char acts[512];
    ck_assert_int_eq(proxy_log(acts, sizeof(acts)), 2);
    ck_assert_str_eq(acts, "reset,forward");
}
END_TEST

START_TEST(reset_non_idempotent_unknown_outcome)
{
    /* The request reaches moto (the topic is created), the answer is lost. */
    script("{\"rules\":[{\"action\":\"reset\",\"after_forward\":true,"
           "\"mode\":{\"first\":1}}]}");
    struct result r;
    call(&r, &aws_svc_sns, "CreateTopic", "Name=faults-topic", 0, 0);
    ck_assert_int_eq(r.rc, DG_ETRANSIENT);
    ck_assert_str_eq(r.err.code, "unknown_outcome");
    char acts[512];
    ck_assert_int_eq(proxy_log(acts, sizeof(acts)), 1);
    ck_assert_uint_eq(aws_client_stats(F.c)->unknown_outcome, 1);
    /* A bare 503 (no AWS error code) is an unknown outcome too. */
    script("{\"rules\":[{\"action\":\"unavailable\",\"bare\":true,"
           "\"mode\":{\"first\":1}}]}");
    call(&r, &aws_svc_sns, "CreateTopic", "Name=faults-topic", 0, 0);
    ck_assert_int_eq(r.rc, DG_ETRANSIENT);
    ck_assert_str_eq(r.err.code, "unknown_outcome");
    ck_assert_int_eq(r.err.http_status, 503);
    ck_assert_int_eq(proxy_log(acts, sizeof(acts)), 1);
}
END_TEST

START_TEST(timeout_retried)
{
    script("{\"rules\":[{\"action\":\"latency\",\"latency_ms\":1500,"
           "\"mode\":{\"first\":1}}]}");
    struct result r;
    call(&r, &aws_svc_sts, "GetCallerIdentity", NULL, 1, 400);
    ASSERT_OK(&r);
    ck_assert_int_eq(r.attempts, 2);
}
END_TEST

START_TEST(backoff_bounded_and_jittered)
{
    make_client(6);
    script("{\"rules\":[{\"action\":\"throttle\",\"mode\":{\"all\":true}}]}");
    struct result r;
    call(&r, &aws_svc_sns, "ListTopics", NULL, 1, 0);
    ck_assert_int_eq(r.rc, DG_ETRANSIENT); /* throttled to the end */
    ck_assert_str_eq(r.err.code, "Throttling");
    ck_assert_int_eq(r.attempts, 6);
    char acts[512];
    ck_assert_int_eq(proxy_log(acts, sizeof(acts)), 6);
    ck_assert_int_eq(F.h.nretries, 5);
    int all_equal = 1;
    for (int i = 0; i < F.h.nretries; i++) {
        ck_assert_int_ge(F.h.delays[i], 0);
        ck_assert_int_lt(F.h.delays[i], F.h.bound[i]);
        if (i > 0 && F.h.delays[i] != F.h.delays[0])
            all_equal = 0;
    }
    ck_assert_msg(!all_equal, "no jitter: every delay the same");
    /* the caps grow: 100, 200, 400, 400, 400 */
    ck_assert_int_eq(F.h.bound[0], 100);
    ck_assert_int_eq(F.h.bound[1], 200);
    ck_assert_int_eq(F.h.bound[4], 400);
}
END_TEST

START_TEST(clock_skew_corrected)
{
    F.h.skew_ms = -15 * 60 * 1000; /* our clock is 15 minutes slow */
    script("{\"rules\":[{\"action\":\"check_skew\",\"mode\":{\"all\":true}}]}");
    struct result r;
    call(&r, &aws_svc_sts, "GetCallerIdentity", NULL, 1, 0);
    ASSERT_OK(&r);
    ck_assert_int_eq(r.attempts, 2);
    ck_assert_uint_eq(aws_client_stats(F.c)->skew_corrections, 1);
    /* the offset sticks: the next call signs right the first time */
    call(&r, &aws_svc_sts, "GetCallerIdentity", NULL, 1, 0);
    ASSERT_OK(&r);
    ck_assert_int_eq(r.attempts, 1);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("client_faults");
    TCase *tc = tcase_create("faultproxy");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, throttled_query_then_ok);
    tcase_add_test(tc, throttled_json_then_ok);
    tcase_add_test(tc, unavailable_then_ok);
    tcase_add_test(tc, validation_not_retried);
    tcase_add_test(tc, reset_idempotent_retried);
    tcase_add_test(tc, reset_non_idempotent_unknown_outcome);
    tcase_add_test(tc, timeout_retried);
    tcase_add_test(tc, backoff_bounded_and_jittered);
    tcase_add_test(tc, clock_skew_corrected);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
